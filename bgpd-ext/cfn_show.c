/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "show bgp cfn ..." commands, each with a json form. */
#include <zebra.h>

#include "command.h"
#include "if.h"
#include "json.h"
#include "vty.h"

#include "bgpd/bgpd.h"
#include "bgpd/bgp_vty.h"

#include "cfn_debug.h"
#include "cfn_dispatch.h"
#include "cfn_module.h"
#include "cfn_nhg.h"
#include "cfn_pin.h"
#include "cfn_select.h"

#define CFN_STR "Compute-aware anycast (CFN)\n"

struct cfn_show {
	struct vty *vty;
	json_object *json;	      /* array of instances, NULL for text */
	const struct cfn_prefix *sid; /* "show bgp cfn service SID" */
	bool found;
	uint64_t now_ms;
};

static const char *cfn_vrf_name(const struct cfn_instance *ci)
{
	return ci->bgp->name ? ci->bgp->name : VRF_DEFAULT_NAME;
}

static json_object *cfn_json_instance(struct cfn_show *show,
				      const struct cfn_instance *ci)
{
	json_object *jinst = json_object_new_object();

	json_object_string_add(jinst, "vrfName", cfn_vrf_name(ci));
	json_object_int_add(jinst, "localAS", ci->bgp->as);
	json_object_array_add(show->json, jinst);
	return jinst;
}

static const char *cfn_score_str(uint8_t score, char *buf, size_t len)
{
	if (score == CFN_SCORE_NONE)
		return "-";
	snprintf(buf, len, "%u", score);
	return buf;
}

static void cfn_text_scores(struct vty *vty, const struct cfn_scores *scores)
{
	char b[3][4];

	vty_out(vty, "L2 %u (compute %s, communication %s, service %s)",
		scores->l2,
		cfn_score_str(scores->l1[CFN_CATEGORY_COMPUTE], b[0], 4),
		cfn_score_str(scores->l1[CFN_CATEGORY_COMMUNICATION], b[1], 4),
		cfn_score_str(scores->l1[CFN_CATEGORY_SERVICE], b[2], 4));
}

static void cfn_json_scores(json_object *obj, const struct cfn_scores *scores)
{
	json_object *jl1 = json_object_new_object();

	json_object_int_add(obj, "l2", scores->l2);
	for (unsigned int c = 0; c < CFN_CATEGORY_COUNT; c++)
		if (scores->l1[c] != CFN_SCORE_NONE)
			json_object_int_add(jl1, cfn_category_name(c),
					    scores->l1[c]);
	json_object_object_add(obj, "l1", jl1);
}

static json_object *cfn_json_metrics(struct cfn_metric_list list)
{
	json_object *jarr = json_object_new_array();

	for (unsigned int i = 0; i < list.count; i++) {
		const struct cfn_metric_value *mv = &list.values[i];
		const struct cfn_metric_desc *desc = cfn_metric_desc(mv->type);
		json_object *jm = json_object_new_object();

		json_object_string_add(jm, "name", desc->name);
		json_object_string_add(jm, "statistic",
				       cfn_statistic_name(mv->statistic));
		json_object_double_add(jm, "value", cfn_metric_value_units(mv));
		json_object_string_add(jm, "unit", desc->unit);
		json_object_array_add(jarr, jm);
	}
	return jarr;
}

static void cfn_text_metrics(struct vty *vty, struct cfn_metric_list list)
{
	for (unsigned int i = 0; i < list.count; i++) {
		const struct cfn_metric_value *mv = &list.values[i];
		const struct cfn_metric_desc *desc = cfn_metric_desc(mv->type);

		vty_out(vty, "        %s %g %s (%s)\n", desc->name,
			cfn_metric_value_units(mv), desc->unit,
			cfn_statistic_name(mv->statistic));
	}
}

static double cfn_age_s(const struct cfn_show *show, uint64_t when_ms)
{
	return (double)(show->now_ms - when_ms) / 1000.0;
}

static const char *cfn_bid_str(const struct cfn_prefix *bid, char *buf,
			       size_t len)
{
	cfn_prefix_format(bid, buf, len);
	*strchr(buf, '/') = '\0';
	return buf;
}

/* -- show bgp cfn ---------------------------------------------------- */

static void cfn_print_overview(struct cfn_instance *ci, void *arg)
{
	struct cfn_show *show = arg;
	struct vty *vty = show->vty;
	json_object *jservices = NULL, *jinst;
	char sid[CFN_PREFIX_STRLEN];

	if (show->json) {
		jinst = cfn_json_instance(show, ci);
		json_object_int_add(jinst, "attributeType", ci->attr_type);
		json_object_int_add(jinst, "sidsKnown", ci->view.sids.count);
		jservices = json_object_new_array();
		json_object_object_add(jinst, "services", jservices);
	} else {
		vty_out(vty,
			"BGP instance %s, local AS %u: %zu service%s, attribute type %u, %zu SIDs known\n",
			ci->bgp->name_pretty, ci->bgp->as,
			cfn_service_count(&ci->services),
			cfn_service_count(&ci->services) == 1 ? "" : "s",
			ci->attr_type, ci->view.sids.count);
		if (cfn_service_count(&ci->services))
			vty_out(vty, "  %-32s %-24s %s\n", "Service", "SID",
				"Local instances");
	}
	for (size_t i = 0; i < cfn_service_count(&ci->services); i++) {
		const struct cfn_service *service =
			cfn_service_at(&ci->services, i);
		json_object *jservice;

		cfn_prefix_format(&service->sid, sid, sizeof(sid));
		if (!show->json) {
			vty_out(vty, "  %-32s %-24s %zu\n", service->name, sid,
				service->instances.count);
			continue;
		}
		jservice = json_object_new_object();
		json_object_string_add(jservice, "name", service->name);
		json_object_string_add(jservice, "sid", sid);
		json_object_int_add(jservice, "localInstances",
				    service->instances.count);
		json_object_array_add(jservices, jservice);
	}
}

/* -- show bgp cfn services ------------------------------------------- */

static uint8_t cfn_best_l2(const struct cfn_sid_view *sv)
{
	uint8_t best = 0;

	for (size_t i = 0; i < sv->egresses.count; i++) {
		const struct cfn_egress *egress = sv->egresses.items[i];

		if (egress->reachable && egress->attr.scores.l2 > best)
			best = egress->attr.scores.l2;
	}
	return best;
}

static void cfn_print_services(struct cfn_instance *ci, void *arg)
{
	struct cfn_show *show = arg;
	json_object *jsids = NULL;
	char sid[CFN_PREFIX_STRLEN];

	if (show->json) {
		jsids = json_object_new_array();
		json_object_object_add(cfn_json_instance(show, ci), "sids",
				       jsids);
	} else {
		vty_out(show->vty, "BGP instance %s:\n", ci->bgp->name_pretty);
		vty_out(show->vty, "  %-24s %-20s %8s %9s %7s %12s\n", "SID",
			"Service", "Egresses", "Instances", "Best L2",
			"Changed (s)");
	}
	for (size_t i = 0; i < ci->view.sids.count; i++) {
		const struct cfn_sid_view *sv = ci->view.sids.items[i];
		const struct cfn_service *local =
			cfn_service_find_sid(&ci->services, &sv->sid);
		json_object *jsid;

		cfn_prefix_format(&sv->sid, sid, sizeof(sid));
		if (!show->json) {
			vty_out(show->vty,
				"  %-24s %-20s %8zu %9zu %7u %12.1f\n", sid,
				local ? local->name : "-", sv->egresses.count,
				cfn_view_instance_count(sv), cfn_best_l2(sv),
				cfn_age_s(show, sv->changed_ms));
			continue;
		}
		jsid = json_object_new_object();
		json_object_string_add(jsid, "sid", sid);
		if (local)
			json_object_string_add(jsid, "service", local->name);
		json_object_int_add(jsid, "egresses", sv->egresses.count);
		json_object_int_add(jsid, "instances",
				    cfn_view_instance_count(sv));
		json_object_int_add(jsid, "bestL2", cfn_best_l2(sv));
		json_object_double_add(jsid, "secondsSinceChange",
				       cfn_age_s(show, sv->changed_ms));
		json_object_array_add(jsids, jsid);
	}
}

/* -- show bgp cfn service SID ---------------------------------------- */

static json_object *cfn_json_egress(const struct cfn_show *show,
				    const struct cfn_egress *egress)
{
	json_object *jegress = json_object_new_object();
	json_object *jinstances = json_object_new_array();
	struct in_addr node = {.s_addr = htonl(egress->node_id)};
	char buf[CFN_PREFIX_STRLEN];

	json_object_string_addf(jegress, "nodeId", "%pI4", &node);
	json_object_string_add(jegress, "nexthop",
			       cfn_bid_str(&egress->nexthop, buf, sizeof(buf)));
	json_object_string_add(jegress, "learnedFrom", egress->source);
	json_object_int_add(jegress, "igpMetric", egress->igp_metric);
	json_object_boolean_add(jegress, "reachable", egress->reachable);
	json_object_double_add(jegress, "ageSeconds",
			       cfn_age_s(show, egress->updated_ms));
	json_object_int_add(jegress, "sequence", egress->attr.sequence);
	json_object_int_add(jegress, "capacity", egress->attr.capacity);
	json_object_boolean_add(jegress, "draining",
				egress->attr.flags & CFN_ATTR_DRAINING);
	cfn_json_scores(jegress, &egress->attr.scores);
	for (unsigned int i = 0; i < egress->attr.n_instances; i++) {
		const struct cfn_instance_info *inst =
			&egress->attr.instances[i];
		json_object *jinst = json_object_new_object();

		json_object_string_add(
			jinst, "bid",
			cfn_bid_str(&inst->bid, buf, sizeof(buf)));
		json_object_int_add(jinst, "capacity", inst->capacity);
		json_object_boolean_add(jinst, "stale",
					inst->flags & CFN_INSTANCE_STALE);
		json_object_boolean_add(jinst, "draining",
					inst->flags & CFN_INSTANCE_DRAINING);
		cfn_json_scores(jinst, &inst->scores);
		json_object_object_add(jinst, "metrics",
				       cfn_json_metrics(inst->metrics));
		json_object_array_add(jinstances, jinst);
	}
	json_object_object_add(jegress, "instances", jinstances);
	return jegress;
}

static void cfn_text_egress(const struct cfn_show *show,
			    const struct cfn_egress *egress)
{
	struct vty *vty = show->vty;
	struct in_addr node = {.s_addr = htonl(egress->node_id)};
	char buf[CFN_PREFIX_STRLEN];

	vty_out(vty,
		"  Egress %pI4, next hop %s from %s, IGP cost %u, %s, updated %.1f s ago (seq %u)\n",
		&node, cfn_bid_str(&egress->nexthop, buf, sizeof(buf)),
		egress->source, egress->igp_metric,
		egress->reachable ? "reachable" : "UNREACHABLE",
		cfn_age_s(show, egress->updated_ms), egress->attr.sequence);
	vty_out(vty, "    ");
	cfn_text_scores(vty, &egress->attr.scores);
	vty_out(vty, ", capacity %u%s\n", egress->attr.capacity,
		egress->attr.flags & CFN_ATTR_DRAINING ? ", DRAINING" : "");
	for (unsigned int i = 0; i < egress->attr.n_instances; i++) {
		const struct cfn_instance_info *inst =
			&egress->attr.instances[i];

		vty_out(vty, "      Instance %s: ",
			cfn_bid_str(&inst->bid, buf, sizeof(buf)));
		cfn_text_scores(vty, &inst->scores);
		vty_out(vty, ", capacity %u%s%s\n", inst->capacity,
			inst->flags & CFN_INSTANCE_STALE ? ", STALE" : "",
			inst->flags & CFN_INSTANCE_DRAINING ? ", DRAINING"
							    : "");
		cfn_text_metrics(vty, inst->metrics);
	}
}

static void cfn_print_service(struct cfn_instance *ci, void *arg)
{
	struct cfn_show *show = arg;
	const struct cfn_sid_view *sv = cfn_view_find(&ci->view, show->sid);
	const struct cfn_service *local =
		cfn_service_find_sid(&ci->services, show->sid);
	json_object *jinst, *jegresses;
	char sid[CFN_PREFIX_STRLEN];

	if (!sv)
		return;
	show->found = true;
	cfn_prefix_format(&sv->sid, sid, sizeof(sid));
	if (!show->json) {
		vty_out(show->vty,
			"SID %s%s%s%s (BGP instance %s): %zu egresses, %zu instances, changed %.1f s ago\n",
			sid, local ? " (service " : "",
			local ? local->name : "", local ? ")" : "",
			ci->bgp->name_pretty, sv->egresses.count,
			cfn_view_instance_count(sv),
			cfn_age_s(show, sv->changed_ms));
		for (size_t i = 0; i < sv->egresses.count; i++)
			cfn_text_egress(show, sv->egresses.items[i]);
		return;
	}
	jinst = cfn_json_instance(show, ci);
	json_object_string_add(jinst, "sid", sid);
	if (local)
		json_object_string_add(jinst, "service", local->name);
	json_object_double_add(jinst, "secondsSinceChange",
			       cfn_age_s(show, sv->changed_ms));
	jegresses = json_object_new_array();
	for (size_t i = 0; i < sv->egresses.count; i++)
		json_object_array_add(
			jegresses,
			cfn_json_egress(show, sv->egresses.items[i]));
	json_object_object_add(jinst, "egresses", jegresses);
}

/* -- show bgp cfn selection [SID] ------------------------------------ */

/* The router's multipath hash: what identifies a flow, for every SID. */
static const char *cfn_flow_key(int family)
{
	static const char *const keys[] = {"addresses (L3)", "5-tuple (L4)",
					   "inner addresses (L3)",
					   "custom fields"};
	char buf[16] = "";
	int policy;
	FILE *f =
		fopen(family == AF_INET6
			      ? "/proc/sys/net/ipv6/fib_multipath_hash_policy"
			      : "/proc/sys/net/ipv4/fib_multipath_hash_policy",
		      "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	policy = atoi(buf);
	return policy >= 0 && policy < (int)array_size(keys) ? keys[policy]
							     : "unknown";
}

/* The SID's resilient group: how many buckets each next hop holds. */
struct cfn_buckets {
	struct cfn_nhg_bucket_count counts[CFN_NHG_MEMBERS_MAX];
	size_t n;
	uint32_t group;
	bool known;
};

/*
 * A selection to show: over a SID's egresses, or over this egress's own
 * instances (dispatch); only one of them is what the FIB holds.
 */
struct cfn_shown_selection {
	const struct cfn_sid_view *sv;
	struct cfn_policy policy;
	struct cfn_eval *evals;
	bool local;	/* the candidates are this node's instances */
	bool installed; /* the SID's route follows this selection */
	struct cfn_buckets buckets;
};

static void cfn_buckets_read(const struct cfn_sid_view *sv,
			     struct cfn_buckets *b)
{
	struct prefix p;

	cfn_prefix_to_frr(&sv->sid, &p);
	b->known = cfn_nhg_distribution(&p, &b->group, b->counts, &b->n);
}

static bool cfn_hop_is(const struct cfn_hop *hop,
		       const struct cfn_nhg_bucket_count *count)
{
	struct prefix gw;

	cfn_prefix_to_frr(&hop->gateway, &gw);
	return hop->ifindex == count->ifindex &&
	       gw.family == count->gateway.family &&
	       memcmp(&gw.u.prefix, &count->gateway.u.prefix,
		      gw.family == AF_INET ? 4 : 16) == 0;
}

/* Buckets of the group held by the candidate's next hops. */
static unsigned int cfn_candidate_buckets(const struct cfn_buckets *b,
					  const struct cfn_egress *egress)
{
	unsigned int sum = 0;

	for (size_t i = 0; b->known && i < b->n; i++)
		for (unsigned int h = 0; h < egress->n_hops; h++)
			if (cfn_hop_is(&egress->hops[h], &b->counts[i]))
				sum += b->counts[i].buckets;
	return sum;
}

/* Buckets still held by draining candidates: flows that still drain. */
static unsigned int cfn_draining_buckets(const struct cfn_shown_selection *s)
{
	unsigned int sum = 0;

	for (size_t i = 0; i < s->sv->egresses.count; i++)
		if (s->evals[i].verdict == CFN_VERDICT_DRAINING)
			sum += cfn_candidate_buckets(&s->buckets,
						     s->evals[i].egress);
	return sum;
}

/* An egress by its node ID, an instance by its BID. */
static const char *cfn_candidate_name(const struct cfn_shown_selection *s,
				      uint32_t node_id, char *buf, size_t len)
{
	struct in_addr node = {.s_addr = htonl(node_id)};

	for (size_t i = 0; s->local && i < s->sv->egresses.count; i++) {
		const struct cfn_egress *inst = s->sv->egresses.items[i];

		if (inst->node_id == node_id)
			return cfn_bid_str(&inst->nexthop, buf, len);
	}
	snprintfrr(buf, len, "%pI4", &node);
	return buf;
}

/* Connections to the SID conntrack pins to each next hop, by gateway. */
static json_object *cfn_json_pinned(const struct prefix *sid)
{
	struct cfn_pin_hop hops[2 * CFN_NHG_MEMBERS_MAX];
	size_t n = cfn_nhg_pins(sid, hops, array_size(hops));
	json_object *j = json_object_new_object();

	for (size_t i = 0; i < n; i++) {
		long count = cfn_pin_connections(sid, &hops[i]);
		char gw[PREFIX_STRLEN];

		if (count >= 0) {
			snprintfrr(gw, sizeof(gw), "%pFXh", &hops[i].gateway);
			json_object_int_add(j, gw, count);
		}
	}
	return j;
}

static void cfn_text_pinned(struct vty *vty, const struct prefix *sid)
{
	struct cfn_pin_hop hops[2 * CFN_NHG_MEMBERS_MAX];
	size_t n = cfn_nhg_pins(sid, hops, array_size(hops));

	for (size_t i = 0; i < n; i++) {
		long count = cfn_pin_connections(sid, &hops[i]);

		if (count >= 0)
			vty_out(vty,
				"    pinned: %ld connections via %pFXh dev %s\n",
				count, &hops[i].gateway,
				ifindex2ifname(hops[i].ifindex, VRF_DEFAULT));
	}
}

static json_object *cfn_json_affinity(const struct cfn_shown_selection *s)
{
	const struct cfn_buckets *b = &s->buckets;
	json_object *j = json_object_new_object(), *jdist;
	struct prefix p;

	cfn_prefix_to_frr(&s->sv->sid, &p);
	json_object_boolean_add(j, "enabled", s->policy.affinity_idle_s > 0);
	json_object_boolean_add(j, "kernelSupport", cfn_nhg_supported());
	json_object_string_add(j, "flowKey", cfn_flow_key(p.family));
	if (!s->policy.affinity_idle_s)
		return j;
	json_object_int_add(j, "idleTimeout", s->policy.affinity_idle_s);
	json_object_int_add(j, "buckets", s->policy.affinity_buckets);
	if (!s->installed || !b->known)
		return j;
	json_object_int_add(j, "nexthopGroupId", b->group);
	json_object_int_add(j, "drainingBuckets", cfn_draining_buckets(s));
	json_object_boolean_add(j, "connectionPinning", cfn_pin_active());
	json_object_object_add(j, "pinnedConnections", cfn_json_pinned(&p));
	jdist = json_object_new_array();
	for (size_t i = 0; i < b->n; i++) {
		json_object *jm = json_object_new_object();

		json_object_string_addf(jm, "nexthop", "%pFXh",
					&b->counts[i].gateway);
		json_object_string_add(
			jm, "interface",
			ifindex2ifname(b->counts[i].ifindex, VRF_DEFAULT));
		json_object_int_add(jm, "weight", b->counts[i].weight);
		json_object_int_add(jm, "buckets", b->counts[i].buckets);
		json_object_array_add(jdist, jm);
	}
	json_object_object_add(j, "distribution", jdist);
	return j;
}

static void cfn_text_affinity(struct vty *vty,
			      const struct cfn_shown_selection *s)
{
	const struct cfn_buckets *b = &s->buckets;
	struct prefix p;

	cfn_prefix_to_frr(&s->sv->sid, &p);
	if (!s->policy.affinity_idle_s)
		return;
	vty_out(vty,
		"  Flow affinity: idle timeout %u s, %u buckets, flow key %s%s\n",
		s->policy.affinity_idle_s, s->policy.affinity_buckets,
		cfn_flow_key(p.family),
		cfn_nhg_supported()
			? ""
			: " (NO kernel support: weighted ECMP instead)");
	if (!s->installed || !b->known)
		return;
	for (size_t i = 0; i < b->n; i++)
		vty_out(vty,
			"    group %u: via %pFXh dev %s weight %u, %u buckets\n",
			b->group, &b->counts[i].gateway,
			ifindex2ifname(b->counts[i].ifindex, VRF_DEFAULT),
			b->counts[i].weight, b->counts[i].buckets);
	cfn_text_pinned(vty, &p);
	if (cfn_draining_buckets(s))
		vty_out(vty,
			"    draining: %u buckets still hold flows to draining %s\n",
			cfn_draining_buckets(s),
			s->local ? "instances" : "egresses");
}

static void cfn_json_candidate(const struct cfn_shown_selection *s,
			       const struct cfn_eval *eval, json_object *jc)
{
	const struct cfn_egress *egress = eval->egress;
	char name[CFN_PREFIX_STRLEN];

	json_object_string_add(
		jc, s->local ? "bid" : "nodeId",
		cfn_candidate_name(s, egress->node_id, name, sizeof(name)));
	json_object_int_add(jc, "l2", egress->attr.scores.l2);
	if (s->local)
		json_object_int_add(jc, "capacity", egress->attr.capacity);
	else
		json_object_int_add(jc, "igpMetric", egress->igp_metric);
	json_object_double_add(jc, "networkScore", eval->network);
	json_object_double_add(jc, "score", eval->score);
	json_object_string_add(jc, "verdict", cfn_verdict_name(eval->verdict));
	if (s->installed && s->buckets.known)
		json_object_int_add(jc, "buckets",
				    cfn_candidate_buckets(&s->buckets, egress));
}

static void cfn_json_selection(struct cfn_show *show, json_object *jsid,
			       const struct cfn_shown_selection *s)
{
	const struct cfn_selection *sel = &s->sv->selection;
	json_object *jchosen = json_object_new_array();
	json_object *jcands = json_object_new_array();
	char name[CFN_PREFIX_STRLEN];

	json_object_string_add(jsid, "mode",
			       cfn_select_mode_name(s->policy.mode));
	json_object_boolean_add(jsid, "installed", s->installed);
	json_object_boolean_add(jsid, "fallback", sel->fallback);
	json_object_int_add(jsid, "changes", sel->changes);
	if (sel->changes)
		json_object_double_add(jsid, "secondsSinceChange",
				       cfn_age_s(show, sel->changed_ms));
	for (unsigned int i = 0; i < sel->count; i++) {
		json_object *jc = json_object_new_object();

		json_object_string_add(
			jc, s->local ? "bid" : "nodeId",
			cfn_candidate_name(s, sel->chosen[i].node_id, name,
					   sizeof(name)));
		json_object_int_add(jc, "weight", sel->chosen[i].weight);
		json_object_array_add(jchosen, jc);
	}
	json_object_object_add(jsid, "chosen", jchosen);
	for (size_t i = 0; i < s->sv->egresses.count; i++) {
		json_object *jc = json_object_new_object();

		cfn_json_candidate(s, &s->evals[i], jc);
		json_object_array_add(jcands, jc);
	}
	json_object_object_add(jsid, "candidates", jcands);
	json_object_object_add(jsid, "affinity", cfn_json_affinity(s));
}

static void cfn_text_candidates(struct vty *vty,
				const struct cfn_shown_selection *s)
{
	char name[CFN_PREFIX_STRLEN];

	vty_out(vty, "  %-16s %3s %9s %8s %6s  %s\n",
		s->local ? "Instance" : "Egress", "L2",
		s->local ? "Capacity" : "IGP cost", "Network", "Score",
		"Verdict");
	for (size_t i = 0; i < s->sv->egresses.count; i++) {
		const struct cfn_eval *eval = &s->evals[i];

		vty_out(vty, "  %-16s %3u %9u %8.2f %6.2f  %s\n",
			cfn_candidate_name(s, eval->egress->node_id, name,
					   sizeof(name)),
			eval->egress->attr.scores.l2,
			s->local ? eval->egress->attr.capacity
				 : eval->egress->igp_metric,
			eval->network, eval->score,
			cfn_verdict_name(eval->verdict));
	}
}

static void cfn_text_selection(struct cfn_show *show,
			       const struct cfn_shown_selection *s)
{
	const struct cfn_selection *sel = &s->sv->selection;
	struct vty *vty = show->vty;
	char sid[CFN_PREFIX_STRLEN], name[CFN_PREFIX_STRLEN];

	if (s->local)
		vty_out(vty, "SID %s, local instances (dispatch): mode %s",
			cfn_prefix_format(&s->sv->sid, sid, sizeof(sid)),
			cfn_select_mode_name(s->policy.mode));
	else
		vty_out(vty, "SID %s: mode %s",
			cfn_prefix_format(&s->sv->sid, sid, sizeof(sid)),
			cfn_select_mode_name(s->policy.mode));
	vty_out(vty, ", changed %" PRIu64 " times", sel->changes);
	if (sel->changes)
		vty_out(vty, ", last %.1f s ago",
			cfn_age_s(show, sel->changed_ms));
	vty_out(vty, "%s%s\n",
		sel->fallback ? ", FALLBACK (nothing eligible)" : "",
		s->installed ? "" : ", not installed (local dispatch)");
	vty_out(vty, "  Chosen:");
	for (unsigned int i = 0; i < sel->count; i++)
		vty_out(vty, " %s (weight %u)",
			cfn_candidate_name(s, sel->chosen[i].node_id, name,
					   sizeof(name)),
			sel->chosen[i].weight);
	vty_out(vty, "%s\n",
		sel->count ? ""
		: s->local ? " none (no reachable instance)"
			   : " none (no reachable egress with instances)");
	cfn_text_candidates(vty, s);
	cfn_text_affinity(vty, s);
}

static void cfn_print_one_selection(struct cfn_show *show,
				    const struct cfn_instance *ci,
				    const struct cfn_sid_view *sv, bool local,
				    json_object *jsid)
{
	struct cfn_shown_selection s = {
		.sv = sv,
		.local = local,
		.installed = local || !cfn_view_find(&ci->dispatch, &sv->sid),
	};

	s.evals = XCALLOC(MTYPE_CFN_PENDING,
			  (sv->egresses.count + 1) * sizeof(*s.evals));
	cfn_policy_for(ci, &sv->sid, &s.policy);
	if (local)
		cfn_dispatch_policy(&s.policy);
	cfn_select_explain(&s.policy, sv, show->now_ms, s.evals);
	if (s.installed)
		cfn_buckets_read(sv, &s.buckets);
	if (jsid)
		cfn_json_selection(show, jsid, &s);
	else
		cfn_text_selection(show, &s);
	XFREE(MTYPE_CFN_PENDING, s.evals);
}

/* The egresses' selection of a SID, then this egress's own split. */
static void cfn_print_selection_sid(struct cfn_show *show,
				    const struct cfn_instance *ci,
				    const struct cfn_prefix *sid,
				    json_object *jsids)
{
	const struct cfn_sid_view *sv = cfn_view_find(&ci->view, sid);
	const struct cfn_sid_view *local = cfn_view_find(&ci->dispatch, sid);
	char buf[CFN_PREFIX_STRLEN];
	json_object *jsid = NULL, *jlocal = NULL;

	if (jsids) {
		jsid = json_object_new_object();
		json_object_string_add(
			jsid, "sid", cfn_prefix_format(sid, buf, sizeof(buf)));
		json_object_array_add(jsids, jsid);
	}
	if (sv)
		cfn_print_one_selection(show, ci, sv, false, jsid);
	if (!local)
		return;
	if (jsid) {
		jlocal = json_object_new_object();
		json_object_object_add(jsid, "localDispatch", jlocal);
	}
	cfn_print_one_selection(show, ci, local, true, jlocal);
}

static void cfn_print_selection(struct cfn_instance *ci, void *arg)
{
	struct cfn_show *show = arg;
	json_object *jsids = NULL;

	if (show->json) {
		jsids = json_object_new_array();
		json_object_object_add(cfn_json_instance(show, ci), "sids",
				       jsids);
	}
	for (size_t i = 0; i < ci->view.sids.count; i++) {
		const struct cfn_sid_view *sv = ci->view.sids.items[i];

		if (show->sid && !cfn_prefix_equal(show->sid, &sv->sid))
			continue;
		show->found = true;
		cfn_print_selection_sid(show, ci, &sv->sid, jsids);
	}
	/* dispatched here, but not (yet) in the view of BGP paths */
	for (size_t i = 0; i < ci->dispatch.sids.count; i++) {
		const struct cfn_sid_view *local = ci->dispatch.sids.items[i];

		if ((show->sid && !cfn_prefix_equal(show->sid, &local->sid)) ||
		    cfn_view_find(&ci->view, &local->sid))
			continue;
		show->found = true;
		cfn_print_selection_sid(show, ci, &local->sid, jsids);
	}
}

/* -- show bgp cfn instances ----------------------------------------- */

static json_object *cfn_json_local(const struct cfn_show *show,
				   const struct cfn_service *service,
				   const struct cfn_local_instance *inst)
{
	json_object *j = json_object_new_object();
	char bid[CFN_PREFIX_STRLEN];

	json_object_string_add(j, "service", service->name);
	json_object_string_add(j, "bid",
			       cfn_bid_str(&inst->bid, bid, sizeof(bid)));
	json_object_int_add(j, "capacity", inst->capacity);
	json_object_string_add(j, "origin", inst->dynamic ? "api" : "config");
	json_object_boolean_add(j, "draining",
				!cfn_instance_takes_new_flows(service, inst));
	if (inst->dynamic) {
		json_object_string_add(j, "client", inst->client);
		json_object_int_add(j, "holdTime", inst->hold_time_s);
		json_object_boolean_add(j, "stale", inst->stale);
		json_object_double_add(j, "secondsSinceReport",
				       cfn_age_s(show, inst->last_seen_ms));
	}
	json_object_object_add(
		j, "metrics",
		cfn_json_metrics(cfn_metric_set_list(&inst->metrics)));
	return j;
}

static void cfn_print_instances(struct cfn_instance *ci, void *arg)
{
	struct cfn_show *show = arg;
	json_object *jarr = NULL;
	char bid[CFN_PREFIX_STRLEN];

	if (show->json) {
		jarr = json_object_new_array();
		json_object_object_add(cfn_json_instance(show, ci),
				       "localInstances", jarr);
	} else {
		vty_out(show->vty, "BGP instance %s:\n", ci->bgp->name_pretty);
		vty_out(show->vty, "  %-20s %-26s %8s %-7s %-22s %s\n",
			"Service", "BID", "Capacity", "Origin", "Client",
			"Last report (s ago)");
	}
	for (size_t s = 0; s < cfn_service_count(&ci->services); s++) {
		const struct cfn_service *service =
			cfn_service_at(&ci->services, s);

		for (size_t i = 0; i < service->instances.count; i++) {
			const struct cfn_local_instance *inst =
				cfn_instance_at(service, i);

			if (jarr) {
				json_object_array_add(
					jarr,
					cfn_json_local(show, service, inst));
				continue;
			}
			vty_out(show->vty, "  %-20s %-26s %8u %-7s %-22s ",
				service->name,
				cfn_bid_str(&inst->bid, bid, sizeof(bid)),
				inst->capacity,
				inst->dynamic ? "api" : "config",
				inst->dynamic ? inst->client : "-");
			if (inst->dynamic)
				vty_out(show->vty, "%.1f (hold %u s)%s",
					cfn_age_s(show, inst->last_seen_ms),
					inst->hold_time_s,
					inst->stale ? " STALE" : "");
			else
				vty_out(show->vty, "-");
			vty_out(show->vty, "%s\n",
				cfn_instance_takes_new_flows(service, inst)
					? ""
					: " DRAINING");
			cfn_text_metrics(show->vty,
					 cfn_metric_set_list(&inst->metrics));
		}
	}
}

/* -- show bgp cfn statistics ----------------------------------------- */

static const struct {
	const char *text, *json;
	size_t offset;
} cfn_counters[] = {
	{"SID routes announced", "announcements",
	 offsetof(struct cfn_stats, announcements)},
	{"SID routes withdrawn", "withdrawals",
	 offsetof(struct cfn_stats, withdrawals)},
	{"Attributes too large to send", "encodeFailures",
	 offsetof(struct cfn_stats, encode_failures)},
	{"Sent without L0 metrics to fit", "metricsDropped",
	 offsetof(struct cfn_stats, metrics_dropped)},
	{"SID routes re-read from the RIB", "sidUpdates",
	 offsetof(struct cfn_stats, sid_updates)},
	{"Received paths with valid CFN data", "pathsDecoded",
	 offsetof(struct cfn_stats, paths_decoded)},
	{"Per-service view changes", "viewChanges",
	 offsetof(struct cfn_stats, view_changes)},
	{"Selection changes", "selectionChanges",
	 offsetof(struct cfn_stats, selection_changes)},
	{"Local instance split changes (dispatch)", "dispatchChanges",
	 offsetof(struct cfn_stats, dispatch_changes)},
	{"Metric updates not significant (damped)", "updatesDamped",
	 offsetof(struct cfn_stats, damped)},
	{"Metric updates delayed by rate limit", "updatesDelayed",
	 offsetof(struct cfn_stats, delayed)},
	{"Metric updates held by max-rate", "updatesBudgetWaited",
	 offsetof(struct cfn_stats, budget_waits)},
	{"Time held by max-rate, all updates (ms)", "budgetHeldMs",
	 offsetof(struct cfn_stats, budget_held_ms)},
	{"Longest hold by max-rate (ms)", "budgetHeldMaxMs",
	 offsetof(struct cfn_stats, budget_held_max_ms)},
	{"Instances expired (hold time)", "instancesExpired",
	 offsetof(struct cfn_stats, expired)},
};

static uint64_t cfn_counter(const struct cfn_stats *stats, size_t i)
{
	return *(const uint64_t *)((const char *)stats +
				   cfn_counters[i].offset);
}

static void cfn_print_statistics(struct cfn_instance *ci, void *arg)
{
	struct cfn_show *show = arg;
	const struct cfn_stats *stats = &ci->stats;
	json_object *jinst, *jerrors;
	uint64_t total = 0;

	if (show->json) {
		jinst = cfn_json_instance(show, ci);
		jerrors = json_object_new_object();
		for (size_t i = 0; i < array_size(cfn_counters); i++)
			json_object_int_add(jinst, cfn_counters[i].json,
					    cfn_counter(stats, i));
		for (int e = 1; e < CFN_DECODE_ERROR_COUNT; e++) {
			json_object_int_add(jerrors, cfn_decode_error_name(e),
					    stats->decode_errors[e]);
			total += stats->decode_errors[e];
		}
		json_object_int_add(jinst, "decodeErrors", total);
		json_object_object_add(jinst, "decodeErrorsByReason", jerrors);
		return;
	}
	vty_out(show->vty, "BGP instance %s:\n", ci->bgp->name_pretty);
	for (size_t i = 0; i < array_size(cfn_counters); i++)
		vty_out(show->vty, "  %-38s %" PRIu64 "\n",
			cfn_counters[i].text, cfn_counter(stats, i));
	vty_out(show->vty,
		"  Malformed CFN attributes (path kept as plain BGP):\n");
	for (int e = 1; e < CFN_DECODE_ERROR_COUNT; e++)
		vty_out(show->vty, "    %-36s %" PRIu64 "\n",
			cfn_decode_error_name(e), stats->decode_errors[e]);
}

/* -- commands -------------------------------------------------------- */

static int cfn_show_run(struct vty *vty, bool uj, struct cfn_show *show,
			void (*fn)(struct cfn_instance *ci, void *arg),
			json_object *json)
{
	show->vty = vty;
	show->now_ms = cfn_now_ms();
	if (uj) {
		show->json = json_object_new_array();
		json_object_object_add(json, "instances", show->json);
	}
	cfn_instance_foreach(fn, show);
	if (uj)
		return vty_json(vty, json);
	json_object_free(json);
	return CMD_SUCCESS;
}

#ifndef VTYSH_EXTRACT_PL
#include "bgpd-ext/cfn_show_clippy.c"
#endif

DEFPY(cfn_show, cfn_show_cmd, "show bgp cfn [json]$uj",
      SHOW_STR BGP_STR CFN_STR JSON_STR)
{
	struct cfn_show show = {};
	json_object *json = json_object_new_object();

	json_object_string_add(json, "version", CFN_VERSION);
	cfn_debug_json(json);
	if (!uj)
		vty_out(vty, "CFN module %s\n", CFN_VERSION);
	return cfn_show_run(vty, !!uj, &show, cfn_print_overview, json);
}

DEFPY(cfn_show_services, cfn_show_services_cmd,
      "show bgp cfn services [json]$uj",
      SHOW_STR BGP_STR CFN_STR "Every SID known, with its egresses\n" JSON_STR)
{
	struct cfn_show show = {};

	return cfn_show_run(vty, !!uj, &show, cfn_print_services,
			    json_object_new_object());
}

DEFPY(cfn_show_service, cfn_show_service_cmd,
      "show bgp cfn service <A.B.C.D/M|X:X::X:X/M>$sid [json]$uj",
      SHOW_STR BGP_STR CFN_STR
      "One SID: every egress and instance, with metrics and IGP cost\n"
      "IPv4 service ID\n"
      "IPv6 service ID\n" JSON_STR)
{
	struct cfn_show show = {};
	struct cfn_prefix prefix;
	char reason[128];
	int ret;

	if (!cfn_prefix_parse(sid_str, &prefix, reason, sizeof(reason))) {
		vty_out(vty, "%% Invalid SID: %s\n", reason);
		return CMD_WARNING;
	}
	show.sid = &prefix;
	ret = cfn_show_run(vty, !!uj, &show, cfn_print_service,
			   json_object_new_object());
	if (!show.found && !uj)
		vty_out(vty, "%% No CFN data for SID %s\n", sid_str);
	return ret;
}

DEFPY(cfn_show_statistics, cfn_show_statistics_cmd,
      "show bgp cfn statistics [json]$uj",
      SHOW_STR BGP_STR CFN_STR "Update and decode counters\n" JSON_STR)
{
	struct cfn_show show = {};
	json_object *json = json_object_new_object();
	json_object *japi = json_object_new_object();
	struct cfn_api_stats api;

	cfn_api_stats(&api);
	json_object_string_add(japi, "socket", cfn_api_socket_path());
	json_object_int_add(japi, "clients", api.clients);
	json_object_int_add(japi, "requests", api.requests);
	json_object_int_add(japi, "serviceChanges", api.changes);
	json_object_int_add(japi, "instanceReports", api.instance_reports);
	json_object_int_add(japi, "errorReplies", api.errors);
	json_object_int_add(japi, "framingErrors", api.framing_errors);
	json_object_int_add(japi, "refusedClients", api.refused_clients);
	json_object_int_add(japi, "slowClients", api.slow_clients);
	json_object_int_add(japi, "refusedPerUser", api.refused_per_user);
	json_object_int_add(japi, "idleClients", api.idle_clients);
	json_object_int_add(japi, "watchers", api.watchers);
	json_object_int_add(japi, "watchEvents", api.events);
	json_object_object_add(json, "api", japi);
	if (!uj)
		vty_out(vty,
			"API on %s: %" PRIu64 " clients, %" PRIu64
			" requests (%" PRIu64 " changed a service, %" PRIu64
			" instances reported), %" PRIu64
			" error replies, %" PRIu64 " framing errors, %" PRIu64
			" clients refused (%" PRIu64 " max-clients, %" PRIu64
			" max-clients-per-user), %" PRIu64
			" closed for not reading, %" PRIu64 " closed idle\n",
			cfn_api_socket_path(), api.clients, api.requests,
			api.changes, api.instance_reports, api.errors,
			api.framing_errors,
			api.refused_clients + api.refused_per_user,
			api.refused_clients, api.refused_per_user,
			api.slow_clients, api.idle_clients);
	if (!uj)
		vty_out(vty,
			"API watch: %" PRIu64 " watchers, %" PRIu64
			" events sent\n",
			api.watchers, api.events);
	return cfn_show_run(vty, !!uj, &show, cfn_print_statistics, json);
}

DEFPY(cfn_show_instances, cfn_show_instances_cmd,
      "show bgp cfn instances [json]$uj",
      SHOW_STR BGP_STR CFN_STR
      "Local service instances, configured or registered over the API\n" JSON_STR)
{
	struct cfn_show show = {};

	return cfn_show_run(vty, !!uj, &show, cfn_print_instances,
			    json_object_new_object());
}

DEFPY(cfn_show_selection, cfn_show_selection_cmd,
      "show bgp cfn selection [<A.B.C.D/M|X:X::X:X/M>$sid] [json]$uj",
      SHOW_STR BGP_STR CFN_STR
      "Chosen egresses and weights, every candidate's score and verdict\n"
      "IPv4 service ID\n"
      "IPv6 service ID\n" JSON_STR)
{
	struct cfn_show show = {};
	struct cfn_prefix prefix;
	char reason[128];
	int ret;

	if (sid_str) {
		if (!cfn_prefix_parse(sid_str, &prefix, reason,
				      sizeof(reason))) {
			vty_out(vty, "%% Invalid SID: %s\n", reason);
			return CMD_WARNING;
		}
		show.sid = &prefix;
	}
	ret = cfn_show_run(vty, !!uj, &show, cfn_print_selection,
			   json_object_new_object());
	if (sid_str && !show.found && !uj)
		vty_out(vty, "%% No CFN data for SID %s\n", sid_str);
	return ret;
}

void cfn_show_init(void)
{
	install_element(VIEW_NODE, &cfn_show_cmd);
	install_element(VIEW_NODE, &cfn_show_services_cmd);
	install_element(VIEW_NODE, &cfn_show_service_cmd);
	install_element(VIEW_NODE, &cfn_show_statistics_cmd);
	install_element(VIEW_NODE, &cfn_show_selection_cmd);
	install_element(VIEW_NODE, &cfn_show_instances_cmd);
}
