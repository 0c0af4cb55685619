/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a client needs to discover the server's modules without knowing
 * their names: the YANG library (RFC 8525 /yang-library and RFC 7895's
 * /modules-state) and the schema list of RFC 6022
 * (/netconf-state/schemas), each module retrievable with <get-schema>.
 */
#ifndef CFN_NC_LIBRARY_H
#define CFN_NC_LIBRARY_H

#include <libyang/libyang.h>

/* Adds the YANG library and the schema list of ctx's modules to *tree. */
LY_ERR nc_library_get(const struct ly_ctx *ctx, struct lyd_node **tree);

#endif
