/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "debug bgp cfn" switches. As for bgpd's own debugs, the config-mode
 * form is saved in the configuration and the enable-mode form is not.
 */
#include <zebra.h>

#include "command.h"
#include "debug.h"
#include "json.h"
#include "vector.h"
#include "vty.h"

#include "cfn_debug.h"
#include "cfn_module.h"

struct debug cfn_debug_events = {.desc = "CFN events"};
struct debug cfn_debug_updates = {.desc = "CFN BGP updates"};
struct debug cfn_debug_selection = {.desc = "CFN selection"};

static const struct {
	struct debug *debug;
	const char *command; /* as written to the configuration */
	const char *json;    /* key in "show bgp cfn json" */
} cfn_debugs[] = {
	{&cfn_debug_events, "debug bgp cfn", "debugEvents"},
	{&cfn_debug_updates, "debug bgp cfn updates", "debugUpdates"},
	{&cfn_debug_selection, "debug bgp cfn selection", "debugSelection"},
};

static int (*bgp_debug_config_write)(struct vty *vty);

#ifndef VTYSH_EXTRACT_PL
#include "bgpd-ext/cfn_debug_clippy.c"
#endif

DEFPY(cfn_debug, cfn_debug_cmd,
      "[no] debug bgp cfn [<updates$updates|selection$selection>]",
      NO_STR DEBUG_STR BGP_STR
      "Compute-aware anycast (CFN) events\n"
      "Attribute encode/decode decisions and per-service view changes\n"
      "Every change of a service's selection, with its reason\n")
{
	struct debug *debug = updates	  ? &cfn_debug_updates
			      : selection ? &cfn_debug_selection
					  : &cfn_debug_events;

	DEBUG_MODE_SET(debug, DEBUG_NODE2MODE(vty->node), !no);
	return CMD_SUCCESS;
}

static void cfn_debug_set_all(uint32_t flags, bool set)
{
	for (size_t i = 0; i < array_size(cfn_debugs); i++)
		DEBUG_FLAGS_SET(cfn_debugs[i].debug, flags, set);
}

static struct debug_callbacks cfn_debug_callbacks = {
	.debug_set_all = cfn_debug_set_all,
};

/*
 * bgpd writes its debug switches from DEBUG_NODE's config_write and offers
 * modules no hook there; chain ours behind it so that "debug bgp cfn" is
 * saved with the other "debug bgp" lines.
 */
static int cfn_debug_config_write(struct vty *vty)
{
	int written = bgp_debug_config_write ? bgp_debug_config_write(vty) : 0;

	for (size_t i = 0; i < array_size(cfn_debugs); i++)
		if (DEBUG_MODE_CHECK(cfn_debugs[i].debug, DEBUG_MODE_CONF)) {
			vty_out(vty, "%s\n", cfn_debugs[i].command);
			written++;
		}
	return written;
}

void cfn_debug_json(struct json_object *json)
{
	for (size_t i = 0; i < array_size(cfn_debugs); i++)
		json_object_boolean_add(
			json, cfn_debugs[i].json,
			DEBUG_MODE_CHECK(cfn_debugs[i].debug, DEBUG_MODE_ALL));
}

void cfn_debug_init(void)
{
	struct cmd_node *node = vector_lookup(cmdvec, DEBUG_NODE);

	if (node) {
		bgp_debug_config_write = node->config_write;
		node->config_write = cfn_debug_config_write;
	}
	debug_init(&cfn_debug_callbacks);
	install_element(ENABLE_NODE, &cfn_debug_cmd);
	install_element(CONFIG_NODE, &cfn_debug_cmd);
}
