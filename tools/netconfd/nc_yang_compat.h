/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libyang calls cfn-netconfd makes whose form changed between
 * libyang 2 (Debian 12) and libyang 3 (Debian 13).
 */
#ifndef CFN_NC_YANG_COMPAT_H
#define CFN_NC_YANG_COMPAT_H

#include <stdbool.h>

#include <libyang/libyang.h>
#include <libyang/version.h>

/*
 * A new anydata or anyxml node name holding value in the output of an
 * RPC; with take, the node takes value over (freed with it), else copies.
 */
static inline LY_ERR nc_new_output_any(struct lyd_node *output,
				       const char *name, const void *value,
				       bool take, LYD_ANYDATA_VALUETYPE type)
{
#if LY_VERSION_MAJOR >= 3
	return lyd_new_any(
		output, NULL, name, value, type,
		LYD_NEW_VAL_OUTPUT | (take ? LYD_NEW_ANY_USE_VALUE : 0), NULL);
#else
	return lyd_new_any(output, NULL, name, value, take, type, true, NULL);
#endif
}

/* The path of the data an error is about, NULL if none. */
static inline const char *nc_err_data_path(const struct ly_err_item *e)
{
#if LY_VERSION_MAJOR >= 3
	return e->data_path;
#else
	return e->path;
#endif
}

#endif
