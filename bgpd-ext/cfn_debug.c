/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "debug bgp cfn" switches. As for bgpd's own debugs, the config-mode
 * form is saved in the configuration and the enable-mode form is not.
 */
#include <zebra.h>

#include "command.h"
#include "debug.h"
#include "json.h"
#include "vty.h"

#include "cfn_debug.h"
#include "cfn_frr_compat.h"

struct debug cfn_debug_events = {.desc = "CFN events"};
struct debug cfn_debug_updates = {.desc = "CFN BGP updates"};
struct debug cfn_debug_selection = {.desc = "CFN selection"};

static const struct cfn_debug_switch cfn_debug_switches[] = {
	{&cfn_debug_events, "debug bgp cfn"},
	{&cfn_debug_updates, "debug bgp cfn updates"},
	{&cfn_debug_selection, "debug bgp cfn selection"},
};

/* keys in "show bgp cfn json", in the order of cfn_debug_switches */
static const char *const cfn_debug_json_keys[] = {
	"debugEvents",
	"debugUpdates",
	"debugSelection",
};

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

void cfn_debug_json(struct json_object *json)
{
	for (size_t i = 0; i < array_size(cfn_debug_switches); i++)
		json_object_boolean_add(
			json, cfn_debug_json_keys[i],
			DEBUG_MODE_CHECK(cfn_debug_switches[i].debug,
					 DEBUG_MODE_ALL));
}

void cfn_debug_init(void)
{
	cfn_debug_register(cfn_debug_switches, array_size(cfn_debug_switches));
	install_element(ENABLE_NODE, &cfn_debug_cmd);
	install_element(CONFIG_NODE, &cfn_debug_cmd);
}
