/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cfn_alloc.h"
#include "cfn_api.h"
#include "cfn_api.pb-c.h"
#include "cfn_watch.h"

#define ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

/*
 * Storage of one event's messages: protobuf-c points into it, so it all
 * lives until the event is packed, then goes in one cfn_free each.
 */
struct egress_msg {
	Cfn__WatchEgress msg;
	char node_id[ADDR_STRLEN], nexthop[ADDR_STRLEN];
	uint32_t l1[CFN_CATEGORY_COUNT];
	Cfn__WatchInstance **instances;
};

struct instance_msg {
	Cfn__WatchInstance msg;
	char bid[ADDR_STRLEN];
	uint32_t l1[CFN_CATEGORY_COUNT];
	Cfn__Metric metrics[CFN_METRICS_MAX];
	Cfn__Metric *metric_ptrs[CFN_METRICS_MAX];
};

struct sid_msg {
	Cfn__SidState msg;
	char sid[CFN_PREFIX_STRLEN];
	Cfn__WatchEgress **egresses;
	struct egress_msg *egress_store;
	struct instance_msg **instance_store; /* per egress */
};

/* An address without its length: a BID, node ID or next hop. */
static void format_address(const struct cfn_prefix *p, char *buf)
{
	inet_ntop(p->family == CFN_FAMILY_IPV4 ? AF_INET : AF_INET6, p->addr,
		  buf, ADDR_STRLEN);
}

static void format_node_id(uint32_t node_id, char *buf)
{
	struct in_addr addr = {.s_addr = htonl(node_id)};

	inet_ntop(AF_INET, &addr, buf, ADDR_STRLEN);
}

static void fill_l1(const struct cfn_scores *scores, uint32_t *l1)
{
	for (unsigned int c = 0; c < CFN_CATEGORY_COUNT; c++)
		l1[c] = scores->l1[c];
}

static void fill_instance(const struct cfn_instance_info *info,
			  struct instance_msg *im)
{
	cfn__watch_instance__init(&im->msg);
	format_address(&info->bid, im->bid);
	im->msg.bid = im->bid;
	im->msg.l2 = info->scores.l2;
	fill_l1(&info->scores, im->l1);
	im->msg.n_l1 = CFN_CATEGORY_COUNT;
	im->msg.l1 = im->l1;
	im->msg.capacity = info->capacity;
	im->msg.stale = info->flags & CFN_INSTANCE_STALE;
	im->msg.has_draining = true;
	im->msg.draining = info->flags & CFN_INSTANCE_DRAINING;
	for (unsigned int m = 0; m < info->metrics.count; m++) {
		const struct cfn_metric_value *mv = &info->metrics.values[m];

		cfn__metric__init(&im->metrics[m]);
		im->metrics[m].name = (char *)cfn_metric_desc(mv->type)->name;
		im->metrics[m].value = cfn_metric_value_units(mv);
		im->metrics[m].statistic =
			(char *)cfn_statistic_name(mv->statistic);
		im->metric_ptrs[m] = &im->metrics[m];
	}
	im->msg.n_metrics = info->metrics.count;
	im->msg.metrics = im->metric_ptrs;
}

/* The egress's weight in the selection: 0 when it is not chosen. */
static uint8_t chosen_weight(const struct cfn_selection *sel, uint32_t node_id)
{
	for (unsigned int i = 0; i < sel->count; i++)
		if (sel->chosen[i].node_id == node_id)
			return sel->chosen[i].weight;
	return 0;
}

static bool fill_egress(const struct cfn_watch_sid *ws, size_t i,
			uint64_t now_ms, struct egress_msg *em,
			struct instance_msg **store)
{
	const struct cfn_egress *eg = ws->sv->egresses.items[i];
	const struct cfn_eval *ev = &ws->evals[i];
	uint16_t n = eg->attr.n_instances;

	*store = cfn_calloc(n ? n : 1, sizeof(**store));
	em->instances = cfn_calloc(n ? n : 1, sizeof(*em->instances));
	if (!*store || !em->instances)
		return false;
	cfn__watch_egress__init(&em->msg);
	format_node_id(eg->node_id, em->node_id);
	format_address(&eg->nexthop, em->nexthop);
	em->msg.node_id = em->node_id;
	em->msg.nexthop = em->nexthop;
	em->msg.igp_metric = eg->igp_metric;
	em->msg.reachable = eg->reachable;
	em->msg.l2 = eg->attr.scores.l2;
	fill_l1(&eg->attr.scores, em->l1);
	em->msg.n_l1 = CFN_CATEGORY_COUNT;
	em->msg.l1 = em->l1;
	em->msg.capacity = eg->attr.capacity;
	em->msg.network_score = ev->network;
	em->msg.score = ev->score;
	em->msg.verdict = (char *)cfn_verdict_name(ev->verdict);
	em->msg.weight = chosen_weight(&ws->sv->selection, eg->node_id);
	em->msg.age_ms = now_ms > eg->updated_ms ? now_ms - eg->updated_ms : 0;
	em->msg.has_draining = true;
	em->msg.draining = eg->attr.flags & CFN_ATTR_DRAINING;
	for (uint16_t k = 0; k < n; k++) {
		fill_instance(&eg->attr.instances[k], &(*store)[k]);
		em->instances[k] = &(*store)[k].msg;
	}
	em->msg.n_instances = n;
	em->msg.instances = em->instances;
	return true;
}

static void sid_msg_free(struct sid_msg *sm, size_t n_egresses)
{
	for (size_t i = 0; sm->egress_store && i < n_egresses; i++) {
		cfn_free(sm->egress_store[i].instances);
		if (sm->instance_store)
			cfn_free(sm->instance_store[i]);
	}
	cfn_free(sm->egress_store);
	cfn_free(sm->instance_store);
	cfn_free(sm->egresses);
}

static bool fill_sid(const struct cfn_watch_sid *ws, uint64_t now_ms,
		     struct sid_msg *sm)
{
	const struct cfn_sid_view *sv = ws->sv;
	size_t n = sv->egresses.count;

	cfn__sid_state__init(&sm->msg);
	sm->egresses = cfn_calloc(n ? n : 1, sizeof(*sm->egresses));
	sm->egress_store = cfn_calloc(n ? n : 1, sizeof(*sm->egress_store));
	sm->instance_store = cfn_calloc(n ? n : 1, sizeof(*sm->instance_store));
	if (!sm->egresses || !sm->egress_store || !sm->instance_store)
		return false;
	cfn_prefix_format(&sv->sid, sm->sid, sizeof(sm->sid));
	sm->msg.sid = sm->sid;
	sm->msg.service = (char *)ws->service;
	sm->msg.mode = (char *)cfn_select_mode_name(ws->mode);
	sm->msg.fallback = sv->selection.fallback;
	sm->msg.changes = sv->selection.changes;
	for (size_t i = 0; i < n; i++) {
		if (!fill_egress(ws, i, now_ms, &sm->egress_store[i],
				 &sm->instance_store[i]))
			return false;
		sm->egresses[i] = &sm->egress_store[i].msg;
	}
	sm->msg.n_egresses = n;
	sm->msg.egresses = sm->egresses;
	return true;
}

/* Frame the reply around a filled event. */
static size_t pack_reply(const struct cfn_watch_event *event, Cfn__Event *ev,
			 uint8_t **frame)
{
	Cfn__Reply reply = CFN__REPLY__INIT;

	reply.id = event->reply_id;
	reply.status = CFN__STATUS__OK;
	reply.event = ev;
	reply.has_api_version = true;
	reply.api_version = CFN_API_VERSION;
	return cfn_api_frame_reply(&reply, frame);
}

size_t cfn_watch_encode(const struct cfn_watch_event *event, uint8_t **frame)
{
	Cfn__Event ev = CFN__EVENT__INIT;
	size_t n = event->n_sids, n_removed = event->n_removed, len = 0, done;
	struct sid_msg *sids = cfn_calloc(n ? n : 1, sizeof(*sids));
	Cfn__SidState **sid_ptrs = cfn_calloc(n ? n : 1, sizeof(*sid_ptrs));
	char(*removed)[CFN_PREFIX_STRLEN] =
		cfn_calloc(n_removed ? n_removed : 1, sizeof(*removed));
	char **removed_ptrs =
		cfn_calloc(n_removed ? n_removed : 1, sizeof(*removed_ptrs));
	char router_id[ADDR_STRLEN];

	for (done = 0; sids && sid_ptrs && done < n; done++) {
		if (!fill_sid(&event->sids[done], event->now_ms, &sids[done]))
			break;
		sid_ptrs[done] = &sids[done].msg;
	}
	if (sids && sid_ptrs && removed && removed_ptrs && done == n) {
		for (size_t i = 0; i < n_removed; i++)
			removed_ptrs[i] =
				cfn_prefix_format(&event->removed[i],
						  removed[i], sizeof(*removed));
		format_node_id(event->router_id, router_id);
		ev.sequence = event->sequence;
		ev.snapshot = event->snapshot;
		ev.n_sids = n;
		ev.sids = sid_ptrs;
		ev.n_removed = n_removed;
		ev.removed = removed_ptrs;
		ev.router_id = router_id;
		len = pack_reply(event, &ev, frame);
	}
	for (size_t i = 0; sids && i < n && i <= done; i++)
		sid_msg_free(&sids[i], event->sids[i].sv->egresses.count);
	cfn_free(sids);
	cfn_free(sid_ptrs);
	cfn_free(removed);
	cfn_free(removed_ptrs);
	return len;
}
