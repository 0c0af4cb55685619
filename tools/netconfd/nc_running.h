/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The running datastore is bgpd's running configuration: read from it
 * on every request, written to it as "cfn ..." commands. Nothing is
 * cached, so vtysh and NETCONF always see the same configuration.
 */
#ifndef CFN_NC_RUNNING_H
#define CFN_NC_RUNNING_H

#include <libyang/libyang.h>

/* The configuration, validated (defaults added); NULL tree if empty. */
LY_ERR nc_running_read(const struct ly_ctx *ctx, const char *vty_path,
		       struct lyd_node **config, char *err, size_t errlen);

/*
 * Makes bgpd's configuration equal to desired (validated). If bgpd
 * refuses a command, what was applied is undone, and err tells which
 * command and why.
 */
LY_ERR nc_running_commit(const struct ly_ctx *ctx, const char *vty_path,
			 const struct lyd_node *desired, char *err,
			 size_t errlen);

#endif
