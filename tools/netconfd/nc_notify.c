/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 5277 notifications of selection changes. bgpd counts the changes
 * of each SID's selection ("show bgp cfn selection json"); while a
 * session is subscribed the counters are polled and every SID whose
 * counter moved is notified with its new choice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "nc_cli.h"
#include "nc_server.h"
#include "nc_state.h"

struct sid_changes {
	char *sid;
	int64_t changes;
};

/*
 * The counters at the last poll; valid only while someone listens.
 * Polled by the main thread, started by a subscription in a worker.
 */
static struct {
	struct sid_changes *v;
	size_t count;
	bool valid;
} last;
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;

static void forget_counters(void)
{
	for (size_t i = 0; i < last.count; i++)
		free(last.v[i].sid);
	free(last.v);
	last.v = NULL;
	last.count = 0;
	last.valid = false;
}

static bool anyone_subscribed(void)
{
	for (uint16_t i = 0; i < nc_ps_session_count(nc_cfn.ps); i++)
		if (nc_session_get_notif_status(nc_ps_get_session(nc_cfn.ps, i)))
			return true;
	return false;
}

static void poll_selection(bool notify);

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
	/* what changes from now on is news to this subscriber */
	pthread_mutex_lock(&last_lock);
	if (!last.valid)
		poll_selection(false);
	pthread_mutex_unlock(&last_lock);
	nc_session_inc_notif_status(session);
	syslog(LOG_INFO, "session %u subscribed to selection changes",
	       nc_session_get_id(session));
	return nc_server_reply_ok();
}

static const struct sid_changes *last_of(const char *sid)
{
	for (size_t i = 0; i < last.count; i++)
		if (!strcmp(last.v[i].sid, sid))
			return &last.v[i];
	return NULL;
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

	if (lyd_new_path(NULL, nc_cfn.ctx, "/" NC_CLI_MODULE ":selection-change",
			 NULL, 0, &event) ||
	    nc_state_put_object(event, selection)) {
		syslog(LOG_ERR, "cannot build a notification: %s",
		       ly_errmsg(nc_cfn.ctx));
		lyd_free_all(event);
		return;
	}
	send_to_subscribers(event);
	lyd_free_all(event);
}

/* Compares each SID's counter with the last poll; notifies changes. */
static void compare(json_object *sids, bool notify)
{
	size_t n = json_object_array_length(sids);
	struct sid_changes *now = calloc(n ? n : 1, sizeof(*now));

	for (size_t i = 0; now && i < n; i++) {
		json_object *sel = json_object_array_get_idx(sids, i);
		json_object *sid = NULL, *changes = NULL;
		const struct sid_changes *before;

		json_object_object_get_ex(sel, "sid", &sid);
		json_object_object_get_ex(sel, "changes", &changes);
		now[i].sid = strdup(json_object_get_string(sid));
		now[i].changes = json_object_get_int64(changes);
		before = last.valid ? last_of(now[i].sid) : NULL;
		if (notify && before && before->changes != now[i].changes)
			notify_sid(sel);
	}
	forget_counters();
	last.v = now;
	last.count = now ? n : 0;
	last.valid = now != NULL;
}

static void poll_selection(bool notify)
{
	json_object *reply, *sids;
	char err[256];

	reply = nc_state_query(nc_cfn.vty_path, "show bgp cfn selection json",
			       err, sizeof(err));
	if (!reply) {
		syslog(LOG_WARNING, "selection poll: %s", err);
		return;
	}
	if (json_object_object_get_ex(nc_state_instance(reply), "sids", &sids))
		compare(sids, notify);
	json_object_put(reply);
}

void nc_notify_poll(void)
{
	pthread_mutex_lock(&nc_cfn.sessions_lock);
	pthread_mutex_lock(&last_lock);
	if (anyone_subscribed())
		poll_selection(true);
	else
		forget_counters();
	pthread_mutex_unlock(&last_lock);
	pthread_mutex_unlock(&nc_cfn.sessions_lock);
}
