/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The frr-cfn YANG configuration and bgpd's "cfn ..." commands are one
 * configuration: one table maps every configuration node to the command
 * that sets it. bgpd's running-config is parsed into a data tree
 * (get-config), and a desired tree becomes the commands that take the
 * running configuration there (edit-config).
 */
#ifndef CFN_NC_CLI_H
#define CFN_NC_CLI_H

#include <libyang/libyang.h>

#define NC_CLI_MODULE "frr-cfn"
#define NC_CLI_NAMESPACE "urn:frr-cfn:yang:frr-cfn"

/* One command line of the configuration, e.g. "cfn service a sid ..." */
struct nc_cli_line {
	char *text;
	char *key;	    /* text without its values: identifies the setting */
	unsigned int depth; /* nesting of its node: parents come first */
};

struct nc_cli_lines {
	struct nc_cli_line *v;
	size_t count;
};

/*
 * Parses the "cfn ..." lines of bgpd's running-config (the default BGP
 * instance) into *tree (NULL if none). *asn receives the AS number of
 * "router bgp", 0 if there is none. Lines no entry maps are reported
 * through unknown (if given) and skipped.
 */
LY_ERR nc_cli_parse(const struct ly_ctx *ctx, const char *running,
		    struct lyd_node **tree, unsigned long *asn,
		    void (*unknown)(const char *line));

/* The command lines of a validated tree, in running-config form. */
LY_ERR nc_cli_render(const struct lyd_node *tree, struct nc_cli_lines *out);
void nc_cli_lines_free(struct nc_cli_lines *lines);

/*
 * The commands that turn configuration "from" into "to": removals
 * ("no ..."), deepest first, then additions and changes, parents first.
 */
LY_ERR nc_cli_plan(const struct nc_cli_lines *from,
		   const struct nc_cli_lines *to, struct nc_cli_lines *out);

#endif
