/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "debug bgp cfn" switches. As for bgpd's own debugs, the config-mode
 * form is saved in the configuration and the enable-mode form is not.
 */
#include <zebra.h>

#include "command.h"
#include "debug.h"
#include "vector.h"
#include "vty.h"

#include "cfn_debug.h"
#include "cfn_module.h"

struct debug cfn_debug_events = { .desc = "CFN events" };

static struct debug *const cfn_debugs[] = { &cfn_debug_events };

static int (*bgp_debug_config_write)(struct vty *vty);

#ifndef VTYSH_EXTRACT_PL
#include "bgpd-ext/cfn_debug_clippy.c"
#endif

DEFPY(cfn_debug, cfn_debug_cmd, "[no] debug bgp cfn",
      NO_STR DEBUG_STR BGP_STR "Compute-aware anycast (CFN) events\n")
{
	DEBUG_MODE_SET(&cfn_debug_events, DEBUG_NODE2MODE(vty->node), !no);
	return CMD_SUCCESS;
}

static void cfn_debug_set_all(uint32_t flags, bool set)
{
	for (size_t i = 0; i < array_size(cfn_debugs); i++)
		DEBUG_FLAGS_SET(cfn_debugs[i], flags, set);
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

	if (DEBUG_MODE_CHECK(&cfn_debug_events, DEBUG_MODE_CONF)) {
		vty_out(vty, "debug bgp cfn\n");
		written++;
	}
	return written;
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
