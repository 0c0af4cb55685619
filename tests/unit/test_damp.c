/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Update damping: thresholds, score steps, rate limit, refresh, budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cfn_damp.h"

static struct cfn_instance_info sent_inst[2], next_inst[2];
/* the instances' values: their metric lists point here */
static struct cfn_metric_set sent_metrics[2], next_metrics[2];
static struct cfn_attr sent, next;
static struct cfn_damping damping;

static void set_metric(struct cfn_instance_info *inst,
		       struct cfn_metric_set *metrics, uint16_t type,
		       double units)
{
	struct cfn_metric_value v;
	char err[64];

	assert_true(cfn_metric_value_from_units(type, CFN_STAT_MEAN, units, &v,
						err, sizeof(err)));
	cfn_metric_set_put(metrics, &v);
	inst->metrics = cfn_metric_set_list(metrics);
}

static void clear_metrics(int i)
{
	next_metrics[i].count = 0;
	next_inst[i].metrics.count = 0;
}

static int setup(void **state)
{
	char err[64];

	memset(sent_inst, 0, sizeof(sent_inst));
	memset(sent_metrics, 0, sizeof(sent_metrics));
	for (int i = 0; i < 2; i++) {
		assert_true(cfn_prefix_parse(i ? "10.0.0.2" : "10.0.0.1",
					     &sent_inst[i].bid, err,
					     sizeof(err)));
		sent_inst[i].capacity = 10;
		sent_inst[i].scores.l2 = 6;
		set_metric(&sent_inst[i], &sent_metrics[i], CFN_METRIC_CPU_UTIL,
			   40);
		set_metric(&sent_inst[i], &sent_metrics[i], CFN_METRIC_SESSIONS,
			   200);
	}
	memcpy(next_inst, sent_inst, sizeof(sent_inst));
	memcpy(next_metrics, sent_metrics, sizeof(sent_metrics));
	for (int i = 0; i < 2; i++)
		next_inst[i].metrics = cfn_metric_set_list(&next_metrics[i]);
	sent = (struct cfn_attr){
		.scores = {.l2 = 6}, .n_instances = 2, .instances = sent_inst};
	next = sent;
	next.instances = next_inst;
	cfn_damping_default(&damping);
	return 0;
}

static enum cfn_damp_verdict decide(uint64_t last, uint64_t now, uint64_t *due)
{
	return cfn_damp_decide(&damping, &sent, &next, last, now, due);
}

static void test_small_metric_change_suppressed(void **state)
{
	uint64_t due = 0;

	clear_metrics(0);
	set_metric(&next_inst[0], &next_metrics[0], CFN_METRIC_CPU_UTIL,
		   44); /* < 5 points */
	set_metric(&next_inst[0], &next_metrics[0], CFN_METRIC_SESSIONS,
		   215); /* < 10 % */
	assert_int_equal(decide(0, 60000, &due), CFN_DAMP_SUPPRESS);
	assert_int_equal(due, 0);
}

static void test_threshold_crossed_sent(void **state)
{
	uint64_t due;

	clear_metrics(0);
	set_metric(&next_inst[0], &next_metrics[0], CFN_METRIC_CPU_UTIL,
		   45); /* 5 points */
	set_metric(&next_inst[0], &next_metrics[0], CFN_METRIC_SESSIONS, 200);
	assert_int_equal(decide(0, 60000, &due), CFN_DAMP_SEND);
	/* relative threshold: 10 % of 200 sessions is 20, above 10 */
	clear_metrics(0);
	set_metric(&next_inst[0], &next_metrics[0], CFN_METRIC_CPU_UTIL, 40);
	set_metric(&next_inst[0], &next_metrics[0], CFN_METRIC_SESSIONS, 219);
	assert_int_equal(decide(0, 60000, &due), CFN_DAMP_SUPPRESS);
	clear_metrics(0);
	set_metric(&next_inst[0], &next_metrics[0], CFN_METRIC_CPU_UTIL, 40);
	set_metric(&next_inst[0], &next_metrics[0], CFN_METRIC_SESSIONS, 180);
	assert_int_equal(decide(0, 60000, &due), CFN_DAMP_SEND);
	/* a configured threshold applies */
	damping.threshold[CFN_METRIC_SESSIONS].relative = 0.5;
	assert_int_equal(decide(0, 60000, &due), CFN_DAMP_SUPPRESS);
}

static void test_score_step_sent(void **state)
{
	uint64_t due;

	next_inst[1].scores.l2 = 5;
	assert_int_equal(decide(0, 60000, &due), CFN_DAMP_SEND);
	next_inst[1].scores.l2 = 6;
	next.scores.l1[CFN_CATEGORY_COMPUTE] = 3;
	assert_int_equal(decide(0, 60000, &due), CFN_DAMP_SEND);
}

static void test_metric_appears_or_goes(void **state)
{
	uint64_t due;

	set_metric(&next_inst[1], &next_metrics[1], CFN_METRIC_QUEUE_DEPTH, 1);
	assert_int_equal(decide(0, 60000, &due), CFN_DAMP_SEND);
	next_inst[1].metrics.count = 1;
	assert_int_equal(decide(0, 60000, &due), CFN_DAMP_SEND);
}

static void test_rate_limit_delays(void **state)
{
	uint64_t due = 0;

	next_inst[0].scores.l2 = 2;
	assert_int_equal(decide(10000, 10400, &due), CFN_DAMP_DELAY);
	assert_int_equal(due, 11000);
	assert_int_equal(decide(10000, 11000, &due), CFN_DAMP_SEND);
	damping.min_interval_ms = 0;
	assert_int_equal(decide(10000, 10000, &due), CFN_DAMP_SEND);
}

static void test_instances_and_capacity_go_at_once(void **state)
{
	uint64_t due;

	next.n_instances = 1; /* an instance went */
	assert_int_equal(decide(10000, 10001, &due), CFN_DAMP_SEND_NOW);
	next.n_instances = 2;
	next_inst[1].capacity = 20;
	assert_int_equal(decide(10000, 10001, &due), CFN_DAMP_SEND_NOW);
	next_inst[1].capacity = 10;
	assert_int_equal(decide(10000, 10001, &due), CFN_DAMP_SUPPRESS);
	next_inst[1].flags = CFN_INSTANCE_STALE; /* staleness goes at once */
	assert_int_equal(decide(10000, 10001, &due), CFN_DAMP_SEND_NOW);
}

static void test_periodic_refresh(void **state)
{
	uint64_t due;

	assert_int_equal(decide(0, 3600000, &due), CFN_DAMP_SUPPRESS);
	damping.max_interval_s = 60;
	assert_int_equal(decide(0, 59999, &due), CFN_DAMP_SUPPRESS);
	assert_int_equal(decide(0, 60000, &due), CFN_DAMP_SEND);
}

static void test_change_is_largest_score_step(void **state)
{
	assert_int_equal(cfn_damp_change(&sent, &next), 0);
	next_inst[1].scores.l2 = 2;			  /* 4 steps */
	next_inst[0].scores.l1[CFN_CATEGORY_COMPUTE] = 3; /* 3 steps */
	assert_int_equal(cfn_damp_change(&sent, &next), 4);
	next.scores.l2 = 0; /* the egress's own score, 6 steps */
	assert_int_equal(cfn_damp_change(&sent, &next), 6);
	/* the same size whichever way it moves */
	assert_int_equal(cfn_damp_change(&next, &sent), 6);
}

#define LARGEST CFN_SCORE_MAX /* may use the whole bucket */

static void test_budget_holds_one_second(void **state)
{
	struct cfn_damp_budget budget = {0};
	int taken = 0;

	/* no limit: always */
	for (int i = 0; i < 1000; i++)
		assert_true(cfn_damp_budget_take(&budget, 0, LARGEST, 5000));
	assert_int_equal(cfn_damp_budget_next_ms(&budget, 0, 1, LARGEST, 5000),
			 5000);
	/* a full bucket gives one second's worth at once, then no more */
	while (cfn_damp_budget_take(&budget, 10, LARGEST, 5000))
		taken++;
	assert_int_equal(taken, 10);
	assert_false(cfn_damp_budget_take(&budget, 10, LARGEST, 5099));
	assert_int_equal(cfn_damp_budget_next_ms(&budget, 10, 1, LARGEST, 5000),
			 5100);
	/* then one every 1/rate s */
	assert_true(cfn_damp_budget_take(&budget, 10, LARGEST, 5100));
	assert_false(cfn_damp_budget_take(&budget, 10, LARGEST, 5100));
	/* three tokens three tenths later; never more than the bucket */
	assert_int_equal(cfn_damp_budget_next_ms(&budget, 10, 3, LARGEST, 5100),
			 5400);
	assert_int_equal(
		cfn_damp_budget_next_ms(&budget, 10, 50, LARGEST, 5100), 6100);
	/* an idle second fills it again, not beyond */
	taken = 0;
	while (cfn_damp_budget_take(&budget, 10, LARGEST, 60000))
		taken++;
	assert_int_equal(taken, 10);
}

static void test_budget_one_per_second(void **state)
{
	struct cfn_damp_budget budget = {0};

	assert_true(cfn_damp_budget_take(&budget, 1, LARGEST, 1000));
	assert_false(cfn_damp_budget_take(&budget, 1, LARGEST, 1999));
	assert_int_equal(cfn_damp_budget_next_ms(&budget, 1, 1, LARGEST, 1500),
			 2000);
	assert_true(cfn_damp_budget_take(&budget, 1, LARGEST, 2000));
}

static void test_budget_kept_for_larger_changes(void **state)
{
	struct cfn_damp_budget budget = {0};
	int taken = 0;

	/* 1 step may use 2/11 of the bucket: one token of ten */
	assert_true(cfn_damp_budget_take(&budget, 10, 1, 5000));
	assert_false(cfn_damp_budget_take(&budget, 10, 1, 5000));
	/* 5 steps 6/11: four more; the largest change the rest */
	while (cfn_damp_budget_take(&budget, 10, 5, 5000))
		taken++;
	assert_int_equal(taken, 4);
	while (cfn_damp_budget_take(&budget, 10, LARGEST, 5000))
		taken++;
	assert_int_equal(taken, 9);
	/* a tenth later the token is a large change's, not a small one's */
	assert_false(cfn_damp_budget_take(&budget, 10, 1, 5100));
	/* a small change waits until the bucket is all but full */
	assert_int_equal(cfn_damp_budget_next_ms(&budget, 10, 1, 1, 5100),
			 5919);
	assert_int_equal(cfn_damp_budget_next_ms(&budget, 10, 1, LARGEST, 5100),
			 5100);
	assert_false(cfn_damp_budget_take(&budget, 10, 1, 5918));
	assert_true(cfn_damp_budget_take(&budget, 10, 1, 5919));
	/* at one a second the only token is everyone's */
	budget = (struct cfn_damp_budget){0};
	assert_true(cfn_damp_budget_take(&budget, 1, 0, 1000));
	assert_false(cfn_damp_budget_take(&budget, 1, LARGEST, 1999));
	assert_true(cfn_damp_budget_take(&budget, 1, 0, 2000));
}

static void test_priority_larger_change_then_older(void **state)
{
	struct cfn_damp_state big = {
		.change = 5, .due_ms = 1000, .waiting_since = 7};
	struct cfn_damp_state small = {
		.change = 1, .due_ms = 100, .waiting_since = 1};
	/* in the same millisecond, but it began to wait first */
	struct cfn_damp_state big_older = {
		.change = 5, .due_ms = 1000, .waiting_since = 6};
	/* began to wait (for its min-interval) first, due only later */
	struct cfn_damp_state big_due_later = {
		.change = 5, .due_ms = 1500, .waiting_since = 2};

	/* the larger change first, however long the smaller one waited */
	assert_true(cfn_damp_cmp_priority(&big, &small) < 0);
	assert_true(cfn_damp_cmp_priority(&small, &big) > 0);
	/* between equal changes, the one waiting longer for the budget */
	assert_true(cfn_damp_cmp_priority(&big_older, &big) < 0);
	assert_true(cfn_damp_cmp_priority(&big, &big_older) > 0);
	assert_true(cfn_damp_cmp_priority(&big, &big_due_later) < 0);
	assert_true(cfn_damp_cmp_priority(&big_due_later, &big) > 0);
	assert_int_equal(cfn_damp_cmp_priority(&big, &big), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, setup)
	const struct CMUnitTest tests[] = {
		T(test_small_metric_change_suppressed),
		T(test_threshold_crossed_sent),
		T(test_score_step_sent),
		T(test_metric_appears_or_goes),
		T(test_rate_limit_delays),
		T(test_instances_and_capacity_go_at_once),
		T(test_periodic_refresh),
		T(test_change_is_largest_score_step),
		T(test_budget_holds_one_second),
		T(test_budget_one_per_second),
		T(test_budget_kept_for_larger_changes),
		T(test_priority_larger_change_then_older),
	};
#undef T

	return cmocka_run_group_tests_name("damp", tests, NULL, NULL);
}
