/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Selection -> FIB. For each SID, run the service's selection policy on
 * the per-service view and install the chosen egresses into zebra,
 * resolved to gateway + interface with their weights (zebra 8.4 drops
 * weights on recursively resolved next hops).
 *
 * The module has its own zebra client, (BGP, instance CFN_ZEBRA_INSTANCE):
 * bgpd's client is instance 0, and a route of the same (type, instance)
 * would replace bgpd's own. Both routes to a SID coexist in zebra; ours
 * has the lower distance, so it is the one in the kernel, and bgpd's
 * takes over by itself if ours goes. When bgpd stops, zebra removes the
 * routes of its clients; when zebra restarts, everything is sent again.
 */
#include <zebra.h>

#include "nexthop.h"
#include "privs.h"
#include "zclient.h"

#include "bgpd/bgpd.h"

#include "cfn_debug.h"
#include "cfn_module.h"
#include "cfn_nhg.h"
#include "cfn_select.h"

#define CFN_ZEBRA_INSTANCE 0xcf /* any non-zero instance of ZEBRA_ROUTE_BGP */
#define CFN_DISTANCE 19		/* ahead of bgpd's own eBGP routes (20) */

extern struct zebra_privs_t bgpd_privs; /* bgp_main.c */

static struct zclient *cfn_zclient;

void cfn_policy_for(const struct cfn_instance *ci, const struct cfn_prefix *sid,
		    struct cfn_policy *policy)
{
	const struct cfn_service *service =
		cfn_service_find_sid(&ci->services, sid);

	*policy = ci->policy;
	if (service)
		cfn_policy_merge(policy, &service->policy,
				 service->policy_fields);
}

static const struct cfn_egress *cfn_egress_of(const struct cfn_sid_view *sv,
					      uint32_t node_id)
{
	for (size_t i = 0; i < sv->egresses.count; i++) {
		const struct cfn_egress *egress = sv->egresses.items[i];

		if (egress->node_id == node_id)
			return egress;
	}
	return NULL;
}

/* Add a next hop, merging one already there (same gateway, interface). */
static void cfn_add_nexthop(struct zapi_route *api, const struct cfn_hop *hop,
			    vrf_id_t vrf_id, unsigned int weight)
{
	struct zapi_nexthop *nh;
	struct prefix gw;

	cfn_prefix_to_frr(&hop->gateway, &gw);
	for (unsigned int i = 0; i < api->nexthop_num; i++) {
		nh = &api->nexthops[i];
		if (nh->ifindex == (ifindex_t)hop->ifindex &&
		    memcmp(&nh->gate, &gw.u.prefix, sizeof(nh->gate.ipv6)) ==
			    0) {
			nh->weight += weight;
			return;
		}
	}
	if (api->nexthop_num >= MULTIPATH_NUM)
		return;
	nh = &api->nexthops[api->nexthop_num++];
	memset(nh, 0, sizeof(*nh));
	nh->vrf_id = vrf_id;
	nh->ifindex = hop->ifindex;
	nh->weight = weight;
	if (gw.family == AF_INET) {
		nh->type = NEXTHOP_TYPE_IPV4_IFINDEX;
		nh->gate.ipv4 = gw.u.prefix4;
	} else {
		nh->type = NEXTHOP_TYPE_IPV6_IFINDEX;
		nh->gate.ipv6 = gw.u.prefix6;
	}
}

/* Kernel weights are 8 bits: scale the merged weights into 1..255. */
static void cfn_scale_weights(struct zapi_route *api)
{
	uint64_t top = 0;

	for (unsigned int i = 0; i < api->nexthop_num; i++)
		top = MAX(top, api->nexthops[i].weight);
	for (unsigned int i = 0; top > 255 && i < api->nexthop_num; i++)
		api->nexthops[i].weight =
			MAX(1, (api->nexthops[i].weight * 255 + top / 2) / top);
}

static void cfn_route_base(struct cfn_instance *ci,
			   const struct cfn_prefix *sid, struct zapi_route *api)
{
	memset(api, 0, sizeof(*api));
	api->vrf_id = ci->bgp->vrf_id;
	api->type = ZEBRA_ROUTE_BGP;
	api->instance = CFN_ZEBRA_INSTANCE;
	api->safi = SAFI_UNICAST;
	cfn_prefix_to_frr(sid, &api->prefix);
}

void cfn_fib_withdraw(struct cfn_instance *ci, const struct cfn_prefix *sid)
{
	struct zapi_route api;

	cfn_route_base(ci, sid, &api);
	cfn_nhg_remove(&api.prefix);
	if (cfn_zclient && cfn_zclient->sock >= 0)
		zclient_route_send(ZEBRA_ROUTE_DELETE, cfn_zclient, &api);
}

static void cfn_nhg_member_of(const struct zapi_nexthop *nh,
			      struct cfn_nhg_member *m)
{
	memset(m, 0, sizeof(*m));
	m->gateway.family =
		nh->type == NEXTHOP_TYPE_IPV4_IFINDEX ? AF_INET : AF_INET6;
	m->gateway.prefixlen = m->gateway.family == AF_INET ? 32 : 128;
	memcpy(&m->gateway.u.prefix, &nh->gate,
	       m->gateway.family == AF_INET ? 4 : 16);
	m->ifindex = (uint32_t)nh->ifindex;
	m->weight = (uint8_t)MAX(1, MIN(255, nh->weight));
}

/*
 * An egress that still serves the SID: advertised, reachable and with
 * instances. Only its next hops may keep established flows when it
 * leaves the selection; nobody would answer them anywhere else.
 */
static size_t cfn_serving_hops(const struct cfn_sid_view *sv,
			       struct cfn_nhg_member *hops, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sv->egresses.count; i++) {
		const struct cfn_egress *egress = sv->egresses.items[i];

		if (!cfn_egress_serves(egress))
			continue;
		for (unsigned int h = 0; h < egress->n_hops && n < max; h++) {
			struct prefix gw;

			cfn_prefix_to_frr(&egress->hops[h].gateway, &gw);
			gw.prefixlen = gw.family == AF_INET ? IPV4_MAX_BITLEN
							    : IPV6_MAX_BITLEN;
			hops[n++] = (struct cfn_nhg_member){
				.gateway = gw,
				.ifindex = egress->hops[h].ifindex,
			};
		}
	}
	return n;
}

/*
 * With flow affinity, the next hops go into a resilient nexthop group the
 * module owns, instead of a zebra route; false when affinity is off or
 * impossible (then weighted ECMP through zebra).
 */
static bool cfn_fib_affinity(const struct cfn_sid_view *sv,
			     const struct cfn_policy *policy,
			     const struct zapi_route *api)
{
	struct cfn_nhg_member members[CFN_NHG_MEMBERS_MAX];
	struct cfn_nhg_member serving[CFN_NHG_MEMBERS_MAX];
	struct cfn_nhg_request req = {
		.members = members,
		.serving = serving,
		.buckets = policy->affinity_buckets,
		.idle_timer_s = policy->affinity_idle_s,
	};

	if (!policy->affinity_idle_s || !cfn_nhg_supported()) {
		cfn_nhg_remove(&api->prefix);
		return false;
	}
	for (; req.count < api->nexthop_num && req.count < CFN_NHG_MEMBERS_MAX;
	     req.count++)
		cfn_nhg_member_of(&api->nexthops[req.count],
				  &members[req.count]);
	req.n_serving = cfn_serving_hops(sv, serving, CFN_NHG_MEMBERS_MAX);
	return cfn_nhg_install(&api->prefix, &req);
}

/*
 * Install what sv->selection chose. Egresses reached over several IGP
 * paths share their weight between them. A local egress (this node
 * serves the SID itself) needs no route: without remote egresses the
 * route is withdrawn.
 */
static void cfn_fib_install(struct cfn_instance *ci,
			    const struct cfn_sid_view *sv,
			    const struct cfn_policy *policy)
{
	const struct cfn_selection *sel = &sv->selection;
	struct zapi_route api;

	if (!cfn_zclient || cfn_zclient->sock < 0)
		return;
	cfn_route_base(ci, &sv->sid, &api);
	for (unsigned int i = 0; i < sel->count; i++) {
		const struct cfn_egress *egress =
			cfn_egress_of(sv, sel->chosen[i].node_id);

		for (unsigned int h = 0; egress && h < egress->n_hops; h++)
			cfn_add_nexthop(
				&api, &egress->hops[h], ci->bgp->vrf_id,
				MAX(1, sel->chosen[i].weight / egress->n_hops));
	}
	if (!api.nexthop_num) {
		cfn_fib_withdraw(ci, &sv->sid);
		return;
	}
	cfn_scale_weights(&api);
	if (cfn_fib_affinity(sv, policy, &api)) {
		/* the kernel route through the group serves the SID alone */
		zclient_route_send(ZEBRA_ROUTE_DELETE, cfn_zclient, &api);
		return;
	}
	SET_FLAG(api.message, ZAPI_MESSAGE_NEXTHOP);
	SET_FLAG(api.message, ZAPI_MESSAGE_DISTANCE);
	api.distance = CFN_DISTANCE;
	zclient_route_send(ZEBRA_ROUTE_ADD, cfn_zclient, &api);
}

/* Install again, outside a selection run: with the SID's policy. */
static void cfn_fib_reinstall(struct cfn_instance *ci,
			      const struct cfn_sid_view *sv)
{
	struct cfn_policy policy;

	cfn_policy_for(ci, &sv->sid, &policy);
	cfn_fib_install(ci, sv, &policy);
}

static void cfn_log_selection(const struct cfn_instance *ci,
			      const struct cfn_sid_view *sv)
{
	const struct cfn_selection *sel = &sv->selection;
	char sid[CFN_PREFIX_STRLEN], chosen[256] = "";
	size_t used = 0;

	for (unsigned int i = 0; i < sel->count && used < sizeof(chosen); i++)
		used += snprintfrr(
			chosen + used, sizeof(chosen) - used, " %pI4/%u",
			&(struct in_addr){
				.s_addr = htonl(sel->chosen[i].node_id)},
			sel->chosen[i].weight);
	CFN_DEBUG(selection, "%s: selection #%" PRIu64 " for %s:%s%s",
		  ci->bgp->name_pretty, sel->changes,
		  cfn_prefix_format(&sv->sid, sid, sizeof(sid)),
		  sel->count ? chosen : " nothing reachable",
		  sel->fallback ? " (fallback: no egress eligible)" : "");
}

static void cfn_fib_run(struct cfn_instance *ci, struct cfn_sid_view *sv,
			const struct cfn_policy *policy, bool path_changed)
{
	if (cfn_select(policy, sv, cfn_now_ms(), NULL)) {
		ci->stats.selection_changes++;
		cfn_log_selection(ci, sv);
	} else if (!path_changed) {
		return; /* same choice over the same next hops */
	}
	cfn_fib_install(ci, sv, policy);
}

void cfn_fib_select(struct cfn_instance *ci, struct cfn_sid_view *sv,
		    bool path_changed)
{
	struct cfn_policy policy;

	cfn_policy_for(ci, &sv->sid, &policy);
	cfn_fib_run(ci, sv, &policy, path_changed);
}

/*
 * Every second: a SID whose policy has stale-after is selected again,
 * since data grows stale with time, not with an event; a group with
 * retiring members is installed again to let idle ones go, and one that
 * lacks a selected next hop to try it again.
 */
void cfn_fib_sweep(struct cfn_instance *ci)
{
	for (size_t i = 0; i < ci->view.sids.count; i++) {
		struct cfn_sid_view *sv = ci->view.sids.items[i];
		struct cfn_policy policy;
		struct prefix p;

		cfn_policy_for(ci, &sv->sid, &policy);
		if (policy.stale_after_s)
			cfn_fib_run(ci, sv, &policy, false);
		cfn_prefix_to_frr(&sv->sid, &p);
		if (cfn_nhg_unsettled(&p))
			cfn_fib_install(ci, sv, &policy);
	}
}

void cfn_fib_select_all(struct cfn_instance *ci)
{
	for (size_t i = 0; i < ci->view.sids.count; i++)
		cfn_fib_select(ci, ci->view.sids.items[i], true);
}

static void cfn_fib_resend(struct cfn_instance *ci, void *arg)
{
	for (size_t i = 0; i < ci->view.sids.count; i++)
		cfn_fib_reinstall(ci, ci->view.sids.items[i]);
}

static void cfn_fib_resync_sid(struct cfn_instance *ci, void *arg)
{
	struct cfn_sid_view *sv = cfn_view_find(&ci->view, arg);

	if (sv)
		cfn_fib_reinstall(ci, sv);
}

static void cfn_zebra_connected(struct zclient *zclient)
{
	cfn_instance_foreach(cfn_fib_resend, NULL);
}

/* The kernel changed a SID's resilient group: install the selection. */
static void cfn_fib_resync(const struct prefix *p)
{
	struct cfn_prefix sid;

	if (cfn_prefix_from_frr(p, &sid))
		cfn_instance_foreach(cfn_fib_resync_sid, &sid);
}

void cfn_fib_init(struct cfn_event_loop *master)
{
	cfn_nhg_init(master, cfn_fib_resync);
	cfn_zclient = zclient_new(master, CFN_ZCLIENT_OPTIONS, NULL, 0);
	zclient_init(cfn_zclient, ZEBRA_ROUTE_BGP, CFN_ZEBRA_INSTANCE,
		     &bgpd_privs);
	cfn_zclient->zebra_connected = cfn_zebra_connected;
}

void cfn_fib_fini(void)
{
	cfn_nhg_fini();
	if (!cfn_zclient)
		return;
	zclient_stop(cfn_zclient);
	zclient_free(cfn_zclient);
	cfn_zclient = NULL;
}
