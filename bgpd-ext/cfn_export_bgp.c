/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What each neighbour gets of the CFN attribute and of the IETF Edge
 * Metadata (code 42): "set cfn export (cfn|edge-metadata|both|none)" in
 * a route-map applied with "neighbor X route-map NAME out".
 *
 * Neither FRR 8.4 nor 10.3 has a hook on the attributes sent to one
 * neighbour; an outbound route-map is the one place where bgpd lets
 * policy edit them per neighbour or peer group, and bgpd already splits
 * update groups by outbound route-map. The rule edits the copy of the
 * attributes that bgpd interns for the update group, so it applies to
 * originated and forwarded routes alike (doc/architecture.md).
 *
 * The route-map configuration itself is YANG in both releases and a
 * module cannot add to FRR's schema: the rule is kept in the route-map
 * entry (lib/routemap.c keeps and frees it with the entry) and written
 * back by following the entry's cli_show_end callback, which prints the
 * entry's "exit".
 */
#include <zebra.h>

#include "command.h"
#include "json.h"
#include "northbound.h"
#include "routemap.h"
#include "vty.h"

#include "bgpd/bgpd.h"
#include "bgpd/bgp_attr.h"
#include "bgpd/bgp_route.h"

#include "cfn_attr.h"
#include "cfn_attr_bgp.h"
#include "cfn_debug.h"
#include "cfn_edgemeta.h"
#include "cfn_edgemeta_bgp.h"
#include "cfn_export_bgp.h"
#include "cfn_frr_compat.h"
#include "cfn_instance.h"

DEFINE_MTYPE_STATIC(CFN, CFN_EXPORT_RULE, "CFN route-map export rule");

#define CFN_EXPORT_RULE_NAME "cfn export"
#define CFN_EXPORT_ENTRY_XPATH "/frr-route-map:lib/route-map/entry"

enum cfn_export {
	CFN_EXPORT_CFN,
	CFN_EXPORT_EDGEMETA,
	CFN_EXPORT_BOTH,
	CFN_EXPORT_NONE,
	CFN_EXPORT_COUNT,
};

static const char *const cfn_export_names[CFN_EXPORT_COUNT] = {
	[CFN_EXPORT_CFN] = "cfn",
	[CFN_EXPORT_EDGEMETA] = "edge-metadata",
	[CFN_EXPORT_BOTH] = "both",
	[CFN_EXPORT_NONE] = "none",
};

/* What the rule did, counted per route and update group it applied to. */
enum cfn_export_counter {
	CFN_EXPORT_CFN_REMOVED,
	CFN_EXPORT_EDGEMETA_ADDED,
	CFN_EXPORT_EDGEMETA_REMOVED,
	CFN_EXPORT_UNDECODABLE, /* no Edge Metadata: CFN value malformed */
	CFN_EXPORT_COUNTER_COUNT,
};

static const char *const cfn_export_counter_names[CFN_EXPORT_COUNTER_COUNT] = {
	[CFN_EXPORT_CFN_REMOVED] = "cfnAttributeRemoved",
	[CFN_EXPORT_EDGEMETA_ADDED] = "edgeMetadataAdded",
	[CFN_EXPORT_EDGEMETA_REMOVED] = "edgeMetadataRemoved",
	[CFN_EXPORT_UNDECODABLE] = "cfnAttributeUndecodable",
};

static uint64_t cfn_export_counters[CFN_EXPORT_COUNTER_COUNT];
static uint64_t cfn_export_applied[CFN_EXPORT_COUNT];

/*
 * The reference that keeps the last edited transit alive: an interned
 * attribute set holding only it. bgpd 8.4 drops the outbound copy
 * without freeing what is not interned in it when the result equals what
 * the neighbours already have (duplicate suppression) or is not sent,
 * so the edited transit is interned at once. bgpd interns or drops that
 * copy before it applies any route-map again: the transit then needs no
 * reference of ours beyond the next edit.
 */
static struct attr *cfn_export_holder;

/* Intern transit (not interned) and keep the one reference to it. */
static struct transit *cfn_export_hold(struct transit *transit)
{
	struct attr carrier = {};
	struct attr *previous = cfn_export_holder;

	bgp_attr_set_transit(&carrier, transit);
	cfn_export_holder = bgp_attr_intern(&carrier);
	if (previous)
		bgp_attr_unintern(&previous);
	return bgp_attr_get_transit(cfn_export_holder);
}

static bool cfn_export_keeps_cfn(enum cfn_export export)
{
	return export == CFN_EXPORT_CFN || export == CFN_EXPORT_BOTH;
}

static bool cfn_export_sends_edgemeta(enum cfn_export export)
{
	return export == CFN_EXPORT_EDGEMETA || export == CFN_EXPORT_BOTH;
}

static uint8_t cfn_export_attr_type(struct bgp *bgp)
{
	const struct cfn_instance *ci = cfn_instance_get(bgp, false);

	return ci ? ci->attr_type : CFN_ATTR_TYPE_DEFAULT;
}

/*
 * Rebuild the transit of the outbound copy of the attributes: the CFN
 * attribute kept or not, and the Edge Metadata always re-encoded from it
 * when sent, so that its bytes are those of "cfn edge-metadata send".
 * The copy's transit is interned: the path's, or the one an earlier
 * "set cfn export" of the same route-map left there, which the holder
 * keeps until the new one is held.
 */
static void cfn_export_edit(struct attr *attr, uint8_t type,
			    enum cfn_export export)
{
	struct transit *old = bgp_attr_get_transit(attr), *edited;
	const uint8_t drop[] = {CFN_EDGEMETA_ATTR_TYPE, type};
	const uint8_t *value;
	size_t len, em_len;
	bool had_edgemeta;

	value = cfn_transit_find(attr, type, &len);
	if (!value)
		return;
	had_edgemeta =
		cfn_transit_find(attr, CFN_EDGEMETA_ATTR_TYPE, &em_len) != NULL;
	edited = cfn_transit_without(old, drop,
				     cfn_export_keeps_cfn(export) ? 1 : 2);
	if (!cfn_export_keeps_cfn(export))
		cfn_export_counters[CFN_EXPORT_CFN_REMOVED]++;
	if (!cfn_export_sends_edgemeta(export))
		cfn_export_counters[CFN_EXPORT_EDGEMETA_REMOVED] +=
			had_edgemeta;
	else if (cfn_edgemeta_append(edited, value, len))
		cfn_export_counters[CFN_EXPORT_EDGEMETA_ADDED]++;
	else
		cfn_export_counters[CFN_EXPORT_UNDECODABLE]++;
	if (!edited->length) {
		cfn_transit_free(edited);
		bgp_attr_set_transit(attr, NULL);
		return;
	}
	bgp_attr_set_transit(attr, cfn_export_hold(edited));
}

static enum route_map_cmd_result_t
cfn_export_apply(void *rule, const struct prefix *p, void *object)
{
	const enum cfn_export *export = rule;
	struct bgp_path_info *path = object;

	/* The attributes a neighbour gets: inbound, the rule does nothing. */
	if (!CHECK_FLAG(path->peer->rmap_type, PEER_RMAP_TYPE_OUT))
		return RMAP_OKAY;
	cfn_export_applied[*export]++;
	cfn_export_edit(path->attr, cfn_export_attr_type(path->peer->bgp),
			*export);
	return RMAP_OKAY;
}

static void *cfn_export_compile(const char *arg)
{
	enum cfn_export *export;

	for (int e = 0; e < CFN_EXPORT_COUNT; e++)
		if (!strcmp(arg, cfn_export_names[e])) {
			export =
				XMALLOC(MTYPE_CFN_EXPORT_RULE, sizeof(*export));
			*export = e;
			return export;
		}
	return NULL;
}

static void cfn_export_free(void *rule)
{
	XFREE(MTYPE_CFN_EXPORT_RULE, rule);
}

static const struct route_map_rule_cmd cfn_export_rule = {
	CFN_EXPORT_RULE_NAME,
	cfn_export_apply,
	cfn_export_compile,
	cfn_export_free,
};

/* -- configuration ---------------------------------------------------- */

/*
 * The route-map entry the vty is in. It is looked up in the candidate
 * configuration: while a configuration file is read in one batch, the
 * entry is committed only at its end; route_map_index_get() creates the
 * library's entry now, as the commit will find it.
 */
static struct route_map_index *cfn_export_index(struct vty *vty)
{
	const struct lyd_node *entry;
	const char *map_name;
	enum route_map_type action;

	entry = yang_dnode_get(vty->candidate_config->dnode, VTY_CURR_XPATH);
	if (!entry) {
		vty_out(vty, "%% Not in a route-map entry\n");
		return NULL;
	}
	map_name = yang_dnode_get_string(entry, "../name");
	action = yang_dnode_get_enum(entry, "./action") == 0 ? RMAP_PERMIT
							     : RMAP_DENY;
	return route_map_index_get(route_map_get(map_name), action,
				   yang_dnode_get_uint16(entry, "./sequence"));
}

#define CFN_EXPORT_SET_HELP                                                    \
	"Compute-aware anycast (CFN)\n"                                        \
	"What the neighbour gets of the CFN attribute and of the Edge Metadata\n"
#define CFN_EXPORT_WHAT_HELP                                                    \
	"The CFN attribute only (Edge Metadata removed)\n"                      \
	"The IETF Edge Metadata only (code 42), built from the CFN attribute\n" \
	"Both\n"                                                                \
	"Neither: the CFN attribute and the Edge Metadata removed\n"

#ifndef VTYSH_EXTRACT_PL
#include "bgpd-ext/cfn_export_bgp_clippy.c"
#endif

DEFPY(cfn_set_export, cfn_set_export_cmd,
      "set cfn export <cfn|edge-metadata|both|none>$what",
      SET_STR CFN_EXPORT_SET_HELP CFN_EXPORT_WHAT_HELP)
{
	struct route_map_index *index = cfn_export_index(vty);

	if (!index)
		return CMD_WARNING_CONFIG_FAILED;
	if (route_map_add_set(index, CFN_EXPORT_RULE_NAME, what) !=
	    RMAP_COMPILE_SUCCESS) {
		vty_out(vty, "%% Cannot add set cfn export %s\n", what);
		return CMD_WARNING_CONFIG_FAILED;
	}
	CFN_DEBUG(events, "route-map %s %d: set cfn export %s",
		  index->map->name, index->pref, what);
	return CMD_SUCCESS;
}

DEFPY(no_cfn_set_export, no_cfn_set_export_cmd,
      "no set cfn export [<cfn|edge-metadata|both|none>]",
      NO_STR SET_STR CFN_EXPORT_SET_HELP CFN_EXPORT_WHAT_HELP)
{
	struct route_map_index *index = cfn_export_index(vty);

	if (!index)
		return CMD_WARNING_CONFIG_FAILED;
	/* Removing what is not there is no error, as for bgpd's sets. */
	route_map_delete_set(index, CFN_EXPORT_RULE_NAME, NULL);
	return CMD_SUCCESS;
}

/* bgpd's writer of a route-map entry's end ("exit"), which we follow. */
static void (*cfn_export_entry_end)(struct vty *vty,
				    const struct lyd_node *dnode);

static void cfn_export_show_entry_end(struct vty *vty,
				      const struct lyd_node *dnode)
{
	const struct route_map_index *index =
		nb_running_get_entry(dnode, NULL, false);
	const struct route_map_rule *rule;

	for (rule = index ? index->set_list.head : NULL; rule;
	     rule = rule->next)
		if (rule->cmd == &cfn_export_rule)
			vty_out(vty, " set cfn export %s\n", rule->rule_str);
	cfn_export_entry_end(vty, dnode);
}

static bool cfn_export_follow_config(void)
{
	struct nb_node *node = nb_node_find(CFN_EXPORT_ENTRY_XPATH);

	if (!node || !node->cbs.cli_show_end)
		return false;
	cfn_export_entry_end = node->cbs.cli_show_end;
	node->cbs.cli_show_end = cfn_export_show_entry_end;
	return true;
}

static void cfn_export_unfollow_config(void)
{
	struct nb_node *node = nb_node_find(CFN_EXPORT_ENTRY_XPATH);

	if (node && cfn_export_entry_end &&
	    node->cbs.cli_show_end == cfn_export_show_entry_end)
		node->cbs.cli_show_end = cfn_export_entry_end;
	cfn_export_entry_end = NULL;
}

/* -- show ------------------------------------------------------------ */

DEFPY(cfn_show_export, cfn_show_export_cmd, "show bgp cfn export [json]$uj",
      SHOW_STR BGP_STR
      "Compute-aware anycast (CFN)\n"
      "What \"set cfn export\" in outbound route-maps applied and changed\n" JSON_STR)
{
	json_object *json, *japplied;

	if (!uj) {
		vty_out(vty,
			"Outbound route-map \"set cfn export\", applied:\n");
		for (int e = 0; e < CFN_EXPORT_COUNT; e++)
			vty_out(vty, "  %-14s %" PRIu64 "\n",
				cfn_export_names[e], cfn_export_applied[e]);
		vty_out(vty, "Changes to the routes sent:\n");
		for (int c = 0; c < CFN_EXPORT_COUNTER_COUNT; c++)
			vty_out(vty, "  %-24s %" PRIu64 "\n",
				cfn_export_counter_names[c],
				cfn_export_counters[c]);
		return CMD_SUCCESS;
	}
	json = json_object_new_object();
	japplied = json_object_new_object();
	for (int e = 0; e < CFN_EXPORT_COUNT; e++)
		json_object_int_add(japplied, cfn_export_names[e],
				    cfn_export_applied[e]);
	json_object_object_add(json, "applied", japplied);
	for (int c = 0; c < CFN_EXPORT_COUNTER_COUNT; c++)
		json_object_int_add(json, cfn_export_counter_names[c],
				    cfn_export_counters[c]);
	return vty_json(vty, json);
}

void cfn_export_init(void)
{
	route_map_install_set(&cfn_export_rule);
	if (!cfn_export_follow_config())
		zlog_warn(
			"CFN: cannot write \"set cfn export\" back: no route-map entry writer in this FRR");
	install_element(RMAP_NODE, &cfn_set_export_cmd);
	install_element(RMAP_NODE, &no_cfn_set_export_cmd);
	install_element(VIEW_NODE, &cfn_show_export_cmd);
}

void cfn_export_fini(void)
{
	cfn_export_unfollow_config();
	/* bgp_attr_finish() freed every interned attribute set before */
	cfn_export_holder = NULL;
}
