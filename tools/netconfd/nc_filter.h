/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * <get>/<get-config> filters: subtree (RFC 6241 section 6) and XPath
 * (the :xpath capability).
 */
#ifndef CFN_NC_FILTER_H
#define CFN_NC_FILTER_H

#include <libyang/libyang.h>

/*
 * Replaces *tree with what the rpc's <filter> selects; no filter keeps it
 * whole. On a bad filter, returns an error with err set and leaves *tree.
 */
LY_ERR nc_filter_apply(const struct lyd_node *rpc, struct lyd_node **tree,
		       char *err, size_t errlen);

#endif
