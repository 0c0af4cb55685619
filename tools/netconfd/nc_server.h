/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the parts of cfn-netconfd share: one server, one bgpd. */
#ifndef CFN_NC_SERVER_H
#define CFN_NC_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <nc_server.h>

struct nc_cfn_server {
	struct ly_ctx *ctx;
	struct nc_pollsession *ps;
	char vty_path[256];  /* bgpd's vty socket */
	uint32_t lock_owner; /* session holding the running lock, 0: none */
	/*
	 * Sessions are served by several threads, so that one slow request
	 * does not hold the others up. config_lock makes an edit (read,
	 * change, commit) and the running lock atomic; sessions_lock keeps
	 * a session from being freed while notifications go out.
	 */
	pthread_mutex_t config_lock;
	pthread_mutex_t sessions_lock;
};

/* libnetconf2's callbacks carry no user data: the one server. */
extern struct nc_cfn_server nc_cfn;

/* RPC callbacks (nc_rpc.c). */
void nc_rpc_init(void);
void nc_rpc_session_closed(struct nc_session *session);

/* Selection-change notifications (nc_notify.c). */
struct nc_server_reply *nc_notify_subscribe(struct lyd_node *rpc,
					    struct nc_session *session);
/* Follow bgpd's selection changes through the API socket's Watch. */
bool nc_notify_start(const char *api_socket);
void nc_notify_stop(void);

#endif
