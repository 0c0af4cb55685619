/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The API's Watch: the request, and the events that carry the view. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budget_alloc.h"
#include "cfn_alloc.h"
#include "cfn_api.h"
#include "cfn_api.pb-c.h"
#include "cfn_watch.h"

#define NODE_A 0x0a00000b /* 10.0.0.11 */
#define NODE_B 0x0a00000c /* 10.0.0.12 */

struct fixture {
	struct cfn_sid_view sv;
	struct cfn_egress egress[2];
	struct cfn_instance_info inst[2];
	struct cfn_metric_value metric[2]; /* one per instance */
	struct cfn_choice chosen[1];	   /* sv's selection */
	void *items[2];
	struct cfn_eval evals[2];
};

static struct fixture *fx;

static void add_egress(size_t i, uint32_t node, const char *bid, uint8_t l2,
		       double cpu)
{
	struct cfn_egress *e = &fx->egress[i];
	char err[64];

	e->node_id = node;
	e->igp_metric = 10 * (uint32_t)(i + 1);
	e->reachable = true;
	e->updated_ms = 1000;
	assert_true(
		cfn_prefix_parse("10.0.0.1", &e->nexthop, err, sizeof(err)));
	e->attr.node_id = node;
	e->attr.scores = (struct cfn_scores){.l2 = l2, .l1 = {l2, 255, 9}};
	e->attr.capacity = 10;
	e->attr.n_instances = 1;
	e->attr.instances = &fx->inst[i];
	assert_true(cfn_prefix_parse(bid, &fx->inst[i].bid, err, sizeof(err)));
	fx->inst[i].scores = e->attr.scores;
	fx->inst[i].capacity = 10;
	fx->inst[i].flags = i ? CFN_INSTANCE_STALE | CFN_INSTANCE_DRAINING : 0;
	e->attr.flags = i ? CFN_ATTR_DRAINING : 0;
	assert_true(cfn_metric_value_from_units(
		CFN_METRIC_CPU_UTIL, CFN_STAT_MEAN, cpu, &fx->metric[i], err,
		sizeof(err)));
	fx->inst[i].metrics = (struct cfn_metric_list){&fx->metric[i], 1};
	fx->items[i] = e;
	fx->sv.egresses.count++;
}

static int setup(void **state)
{
	char err[64];

	fx = calloc(1, sizeof(*fx));
	fx->sv.egresses.items = fx->items;
	fx->sv.egresses.capacity = 2;
	assert_true(cfn_prefix_parse("198.51.100.10/32", &fx->sv.sid, err,
				     sizeof(err)));
	add_egress(0, NODE_A, "10.1.1.1", 8, 20);
	add_egress(1, NODE_B, "10.1.2.1", 3, 90);
	fx->chosen[0] = (struct cfn_choice){NODE_A, 255};
	fx->sv.selection.chosen = fx->chosen;
	fx->sv.selection.count = 1;
	fx->sv.selection.changes = 4;
	fx->evals[0] = (struct cfn_eval){
		.network = 9, .score = 8.5, .verdict = CFN_VERDICT_CHOSEN};
	fx->evals[1] = (struct cfn_eval){
		.network = 8, .score = 3.5, .verdict = CFN_VERDICT_OVERLOADED};
	return 0;
}

static int teardown(void **state)
{
	free(fx);
	return 0;
}

static Cfn__Reply *decode(uint8_t *frame, size_t len)
{
	Cfn__Reply *reply;

	assert_true(len > CFN_API_FRAME_HEADER);
	assert_int_equal(cfn_api_frame_length(frame),
			 len - CFN_API_FRAME_HEADER);
	reply = cfn_api_reply_decode(frame + CFN_API_FRAME_HEADER,
				     len - CFN_API_FRAME_HEADER);
	cfn_free(frame);
	assert_non_null(reply);
	return reply;
}

static void test_watch_request(void **state)
{
	struct cfn_service_table table;
	struct cfn_api_limits limits;
	struct cfn_api_outcome outcome;
	Cfn__Request req = CFN__REQUEST__INIT;
	Cfn__Watch watch = CFN__WATCH__INIT;
	uint8_t buf[64], *frame = NULL;
	Cfn__Reply *reply;
	size_t len;

	cfn_service_table_init(&table);
	cfn_api_limits_default(&limits);
	req.id = 42;
	req.body_case = CFN__REQUEST__BODY_WATCH;
	req.watch = &watch;
	len = cfn__request__pack(&req, buf);
	len = cfn_api_handle(&table, &limits, "t", 0, buf, len, &frame,
			     &outcome);
	reply = decode(frame, len);
	assert_int_equal(reply->status, CFN__STATUS__OK);
	assert_int_equal(reply->id, 42);
	assert_true(reply->has_api_version);
	assert_int_equal(reply->api_version, CFN_API_VERSION);
	assert_null(reply->event); /* the snapshot is the caller's to send */
	assert_true(outcome.watch);
	assert_int_equal(outcome.watch_id, 42);
	assert_null(outcome.service);
	cfn_api_reply_free(reply);
	cfn_service_table_fini(&table);
}

static size_t encode(bool snapshot, const struct cfn_prefix *removed,
		     size_t n_removed, uint8_t **frame)
{
	struct cfn_watch_sid ws = {.sv = &fx->sv,
				   .service = "video",
				   .mode = CFN_SELECT_BEST,
				   .evals = fx->evals};
	struct cfn_watch_event event = {.reply_id = 7,
					.sequence = 3,
					.snapshot = snapshot,
					.router_id = 0x0a000001,
					.now_ms = 3500,
					.sids = &ws,
					.n_sids = 1,
					.removed = removed,
					.n_removed = n_removed};

	return cfn_watch_encode(&event, frame);
}

static void test_event_carries_view_and_selection(void **state)
{
	struct cfn_prefix gone;
	uint8_t *frame = NULL;
	char err[64];
	Cfn__Reply *reply;
	Cfn__Event *ev;
	Cfn__SidState *ss;
	Cfn__WatchEgress *a, *b;

	assert_true(
		cfn_prefix_parse("198.51.100.20/32", &gone, err, sizeof(err)));
	reply = decode(frame, encode(true, &gone, 1, &frame));
	assert_int_equal(reply->id, 7);
	assert_int_equal(reply->status, CFN__STATUS__OK);
	ev = reply->event;
	assert_non_null(ev);
	assert_int_equal(ev->sequence, 3);
	assert_true(ev->snapshot);
	assert_string_equal(ev->router_id, "10.0.0.1");
	assert_int_equal(ev->n_removed, 1);
	assert_string_equal(ev->removed[0], "198.51.100.20/32");
	assert_int_equal(ev->n_sids, 1);
	ss = ev->sids[0];
	assert_string_equal(ss->sid, "198.51.100.10/32");
	assert_string_equal(ss->service, "video");
	assert_string_equal(ss->mode, "best");
	assert_int_equal(ss->changes, 4);
	assert_int_equal(ss->n_egresses, 2);
	a = ss->egresses[0];
	b = ss->egresses[1];
	assert_string_equal(a->node_id, "10.0.0.11");
	assert_string_equal(a->nexthop, "10.0.0.1");
	assert_int_equal(a->igp_metric, 10);
	assert_int_equal(a->l2, 8);
	assert_int_equal(a->n_l1, 3);
	assert_int_equal(a->l1[1], 255);
	assert_int_equal(a->weight, 255);
	assert_int_equal(a->age_ms, 2500);
	assert_string_equal(a->verdict, "chosen");
	assert_true(a->score == 8.5);
	assert_int_equal(b->weight, 0); /* not chosen */
	assert_string_equal(b->verdict,
			    cfn_verdict_name(CFN_VERDICT_OVERLOADED));
	assert_int_equal(b->n_instances, 1);
	assert_string_equal(b->instances[0]->bid, "10.1.2.1");
	assert_true(b->instances[0]->stale);
	assert_true(b->instances[0]->draining);
	assert_true(b->draining);
	assert_false(a->draining);
	assert_false(a->instances[0]->stale);
	assert_int_equal(b->instances[0]->n_metrics, 1);
	assert_string_equal(b->instances[0]->metrics[0]->name,
			    "cpu-utilization");
	assert_string_equal(b->instances[0]->metrics[0]->statistic, "mean");
	assert_true(b->instances[0]->metrics[0]->value == 90);
	cfn_api_reply_free(reply);
}

/* Out of memory at any allocation: no event, nothing leaked. */
static void test_event_out_of_memory(void **state)
{
	for (int budget = 0;; budget++) {
		uint8_t *frame = NULL;
		size_t len;

		budget_alloc_start(budget);
		len = encode(false, NULL, 0, &frame);
		budget_alloc_stop();
		if (len) {
			cfn_api_reply_free(decode(frame, len));
			return;
		}
		assert_null(frame);
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_watch_request),
		T(test_event_carries_view_and_selection),
		T(test_event_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
