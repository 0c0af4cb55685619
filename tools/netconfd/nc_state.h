/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Operational state: bgpd's "show bgp cfn ... json" output put into the
 * frr-cfn YANG tree. The state part of the model names its nodes after
 * those JSON members (camelCase becomes kebab-case, arrays become lists
 * with singular names), so the conversion follows the schema, not a
 * hand-written mapping.
 */
#ifndef CFN_NC_STATE_H
#define CFN_NC_STATE_H

#include <stdbool.h>

#include <json-c/json.h>
#include <libyang/libyang.h>

/* Adds the members of obj that the schema of parent models. */
LY_ERR nc_state_put_object(struct lyd_node *parent, json_object *obj);

/* The parts of the state a request needs: bgpd is asked for these only. */
struct nc_state_parts {
	bool sids;	       /* state/sid */
	char sid[64];	       /* only this SID's (valid prefix); "": all */
	bool local_instances; /* state/local-instance */
	bool statistics;       /* state/statistics */
};

/* Adds /frr-cfn:cfn/state (parts of it) to *tree from bgpd at vty_path. */
LY_ERR nc_state_get(const struct ly_ctx *ctx, const char *vty_path,
		    const struct nc_state_parts *parts, struct lyd_node **tree,
		    char *err, size_t errlen);

/* The first BGP instance of a "show bgp cfn ... json" reply. */
json_object *nc_state_instance(json_object *reply);

/* Runs a "show ... json" command; NULL (and err) on failure. */
json_object *nc_state_query(const char *vty_path, const char *command,
			    char *err, size_t errlen);

#endif
