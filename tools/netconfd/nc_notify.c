/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 5277 notifications of selection changes. A thread holds a Watch on
 * bgpd's service API (cfn_api.proto): bgpd pushes each SID whose view or
 * selection changed, with its count of selection changes; when that count
 * moved and a session is subscribed, the SID's selection ("show bgp cfn
 * selection SID json") is notified. Nothing is polled.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cfn_api.h"
#include "cfn_client.h"
#include "nc_cli.h"
#include "nc_server.h"
#include "nc_state.h"

#define RECONNECT_S 1

struct sid_changes {
	char *sid;
	uint64_t changes;
};

/* The selection counters bgpd last pushed: the watch thread's alone. */
static struct {
	struct sid_changes *v;
	size_t count;
} last;

static struct {
	pthread_t thread;
	atomic_bool stopping;
	char socket[256];
} watch;

static bool anyone_subscribed(void)
{
	for (uint16_t i = 0; i < nc_ps_session_count(nc_cfn.ps); i++)
		if (nc_session_get_notif_status(
			    nc_ps_get_session(nc_cfn.ps, i)))
			return true;
	return false;
}

struct nc_server_reply *nc_notify_subscribe(struct lyd_node *rpc,
					    struct nc_session *session)
{
	struct lyd_node *node = NULL;
	struct lyd_node *err;
	const char *reason = NULL;

	if (!lyd_find_path(rpc, "stream", 0, &node) &&
	    strcmp(lyd_get_value(node), "NETCONF"))
		reason = "only the NETCONF stream exists";
	else if (!lyd_find_path(rpc, "startTime", 0, &node))
		reason = "replay is not supported";
	else if (nc_session_get_notif_status(session))
		reason = "this session is subscribed already";
	if (reason) {
		err = nc_err(nc_cfn.ctx, NC_ERR_OP_FAILED, NC_ERR_TYPE_APP);
		nc_err_set_msg(err, reason, "en");
		return nc_server_reply_err(err);
	}
	nc_session_inc_notif_status(session);
	syslog(LOG_INFO, "session %u subscribed to selection changes",
	       nc_session_get_id(session));
	return nc_server_reply_ok();
}

static void send_to_subscribers(struct lyd_node *event)
{
	char when[32];
	time_t now = time(NULL);
	struct nc_server_notif *notif;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	notif = nc_server_notif_new(event, when, NC_PARAMTYPE_CONST);
	for (uint16_t i = 0; notif && i < nc_ps_session_count(nc_cfn.ps); i++) {
		struct nc_session *s = nc_ps_get_session(nc_cfn.ps, i);

		if (nc_session_get_notif_status(s) &&
		    nc_server_notif_send(s, notif, 1000) != NC_MSG_NOTIF)
			syslog(LOG_WARNING, "notification to session %u lost",
			       nc_session_get_id(s));
	}
	nc_server_notif_free(notif);
}

static void notify_sid(json_object *selection)
{
	struct lyd_node *event = NULL;

	if (lyd_new_path(NULL, nc_cfn.ctx,
			 "/" NC_CLI_MODULE ":selection-change", NULL, 0,
			 &event) ||
	    nc_state_put_object(event, selection)) {
		syslog(LOG_ERR, "cannot build a notification: %s",
		       ly_errmsg(nc_cfn.ctx));
		lyd_free_all(event);
		return;
	}
	send_to_subscribers(event);
	lyd_free_all(event);
}

/* The SID's selection as "show" gives it, to the subscribers. */
static void notify_selection(const char *sid)
{
	json_object *reply, *sids;
	char command[128], err[256];

	snprintf(command, sizeof(command), "show bgp cfn selection %s json",
		 sid);
	reply = nc_state_query(nc_cfn.vty_path, command, err, sizeof(err));
	if (!reply) {
		syslog(LOG_WARNING, "selection of %s: %s", sid, err);
		return;
	}
	if (json_object_object_get_ex(nc_state_instance(reply), "sids",
				      &sids) &&
	    json_object_array_length(sids))
		notify_sid(json_object_array_get_idx(sids, 0));
	json_object_put(reply);
}

static struct sid_changes *last_of(const char *sid)
{
	for (size_t i = 0; i < last.count; i++)
		if (!strcmp(last.v[i].sid, sid))
			return &last.v[i];
	return NULL;
}

static void forget(const char *sid)
{
	struct sid_changes *known = last_of(sid);

	if (known) {
		free(known->sid);
		*known = last.v[--last.count];
	}
}

/* Remember the SID's counter; true when it moved since last time. */
static bool counter_moved(const char *sid, uint64_t changes)
{
	struct sid_changes *known = last_of(sid), *grown;

	if (known) {
		bool moved = known->changes != changes;

		known->changes = changes;
		return moved;
	}
	grown = realloc(last.v, (last.count + 1) * sizeof(*last.v));
	if (grown) {
		last.v = grown;
		last.v[last.count].sid = strdup(sid);
		last.v[last.count].changes = changes;
		last.count += last.v[last.count].sid != NULL;
	}
	return false; /* new to us: the counter has no past to move from */
}

static void forget_all(void)
{
	while (last.count)
		forget(last.v[0].sid);
}

/* One pushed event: notify the SIDs whose selection changed. */
static void apply(const Cfn__Event *event, void *unused)
{
	(void)unused;
	if (event->snapshot)
		forget_all();
	for (size_t i = 0; i < event->n_removed; i++)
		forget(event->removed[i]);
	for (size_t i = 0; i < event->n_sids; i++) {
		const Cfn__SidState *ss = event->sids[i];

		if (!counter_moved(ss->sid, ss->changes) || event->snapshot)
			continue;
		pthread_mutex_lock(&nc_cfn.sessions_lock);
		if (anyone_subscribed())
			notify_selection(ss->sid);
		pthread_mutex_unlock(&nc_cfn.sessions_lock);
	}
}

static void *watch_thread(void *unused)
{
	char err[256] = "", logged[256] = "";

	(void)unused;
	while (!watch.stopping) {
		int fd = cfn_client_watch(watch.socket, err, sizeof(err));

		if (fd >= 0) {
			syslog(LOG_INFO, "following selection changes on %s",
			       watch.socket);
			logged[0] = '\0';
			cfn_client_follow(fd, &watch.stopping, apply, NULL, err,
					  sizeof(err));
			close(fd);
		}
		/* a selection change while bgpd is away is none to report */
		forget_all();
		if (!watch.stopping && strcmp(err, logged)) {
			syslog(LOG_WARNING, "bgpd's API %s: %s", watch.socket,
			       err);
			snprintf(logged, sizeof(logged), "%s", err);
		}
		for (int i = 0; i < RECONNECT_S * 10 && !watch.stopping; i++)
			usleep(100000);
	}
	forget_all();
	free(last.v);
	return NULL;
}

bool nc_notify_start(const char *api_socket)
{
	snprintf(watch.socket, sizeof(watch.socket), "%s", api_socket);
	return pthread_create(&watch.thread, NULL, watch_thread, NULL) == 0;
}

void nc_notify_stop(void)
{
	watch.stopping = true;
	pthread_join(watch.thread, NULL);
}
