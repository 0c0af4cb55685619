/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SSH listener of cfn-netconfd. libnetconf2 2.x (Debian 12) sets it
 * up through calls and callbacks, libnetconf2 3.x (Debian 13) through
 * YANG data of ietf-netconf-server: nc_ssh2.c or nc_ssh3.c implements
 * this, whichever configure chose for the libnetconf2 found. Both apply
 * the rules of nc_auth.h.
 */
#ifndef CFN_NC_SSH_H
#define CFN_NC_SSH_H

#include <stdbool.h>
#include <stdint.h>

#include <nc_server.h>

struct nc_ssh_options {
	const char *address;
	uint16_t port;
	const char *host_key;  /* path of the private key */
	const char *keys_file; /* authorized keys, %h: home, %u: user */
};

/* Adds what the SSH server itself needs to ctx, before ctx serves. */
bool nc_ssh_load_modules(struct ly_ctx *ctx);

/* Starts libnetconf2's server for the modules of ctx. */
bool nc_ssh_server_init(struct ly_ctx *ctx);

/* Listens for SSH sessions as o says. */
bool nc_ssh_listen(struct ly_ctx *ctx, const struct nc_ssh_options *o);

/*
 * Waits up to timeout_ms for a new session of a user allowed in:
 * NC_MSG_HELLO when it has one in *session.
 */
NC_MSG_TYPE nc_ssh_accept(struct ly_ctx *ctx, int timeout_ms,
			  struct nc_session **session);

#endif
