/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Trust controls per neighbour or peer group (lib/cfn_trust.h) on
 * received CFN data: the configuration under "router bgp", its use on
 * every received path, what each control dropped, clamped or damped,
 * and "show bgp cfn trust".
 */
#include <zebra.h>

#include "command.h"
#include "json.h"
#include "linklist.h"
#include "memory.h"
#include "vty.h"

#include "bgpd/bgpd.h"

#include "cfn_debug.h"
#include "cfn_module.h"
#include "cfn_trust_bgp.h"

DEFINE_MTYPE_STATIC(CFN, CFN_TRUST, "CFN neighbour trust");

#define CFN_TRUST_NAME_LEN 64

/*
 * One neighbour address or peer group name of one BGP instance: its
 * configuration, if any, and the counters of the peer of that address.
 */
struct cfn_trust_entry {
	struct bgp *bgp;
	char name[CFN_TRUST_NAME_LEN];
	struct cfn_trust_config config;
	uint64_t counters[CFN_TRUST_COUNTER_COUNT];
};

static struct list *cfn_trust_entries;

static struct cfn_trust_entry *cfn_trust_find(const struct bgp *bgp,
					      const char *name)
{
	struct listnode *node;
	struct cfn_trust_entry *entry;

	for (ALL_LIST_ELEMENTS_RO(cfn_trust_entries, node, entry))
		if (entry->bgp == bgp && !strcmp(entry->name, name))
			return entry;
	return NULL;
}

static struct cfn_trust_entry *cfn_trust_get(struct bgp *bgp, const char *name)
{
	struct cfn_trust_entry *entry = cfn_trust_find(bgp, name);

	if (entry)
		return entry;
	entry = XCALLOC(MTYPE_CFN_TRUST, sizeof(*entry));
	entry->bgp = bgp;
	strlcpy(entry->name, name, sizeof(entry->name));
	listnode_add_sort(cfn_trust_entries, entry);
	return entry;
}

static int cfn_trust_entry_cmp(void *a, void *b)
{
	const struct cfn_trust_entry *ea = a, *eb = b;

	return strcmp(ea->name, eb->name);
}

static bool cfn_peer_is_ebgp(const struct peer *peer)
{
	return peer->sort == BGP_PEER_EBGP;
}

static void cfn_trust_policy_of(const struct peer *peer,
				struct cfn_trust_policy *policy)
{
	const struct cfn_trust_entry *own =
		cfn_trust_find(peer->bgp, peer->host);
	const struct cfn_trust_entry *group =
		peer->group ? cfn_trust_find(peer->bgp, peer->group->name)
			    : NULL;

	cfn_trust_resolve(policy, cfn_peer_is_ebgp(peer),
			  group ? &group->config : NULL,
			  own ? &own->config : NULL);
}

static void cfn_trust_count(struct peer *peer, enum cfn_trust_counter counter,
			    const struct cfn_prefix *sid)
{
	char buf[CFN_PREFIX_STRLEN];

	cfn_trust_get(peer->bgp, peer->host)->counters[counter]++;
	CFN_DEBUG(updates, "%s from %s: trust control %s",
		  cfn_prefix_format(sid, buf, sizeof(buf)), peer->host,
		  cfn_trust_counter_name(counter));
}

/* Would accepting data for sid from peer exceed its SID limit? */
static bool cfn_trust_over_sid_limit(const struct cfn_trust_policy *policy,
				     const struct peer *peer,
				     const struct cfn_view *view,
				     const struct cfn_prefix *sid)
{
	const struct cfn_sid_view *sv = cfn_view_find(view, sid);

	if (!policy->max_sids ||
	    (sv && cfn_sid_view_has_source(sv, peer->host)))
		return false;
	return cfn_view_sids_from(view, peer->host, sid) >= policy->max_sids;
}

bool cfn_trust_admit(struct peer *peer, const struct cfn_view *view,
		     const struct cfn_prefix *sid, bool count,
		     struct cfn_egress *candidate)
{
	struct cfn_trust_policy policy;
	uint64_t clamped[CFN_TRUST_COUNTER_COUNT] = {};
	enum cfn_trust_counter verdict = CFN_TRUST_COUNTER_COUNT;

	if (peer == peer->bgp->peer_self)
		return true;
	cfn_trust_policy_of(peer, &policy);
	if (!policy.accept)
		verdict = CFN_TRUST_REJECTED;
	else if (cfn_trust_over_sid_limit(&policy, peer, view, sid))
		verdict = CFN_TRUST_SID_LIMIT;
	if (verdict != CFN_TRUST_COUNTER_COUNT) {
		if (count)
			cfn_trust_count(peer, verdict, sid);
		return false;
	}
	cfn_trust_clamp(&policy, &candidate->attr, clamped);
	if (count)
		for (int c = 0; c < CFN_TRUST_COUNTER_COUNT; c++)
			if (clamped[c])
				cfn_trust_count(peer, c, sid);
	candidate->max_changes = policy.max_changes;
	candidate->window_s = policy.window_s;
	return true;
}

void cfn_trust_count_damped(struct bgp *bgp,
			    const struct cfn_egress *candidates, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (candidates[i].damped)
			cfn_trust_get(bgp, candidates[i].source)
				->counters[CFN_TRUST_DAMPED]++;
}

/* -- configuration --------------------------------------------------- */

/* The policy changed: apply it to the paths already received. */
static void cfn_trust_changed(struct bgp *bgp)
{
	cfn_receive_rescan(cfn_instance_get(bgp, true));
}

static const char *const cfn_trust_field_words[] = {
	"data", "max-score", "max-capacity", "max-sids", "change-limit",
};

static unsigned int cfn_trust_field_of(const char *word)
{
	for (size_t i = 0; i < array_size(cfn_trust_field_words); i++)
		if (!strcmp(word, cfn_trust_field_words[i]))
			return 1u << i;
	return 0;
}

static int cfn_trust_set(struct vty *vty, struct bgp *bgp, const char *name,
			 unsigned int field,
			 const struct cfn_trust_policy *values)
{
	struct cfn_trust_config *config;

	if (strlen(name) >= CFN_TRUST_NAME_LEN) {
		vty_out(vty,
			"%% Neighbour or peer group name longer than %d characters\n",
			CFN_TRUST_NAME_LEN - 1);
		return CMD_WARNING_CONFIG_FAILED;
	}
	config = &cfn_trust_get(bgp, name)->config;
	config->set |= field;
	switch (field) {
	case CFN_TRUST_ACCEPT:
		config->values.accept = values->accept;
		break;
	case CFN_TRUST_MAX_SCORE:
		config->values.max_score = values->max_score;
		break;
	case CFN_TRUST_MAX_CAPACITY:
		config->values.max_capacity = values->max_capacity;
		break;
	case CFN_TRUST_MAX_SIDS:
		config->values.max_sids = values->max_sids;
		break;
	case CFN_TRUST_CHANGE_LIMIT:
		config->values.max_changes = values->max_changes;
		config->values.window_s = values->window_s;
		break;
	}
	cfn_trust_changed(bgp);
	return CMD_SUCCESS;
}

static void cfn_trust_unset(struct bgp *bgp, const char *name,
			    unsigned int fields)
{
	struct cfn_trust_entry *entry = cfn_trust_find(bgp, name);

	if (!entry || !(entry->config.set & fields))
		return;
	entry->config.set &= ~fields;
	cfn_trust_changed(bgp);
}

void cfn_trust_foreach_config(const struct bgp *bgp,
			      void (*fn)(const char *name,
					 const struct cfn_trust_config *config,
					 void *arg),
			      void *arg)
{
	struct listnode *node;
	struct cfn_trust_entry *entry;

	for (ALL_LIST_ELEMENTS_RO(cfn_trust_entries, node, entry))
		if (entry->bgp == bgp && entry->config.set)
			fn(entry->name, &entry->config, arg);
}

#define CFN_TRUST_CFN_STR "Compute-aware anycast (CFN)\n"
#define CFN_NEIGHBOR_STR                                                       \
	CFN_TRUST_CFN_STR                                                      \
	"Trust in the CFN data a neighbour or peer group sends\n"              \
	"Neighbour address\n"                                                  \
	"Neighbour IPv6 address\n"                                             \
	"Peer group name\n"

#ifndef VTYSH_EXTRACT_PL
#include "bgpd-ext/cfn_trust_bgp_clippy.c"
#endif

DEFPY(cfn_trust, cfn_trust_cmd,
      "cfn neighbor <A.B.C.D|X:X::X:X|WORD>$name <data <accept|ignore>$verdict|max-score (0-10)$score|max-capacity (1-4294967295)$capacity|max-sids (1-4294967295)$sids|change-limit (1-1000)$changes per (1-86400)$window>",
      CFN_NEIGHBOR_STR
      "Use its CFN data (default: accepted from iBGP, ignored from eBGP)\n"
      "Accept it\n"
      "Ignore it: its routes stay plain BGP routes\n"
      "Lower every score it sends (egress and instances) to at most this\n"
      "Score, 0 to 10\n"
      "Lower every capacity it sends (egress and instances) to at most this\n"
      "Capacity\n"
      "Accept its CFN data for at most this many SIDs (the first ones)\n"
      "Number of SIDs\n"
      "Hold back an egress's data once it changed this often in a window\n"
      "Changes accepted per window\n"
      "Window\n"
      "Window length, seconds\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_trust_policy values = {
		.accept = verdict && !strcmp(verdict, "accept"),
		.max_score = (uint8_t)score,
		.max_capacity = (uint32_t)capacity,
		.max_sids = (uint32_t)sids,
		.max_changes = (uint32_t)changes,
		.window_s = (uint32_t)window,
	};
	unsigned int field = verdict	    ? CFN_TRUST_ACCEPT
			     : score_str    ? CFN_TRUST_MAX_SCORE
			     : capacity_str ? CFN_TRUST_MAX_CAPACITY
			     : sids_str	    ? CFN_TRUST_MAX_SIDS
					    : CFN_TRUST_CHANGE_LIMIT;

	return cfn_trust_set(vty, bgp, name, field, &values);
}

DEFPY(no_cfn_trust, no_cfn_trust_cmd,
      "no cfn neighbor <A.B.C.D|X:X::X:X|WORD>$name [<data$what [<accept|ignore>]|max-score$what [(0-10)]|max-capacity$what [(1-4294967295)]|max-sids$what [(1-4294967295)]|change-limit$what [(1-1000) per (1-86400)]>]",
      NO_STR CFN_NEIGHBOR_STR
      "Accept or ignore its CFN data: back to the default\n"
      "Accept it\n"
      "Ignore it\n"
      "Score bound\n"
      "Score (ignored)\n"
      "Capacity bound\n"
      "Capacity (ignored)\n"
      "SID limit\n"
      "Number of SIDs (ignored)\n"
      "Change limit\n"
      "Changes (ignored)\n"
      "Window\n"
      "Window length (ignored)\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);

	cfn_trust_unset(bgp, name, what ? cfn_trust_field_of(what) : ~0u);
	return CMD_SUCCESS;
}

/* -- show ------------------------------------------------------------ */

static void cfn_trust_json_policy(json_object *j,
				  const struct cfn_trust_policy *policy)
{
	json_object_boolean_add(j, "accept", policy->accept);
	json_object_int_add(j, "maxScore", policy->max_score);
	json_object_int_add(j, "maxCapacity", policy->max_capacity);
	json_object_int_add(j, "maxSids", policy->max_sids);
	json_object_int_add(j, "changeLimit", policy->max_changes);
	json_object_int_add(j, "changeWindow", policy->window_s);
}

static void cfn_trust_show_peer(struct vty *vty, json_object *jarr,
				struct peer *peer)
{
	const struct cfn_trust_entry *entry =
		cfn_trust_find(peer->bgp, peer->host);
	static const uint64_t none[CFN_TRUST_COUNTER_COUNT];
	const uint64_t *counters = entry ? entry->counters : none;
	struct cfn_trust_policy policy;

	cfn_trust_policy_of(peer, &policy);
	if (jarr) {
		json_object *j = json_object_new_object();
		json_object *jc = json_object_new_object();

		json_object_string_add(j, "neighbor", peer->host);
		json_object_string_add(
			j, "session", cfn_peer_is_ebgp(peer) ? "ebgp" : "ibgp");
		if (peer->group)
			json_object_string_add(j, "peerGroup",
					       peer->group->name);
		cfn_trust_json_policy(j, &policy);
		for (int c = 0; c < CFN_TRUST_COUNTER_COUNT; c++)
			json_object_int_add(jc, cfn_trust_counter_name(c),
					    counters[c]);
		json_object_object_add(j, "counters", jc);
		json_object_array_add(jarr, j);
		return;
	}
	vty_out(vty,
		"  %s (%s%s%s): CFN data %s, max-score %u, max-capacity %u, max-sids %u, change-limit %u per %u s\n",
		peer->host, cfn_peer_is_ebgp(peer) ? "eBGP" : "iBGP",
		peer->group ? ", peer group " : "",
		peer->group ? peer->group->name : "",
		policy.accept ? "accepted" : "ignored", policy.max_score,
		policy.max_capacity, policy.max_sids, policy.max_changes,
		policy.window_s);
	vty_out(vty, "    ");
	for (int c = 0; c < CFN_TRUST_COUNTER_COUNT; c++)
		vty_out(vty, "%s %" PRIu64 "%s", cfn_trust_counter_name(c),
			counters[c],
			c + 1 < CFN_TRUST_COUNTER_COUNT ? ", " : "\n");
}

static void cfn_trust_show_instance(struct cfn_instance *ci, void *arg)
{
	struct vty *vty = ((void **)arg)[0];
	json_object *json = ((void **)arg)[1], *jarr = NULL;
	struct listnode *node;
	struct peer *peer;

	if (json) {
		json_object *jinst = json_object_new_object();

		jarr = json_object_new_array();
		json_object_string_add(jinst, "vrfName",
				       ci->bgp->name ? ci->bgp->name
						     : VRF_DEFAULT_NAME);
		json_object_int_add(jinst, "localAS", ci->bgp->as);
		json_object_object_add(jinst, "neighbors", jarr);
		json_object_array_add(json, jinst);
	} else {
		vty_out(vty, "BGP instance %s:\n", ci->bgp->name_pretty);
	}
	for (ALL_LIST_ELEMENTS_RO(ci->bgp->peer, node, peer))
		cfn_trust_show_peer(vty, jarr, peer);
}

DEFPY(cfn_show_trust, cfn_show_trust_cmd, "show bgp cfn trust [json]$uj",
      SHOW_STR BGP_STR CFN_TRUST_CFN_STR
      "Trust in each neighbour's CFN data, and what each control dropped, clamped or damped\n" JSON_STR)
{
	json_object *json = uj ? json_object_new_object() : NULL;
	json_object *jinstances = uj ? json_object_new_array() : NULL;
	void *arg[] = {vty, jinstances};

	cfn_instance_foreach(cfn_trust_show_instance, arg);
	if (!uj)
		return CMD_SUCCESS;
	json_object_object_add(json, "instances", jinstances);
	return vty_json(vty, json);
}

/* -- life cycle ------------------------------------------------------ */

static int cfn_trust_bgp_delete(struct bgp *bgp)
{
	struct listnode *node, *next;
	struct cfn_trust_entry *entry;

	for (ALL_LIST_ELEMENTS(cfn_trust_entries, node, next, entry))
		if (entry->bgp == bgp) {
			list_delete_node(cfn_trust_entries, node);
			XFREE(MTYPE_CFN_TRUST, entry);
		}
	return 0;
}

static void cfn_trust_entry_free(void *entry)
{
	XFREE(MTYPE_CFN_TRUST, entry);
}

void cfn_trust_init(void)
{
	cfn_trust_entries = list_new();
	cfn_trust_entries->cmp = cfn_trust_entry_cmp;
	cfn_trust_entries->del = cfn_trust_entry_free;
	hook_register(bgp_inst_delete, cfn_trust_bgp_delete);
	install_element(BGP_NODE, &cfn_trust_cmd);
	install_element(BGP_NODE, &no_cfn_trust_cmd);
	install_element(VIEW_NODE, &cfn_show_trust_cmd);
}

void cfn_trust_fini(void)
{
	hook_unregister(bgp_inst_delete, cfn_trust_bgp_delete);
	list_delete(&cfn_trust_entries);
}
