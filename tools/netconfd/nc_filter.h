/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * <get>/<get-config> filters: subtree (RFC 6241 section 6) and XPath
 * (the :xpath capability).
 */
#ifndef CFN_NC_FILTER_H
#define CFN_NC_FILTER_H

#include <stdbool.h>

#include <libyang/libyang.h>

#include "nc_state.h"

/* What a <get> must read to answer its filter. */
struct nc_get_needs {
	bool config;		     /* bgpd's running configuration */
	struct nc_state_parts state; /* bgpd's state, part by part */
	bool library;		     /* YANG library, schema list */
};

/*
 * What the rpc's filter can select: everything without a filter or with
 * an XPath filter; with a subtree filter, only the parts it names (one
 * SID's state when it names one SID).
 */
void nc_filter_needs(const struct lyd_node *rpc, struct nc_get_needs *needs);

/*
 * Replaces *tree with what the rpc's <filter> selects; no filter keeps it
 * whole. On a bad filter, returns an error with err set and leaves *tree.
 */
LY_ERR nc_filter_apply(const struct lyd_node *rpc, struct lyd_node **tree,
		       char *err, size_t errlen);

#endif
