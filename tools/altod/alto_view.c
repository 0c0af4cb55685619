/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "alto_view.h"
#include "cfn_api.h"
#include "cfn_client.h"
#include "cfn_metric.h"

#define RECONNECT_S 1


static struct {
	pthread_t thread;
	atomic_bool stopping;
	char socket[256];
	alto_view_changed_fn changed;
} view;

static json_object *l1_object(const uint32_t *l1, size_t n)
{
	json_object *obj = json_object_new_object();

	for (size_t c = 0; c < n && c < CFN_CATEGORY_COUNT; c++)
		if (l1[c] != CFN_SCORE_NONE)
			json_object_object_add(obj, cfn_category_name(c),
					       json_object_new_int64(l1[c]));
	return obj;
}

/* What egresses and instances both report: L2, L1, capacity. */
static void add_scores(json_object *obj, uint32_t l2, const uint32_t *l1,
		       size_t n_l1, uint32_t capacity)
{
	json_object_object_add(obj, "l2", json_object_new_int64(l2));
	json_object_object_add(obj, "l1", l1_object(l1, n_l1));
	json_object_object_add(obj, "capacity",
			       json_object_new_int64(capacity));
}

static json_object *metric_object(const Cfn__Metric *m)
{
	const struct cfn_metric_desc *desc = cfn_metric_desc_by_name(m->name);
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "name", json_object_new_string(m->name));
	json_object_object_add(obj, "value", json_object_new_double(m->value));
	json_object_object_add(obj, "unit",
			       json_object_new_string(desc ? desc->unit : ""));
	json_object_object_add(obj, "statistic",
			       json_object_new_string(m->statistic
							      ? m->statistic
							      : "current"));
	return obj;
}

static json_object *instance_object(const Cfn__WatchInstance *wi)
{
	json_object *obj = json_object_new_object();
	json_object *metrics = json_object_new_array();

	json_object_object_add(obj, "bid", json_object_new_string(wi->bid));
	add_scores(obj, wi->l2, wi->l1, wi->n_l1, wi->capacity);
	json_object_object_add(obj, "stale",
			       json_object_new_boolean(wi->stale));
	json_object_object_add(obj, "draining",
			       json_object_new_boolean(wi->draining));
	for (size_t i = 0; i < wi->n_metrics; i++)
		json_object_array_add(metrics, metric_object(wi->metrics[i]));
	json_object_object_add(obj, "metrics", metrics);
	return obj;
}

static json_object *egress_object(const Cfn__WatchEgress *we)
{
	json_object *obj = json_object_new_object();
	json_object *instances = json_object_new_array();

	json_object_object_add(obj, "nodeId",
			       json_object_new_string(we->node_id));
	json_object_object_add(obj, "nexthop",
			       json_object_new_string(we->nexthop));
	json_object_object_add(obj, "igpMetric",
			       json_object_new_int64(we->igp_metric));
	json_object_object_add(obj, "reachable",
			       json_object_new_boolean(we->reachable));
	add_scores(obj, we->l2, we->l1, we->n_l1, we->capacity);
	json_object_object_add(obj, "networkScore",
			       json_object_new_double(we->network_score));
	json_object_object_add(obj, "score", json_object_new_double(we->score));
	json_object_object_add(obj, "verdict",
			       json_object_new_string(we->verdict));
	json_object_object_add(obj, "weight",
			       json_object_new_int64(we->weight));
	json_object_object_add(obj, "draining",
			       json_object_new_boolean(we->draining));
	for (size_t i = 0; i < we->n_instances; i++)
		json_object_array_add(instances,
				      instance_object(we->instances[i]));
	json_object_object_add(obj, "instances", instances);
	return obj;
}

static json_object *sid_object(const Cfn__SidState *ss)
{
	json_object *obj = json_object_new_object();
	json_object *egresses = json_object_new_array();

	json_object_object_add(obj, "sid", json_object_new_string(ss->sid));
	if (ss->service)
		json_object_object_add(obj, "service",
				       json_object_new_string(ss->service));
	json_object_object_add(obj, "mode", json_object_new_string(ss->mode));
	json_object_object_add(obj, "fallback",
			       json_object_new_boolean(ss->fallback));
	json_object_object_add(obj, "changes",
			       json_object_new_int64((int64_t)ss->changes));
	for (size_t i = 0; i < ss->n_egresses; i++)
		json_object_array_add(egresses, egress_object(ss->egresses[i]));
	json_object_object_add(obj, "egresses", egresses);
	return obj;
}

void alto_view_apply(json_object *model, const Cfn__Event *event)
{
	json_object *sids;

	if (event->snapshot ||
	    !json_object_object_get_ex(model, "sids", &sids)) {
		sids = json_object_new_object();
		json_object_object_add(model, "sids", sids);
	}
	for (size_t i = 0; i < event->n_removed; i++)
		json_object_object_del(sids, event->removed[i]);
	for (size_t i = 0; i < event->n_sids; i++)
		json_object_object_add(sids, event->sids[i]->sid,
				       sid_object(event->sids[i]));
	json_object_object_add(model, "routerId",
			       json_object_new_string(event->router_id));
	json_object_object_add(model, "sequence",
			       json_object_new_int64((int64_t)event->sequence));
}

static void set_connected(json_object *model, const char *error)
{
	json_object_object_add(model, "connected",
			       json_object_new_boolean(error == NULL));
	if (error)
		json_object_object_add(model, "error",
				       json_object_new_string(error));
	else
		json_object_object_del(model, "error");
}

static void on_event(const Cfn__Event *event, void *model)
{
	alto_view_apply(model, event);
	view.changed(model);
}

static void *view_thread(void *unused)
{
	json_object *model = json_object_new_object();
	char err[256] = "", last[256] = "";

	(void)unused;
	set_connected(model, "not connected to bgpd yet");
	json_object_object_add(model, "sids", json_object_new_object());
	view.changed(model);
	while (!view.stopping) {
		int fd = cfn_client_watch(view.socket, err, sizeof(err));

		if (fd >= 0) {
			syslog(LOG_INFO, "watching bgpd's view on %s",
			       view.socket);
			set_connected(model, NULL);
			cfn_client_follow(fd, &view.stopping, on_event, model,
					  err, sizeof(err));
		}
		if (fd >= 0)
			close(fd);
		if (strcmp(err, last))
			syslog(LOG_WARNING, "bgpd's API %s: %s", view.socket,
			       err);
		snprintf(last, sizeof(last), "%s", err);
		set_connected(model, err);
		json_object_object_add(model, "sids", json_object_new_object());
		view.changed(model);
		for (int i = 0; i < RECONNECT_S * 10 && !view.stopping; i++)
			usleep(100000);
	}
	json_object_put(model);
	return NULL;
}

bool alto_view_start(const char *api_socket, alto_view_changed_fn changed)
{
	snprintf(view.socket, sizeof(view.socket), "%s", api_socket);
	view.changed = changed;
	return pthread_create(&view.thread, NULL, view_thread, NULL) == 0;
}

void alto_view_stop(void)
{
	view.stopping = true;
	pthread_join(view.thread, NULL);
}
