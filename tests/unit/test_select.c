/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Selection policy: every rule, ties and equal scores. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budget_alloc.h"
#include "cfn_alloc.h"
#include "cfn_select.h"

#define MAX_EGRESSES 8

struct fixture {
	struct cfn_sid_view sv;
	struct cfn_egress egress[MAX_EGRESSES];
	struct cfn_instance_info inst[MAX_EGRESSES];
	struct cfn_metric_set metrics[MAX_EGRESSES]; /* the instances' */
	void *items[MAX_EGRESSES];
	struct cfn_policy policy;
	struct cfn_eval evals[MAX_EGRESSES];
};

static struct fixture *fx;

/* Add or replace a value of one of the fixture's instances. */
static void put_metric(struct cfn_instance_info *inst,
		       const struct cfn_metric_value *value)
{
	struct cfn_metric_set *set = &fx->metrics[inst - fx->inst];

	assert_true(cfn_metric_set_put(set, value));
	inst->metrics = cfn_metric_set_list(set);
}

/* Egress `node` with score l2, IGP cost igp, one instance at `cpu` %. */
static struct cfn_egress *add(uint32_t node, uint8_t l2, uint32_t igp,
			      double cpu)
{
	size_t i = fx->sv.egresses.count;
	struct cfn_egress *e = &fx->egress[i];
	struct cfn_metric_value v;
	char err[64];

	memset(e, 0, sizeof(*e));
	e->node_id = node;
	e->igp_metric = igp;
	e->reachable = true;
	e->updated_ms = 1000;
	e->attr.node_id = node;
	e->attr.scores.l2 = l2;
	e->attr.n_instances = 1;
	e->attr.instances = &fx->inst[i];
	memset(&fx->inst[i], 0, sizeof(fx->inst[i]));
	memset(&fx->metrics[i], 0, sizeof(fx->metrics[i]));
	fx->inst[i].scores.l2 = l2;
	if (cpu >= 0) {
		assert_true(cfn_metric_value_from_units(CFN_METRIC_CPU_UTIL,
							CFN_STAT_MEAN, cpu, &v,
							err, sizeof(err)));
		put_metric(&fx->inst[i], &v);
	}
	fx->items[i] = e;
	fx->sv.egresses.count++;
	return e;
}

static int setup(void **state)
{
	fx = calloc(1, sizeof(*fx));
	fx->sv.egresses.items = fx->items;
	fx->sv.egresses.capacity = MAX_EGRESSES;
	cfn_policy_default(&fx->policy);
	return 0;
}

static int teardown(void **state)
{
	cfn_free(fx->sv.selection.chosen);
	free(fx);
	return 0;
}

static bool select_now(uint64_t now_ms)
{
	return cfn_select(&fx->policy, &fx->sv, now_ms, fx->evals);
}

static uint32_t chosen(unsigned int i)
{
	assert_true(i < fx->sv.selection.count);
	return fx->sv.selection.chosen[i].node_id;
}

static uint8_t weight_of(uint32_t node)
{
	for (unsigned int i = 0; i < fx->sv.selection.count; i++)
		if (fx->sv.selection.chosen[i].node_id == node)
			return fx->sv.selection.chosen[i].weight;
	fail_msg("node %u not chosen", node);
	return 0;
}

static void test_defaults(void **state)
{
	assert_int_equal(fx->policy.mode, CFN_SELECT_BEST);
	assert_int_equal(fx->policy.min_score, 4);
	assert_string_equal(cfn_verdict_name(CFN_VERDICT_HYSTERESIS),
			    "within-hysteresis");
	assert_string_equal(cfn_select_mode_name(CFN_SELECT_WEIGHTED),
			    "weighted");
	assert_string_equal(cfn_select_mode_name(CFN_SELECT_BALANCED),
			    "balanced");
}

static void test_score_combines_compute_and_network(void **state)
{
	add(1, 8, 50, -1); /* network 5, score (8 + 5) / 2 */
	select_now(2000);
	assert_true(fx->evals[0].network > 4.99 && fx->evals[0].network < 5.01);
	assert_true(fx->evals[0].score > 6.49 && fx->evals[0].score < 6.51);
	fx->policy.compute_weight = 3;
	select_now(2000);
	assert_true(fx->evals[0].score > 7.24 && fx->evals[0].score < 7.26);
	fx->egress[0].igp_metric = 1000; /* beyond igp-cost-max: network 0 */
	select_now(2000);
	assert_true(fx->evals[0].network == 0);
}

static void test_load_moves_choice_at_equal_cost(void **state)
{
	add(1, 9, 10, 10);
	add(2, 6, 10, 40);
	assert_true(select_now(2000));
	assert_int_equal(chosen(0), 1);
	assert_int_equal(fx->evals[0].verdict, CFN_VERDICT_CHOSEN);
	assert_int_equal(fx->evals[1].verdict, CFN_VERDICT_LOWER_SCORE);
	assert_int_equal(fx->sv.selection.changes, 1);
	assert_int_equal(fx->sv.selection.changed_ms, 2000);

	fx->egress[0].attr.scores.l2 = 4; /* node 1 gets loaded */
	assert_true(select_now(3000));
	assert_int_equal(chosen(0), 2);
	assert_int_equal(fx->sv.selection.changes, 2);
}

static void test_lower_cost_wins_at_equal_load(void **state)
{
	add(1, 7, 30, -1);
	add(2, 7, 10, -1);
	add(3, 7, 20, -1);
	select_now(2000);
	assert_int_equal(chosen(0), 2);
}

static void test_hysteresis_holds_then_moves(void **state)
{
	add(1, 8, 10, -1);
	add(2, 7, 10, -1);
	select_now(2000);
	assert_int_equal(chosen(0), 1);
	/* node 2 now scores 0.5 higher: inside the margin of 1 */
	fx->egress[0].attr.scores.l2 = 7;
	fx->egress[1].attr.scores.l2 = 8;
	assert_false(select_now(3000));
	assert_int_equal(chosen(0), 1);
	assert_int_equal(fx->evals[1].verdict, CFN_VERDICT_HYSTERESIS);
	assert_int_equal(fx->sv.selection.changes, 1);
	/* 1.5 higher: beyond the margin */
	fx->egress[0].attr.scores.l2 = 6;
	fx->egress[1].attr.scores.l2 = 9;
	assert_true(select_now(4000));
	assert_int_equal(chosen(0), 2);
	/* without hysteresis the smallest lead moves it */
	fx->policy.hysteresis = 0;
	fx->egress[0].attr.scores.l2 = 9;
	fx->egress[1].attr.scores.l2 = 8;
	assert_true(select_now(5000));
	assert_int_equal(chosen(0), 1);
}

static void test_ties_are_deterministic(void **state)
{
	/* equal score: cost 0 for both, same L2: lower node ID */
	add(7, 6, 0, -1);
	add(3, 6, 0, -1);
	select_now(2000);
	assert_int_equal(chosen(0), 3);
	/* equal score from different mixes: the cheaper path wins */
	teardown(state);
	setup(state);
	fx->policy.igp_cost_max = 10;
	add(1, 10, 10, -1); /* (10 + 0) / 2 = 5 */
	add(2, 5, 5, -1);   /* (5 + 5) / 2 = 5 */
	select_now(2000);
	assert_int_equal(chosen(0), 2);
}

static void test_eligibility_rules(void **state)
{
	add(1, 9, 10, 10);
	add(2, 9, 10, 10);
	add(3, 9, 10, 97);
	add(4, 3, 10, 10);
	add(5, 9, 10, 10);
	for (int i = 0; i < 5; i++)
		fx->egress[i].updated_ms = 55000;
	fx->egress[0].reachable = false;
	fx->egress[1].updated_ms = 0;
	fx->policy.stale_after_s = 30;
	fx->policy.max_utilization = 90;
	select_now(60000);
	assert_int_equal(fx->evals[0].verdict, CFN_VERDICT_UNREACHABLE);
	assert_int_equal(fx->evals[1].verdict, CFN_VERDICT_STALE);
	assert_int_equal(fx->evals[2].verdict, CFN_VERDICT_OVERLOADED);
	assert_int_equal(fx->evals[3].verdict, CFN_VERDICT_LOW_SCORE);
	assert_int_equal(fx->evals[4].verdict, CFN_VERDICT_CHOSEN);
	assert_false(fx->sv.selection.fallback);
	/* staleness off: node 2 is eligible again, ties with node 5 and
	 * ranks first on the lower node ID, but does not lead by the margin */
	fx->policy.stale_after_s = 0;
	assert_false(select_now(60000));
	assert_int_equal(fx->evals[1].verdict, CFN_VERDICT_HYSTERESIS);
	assert_int_equal(chosen(0), 5);
}

static void test_egress_with_only_stale_instances_is_stale(void **state)
{
	add(1, 9, 10, -1);
	add(2, 6, 10, -1);
	fx->inst[0].flags = CFN_INSTANCE_STALE;
	select_now(2000);
	assert_int_equal(fx->evals[0].verdict, CFN_VERDICT_STALE);
	assert_int_equal(chosen(0), 2);
}

/*
 * An egress that advertises no instance (the spec allows it) has nothing
 * to serve: never chosen, not even as the fallback, whatever its L2.
 */
static void test_egress_without_instances_never_chosen(void **state)
{
	add(1, 10, 5, -1);
	add(2, 6, 10, -1);
	fx->egress[0].attr.n_instances = 0;
	select_now(2000);
	assert_int_equal(fx->evals[0].verdict, CFN_VERDICT_NO_INSTANCES);
	assert_string_equal(cfn_verdict_name(CFN_VERDICT_NO_INSTANCES),
			    "no-instances");
	assert_int_equal(chosen(0), 2);
	/* the other one below min-score: the fallback takes it, not node 1 */
	fx->egress[1].attr.scores.l2 = 2;
	select_now(3000);
	assert_true(fx->sv.selection.fallback);
	assert_int_equal(chosen(0), 2);
	assert_int_equal(fx->evals[0].verdict, CFN_VERDICT_NO_INSTANCES);
	/* alone, it is not used at all */
	fx->egress[1].attr.n_instances = 0;
	select_now(4000);
	assert_int_equal(fx->sv.selection.count, 0);
	assert_false(fx->sv.selection.fallback);
}

/* Edge Metadata: a site-level egress serves without instance data. */
static void test_site_level_egress_chosen_without_instances(void **state)
{
	add(1, 9, 5, -1);
	add(2, 6, 5, -1);
	fx->egress[0].attr.n_instances = 0;
	fx->egress[0].attr.site_level = true;
	select_now(2000);
	assert_int_equal(fx->evals[0].verdict, CFN_VERDICT_CHOSEN);
	assert_int_equal(chosen(0), 1);
	assert_true(cfn_egress_serves(&fx->egress[0]));
	fx->egress[0].attr.scores.l2 = 2; /* 20 % of the site in service */
	select_now(3000);
	assert_int_equal(chosen(0), 2);
}

static void test_fallback_least_loaded_never_blackholes(void **state)
{
	add(1, 2, 10, 95);
	add(2, 3, 50, 85);
	add(3, 9, 5, 10);
	fx->egress[2].reachable = false;
	select_now(2000);
	/* nothing eligible and reachable: least loaded reachable one */
	assert_true(fx->sv.selection.fallback);
	assert_int_equal(fx->sv.selection.count, 1);
	assert_int_equal(chosen(0), 2);
	assert_int_equal(fx->evals[1].verdict, CFN_VERDICT_FALLBACK);
	assert_int_equal(fx->evals[0].verdict, CFN_VERDICT_LOW_SCORE);
	assert_int_equal(fx->evals[2].verdict, CFN_VERDICT_UNREACHABLE);
	/* weighted mode falls back to one egress too */
	fx->policy.mode = CFN_SELECT_WEIGHTED;
	select_now(3000);
	assert_int_equal(fx->sv.selection.count, 1);
	assert_int_equal(chosen(0), 2);
	/* leaving the fallback is a change even to the same egress */
	fx->egress[1].attr.scores.l2 = 6;
	assert_true(select_now(4000));
	assert_false(fx->sv.selection.fallback);
}

static void test_draining_egress_gets_no_new_flows(void **state)
{
	add(1, 10, 0, -1);
	add(2, 6, 0, -1);
	fx->policy.mode = CFN_SELECT_WEIGHTED;
	select_now(1000);
	assert_int_equal(fx->sv.selection.count, 2);
	/* the better egress drains: the other takes every new flow */
	fx->egress[0].attr.flags = CFN_ATTR_DRAINING;
	assert_true(select_now(2000));
	assert_int_equal(fx->sv.selection.count, 1);
	assert_int_equal(chosen(0), 2);
	assert_false(fx->sv.selection.fallback);
	assert_int_equal(fx->evals[0].verdict, CFN_VERDICT_DRAINING);
	assert_string_equal(cfn_verdict_name(CFN_VERDICT_DRAINING), "draining");
	/* every instance draining is the egress draining */
	fx->egress[0].attr.flags = 0;
	fx->inst[0].flags = CFN_INSTANCE_DRAINING;
	select_now(3000);
	assert_int_equal(fx->evals[0].verdict, CFN_VERDICT_DRAINING);
	/* the fallback prefers an overloaded egress to a draining one */
	fx->egress[1].attr.scores.l2 = 1;
	select_now(4000);
	assert_true(fx->sv.selection.fallback);
	assert_int_equal(chosen(0), 2);
	assert_int_equal(fx->evals[0].verdict, CFN_VERDICT_DRAINING);
}

static void test_draining_is_the_last_resort(void **state)
{
	/* bgpd's own route would send every flow there anyway */
	add(1, 10, 0, -1);
	add(2, 9, 0, -1);
	fx->egress[0].attr.flags = CFN_ATTR_DRAINING;
	fx->egress[1].reachable = false;
	select_now(1000);
	assert_true(fx->sv.selection.fallback);
	assert_int_equal(fx->sv.selection.count, 1);
	assert_int_equal(chosen(0), 1);
	assert_int_equal(fx->evals[0].verdict, CFN_VERDICT_FALLBACK);
}

static void test_nothing_reachable_selects_nothing(void **state)
{
	add(1, 9, 10, -1);
	select_now(1000);
	fx->egress[0].reachable = false;
	assert_true(select_now(2000));
	assert_int_equal(fx->sv.selection.count, 0);
	assert_false(fx->sv.selection.fallback);
	fx->sv.egresses.count = 0;
	assert_false(select_now(3000));
}

static void test_weighted_proportional(void **state)
{
	fx->policy.mode = CFN_SELECT_WEIGHTED;
	fx->policy.network_weight = 0;
	add(1, 10, 0, -1);
	add(2, 5, 0, -1);
	add(3, 8, 0, -1);
	add(4, 2, 0, -1); /* below min-score */
	select_now(2000);
	assert_int_equal(fx->sv.selection.count, 3);
	assert_int_equal(weight_of(1), 255);
	/* L2 5, one point above min-score 4: two thirds of 255 * 5 / 10 */
	assert_int_equal(weight_of(2), 85);
	assert_int_equal(weight_of(3), 204);
	assert_int_equal(fx->evals[3].verdict, CFN_VERDICT_LOW_SCORE);
	assert_int_equal(fx->evals[1].weight, 85);
	/* max-paths keeps the best two */
	fx->policy.max_paths = 2;
	select_now(3000);
	assert_int_equal(fx->sv.selection.count, 2);
	assert_int_equal(fx->evals[1].verdict, CFN_VERDICT_MAX_PATHS);
}

static void test_weighted_by_capacity(void **state)
{
	fx->policy.mode = CFN_SELECT_WEIGHTED;
	fx->policy.network_weight = 0;
	fx->policy.min_score = 0; /* no taper */
	add(1, 10, 0, -1)->attr.capacity = 2;
	add(2, 5, 0, -1)->attr.capacity = 8;
	add(3, 8, 0, -1)->attr.capacity = 4;
	select_now(2000);
	/* score x capacity: 20, 40, 32 */
	assert_int_equal(weight_of(2), 255);
	assert_int_equal(weight_of(1), 128);
	assert_int_equal(weight_of(3), 204);
	/* one capacity unknown: by score alone */
	fx->egress[2].attr.capacity = 0;
	select_now(3000);
	assert_int_equal(weight_of(1), 255);
	assert_int_equal(weight_of(2), 128);
	assert_int_equal(weight_of(3), 204);
}

/* Crossing min-score moves a third of a share, not all of it. */
static void test_weighted_tapers_at_min_score(void **state)
{
	fx->policy.mode = CFN_SELECT_WEIGHTED;
	fx->policy.network_weight = 0;
	add(1, 8, 0, -1);
	add(2, 6, 0, -1);
	select_now(2000);
	assert_int_equal(weight_of(2), 191); /* 255 * 6 / 8, no taper */
	fx->egress[1].attr.scores.l2 = 5;
	select_now(3000);
	assert_int_equal(weight_of(2), 106); /* 2/3 of 255 * 5 / 8 */
	fx->egress[1].attr.scores.l2 = 4;
	select_now(4000);
	assert_int_equal(weight_of(2), 43); /* 1/3 of 255 * 4 / 8 */
	fx->egress[1].attr.scores.l2 = 3;
	select_now(5000);
	assert_int_equal(fx->sv.selection.count, 1);
	assert_int_equal(fx->evals[1].verdict, CFN_VERDICT_LOW_SCORE);
}

static void test_weighted_threshold(void **state)
{
	fx->policy.mode = CFN_SELECT_WEIGHTED;
	fx->policy.network_weight = 0;
	add(1, 10, 0, -1);
	add(2, 8, 0, -1);
	select_now(2000); /* 255, 204 */
	assert_int_equal(weight_of(2), 204);
	/* 9 -> 230: moves 26 units, beyond 10 % of 204: change */
	fx->egress[1].attr.scores.l2 = 9;
	assert_true(select_now(3000));
	assert_int_equal(weight_of(2), 230);
	/* a 5 % move is held */
	fx->policy.weight_threshold = 20;
	fx->egress[1].attr.scores.l2 = 8;
	assert_false(select_now(4000));
	assert_int_equal(weight_of(2), 230);
	assert_int_equal(fx->evals[1].weight, 230);
	/* a new egress always changes the set */
	add(3, 10, 0, -1);
	assert_true(select_now(5000));
	assert_int_equal(fx->sv.selection.count, 3);
}

/* The threshold is relative to the weight: one step of a small one moves. */
static void test_weighted_threshold_relative(void **state)
{
	fx->policy.mode = CFN_SELECT_WEIGHTED;
	fx->policy.network_weight = 0;
	fx->policy.min_score = 0;
	add(1, 10, 0, -1)->attr.capacity = 10;
	add(2, 4, 0, -1)->attr.capacity = 1;
	select_now(2000);
	assert_int_equal(weight_of(2), 10); /* 255 * 4 / 100 */
	/* 13: 3 units, far below 10 % of 255 but 30 % of 10 */
	fx->egress[1].attr.scores.l2 = 5;
	assert_true(select_now(3000));
	assert_int_equal(weight_of(2), 13);
}

/* Egress for balanced mode: capacity, background %, request rate. */
static struct cfn_egress *add_site(uint32_t node, uint32_t capacity,
				   double background, double rate, uint32_t igp)
{
	struct cfn_egress *e = add(node, 10, igp, -1);
	struct cfn_instance_info *inst = &e->attr.instances[0];
	struct cfn_metric_value v;
	char err[64];

	e->attr.capacity = capacity;
	inst->capacity = capacity;
	if (background >= 0) {
		assert_true(cfn_metric_value_from_units(
			CFN_METRIC_BACKGROUND_UTIL, CFN_STAT_MAX, background,
			&v, err, sizeof(err)));
		put_metric(inst, &v);
	}
	if (rate >= 0) {
		assert_true(cfn_metric_value_from_units(CFN_METRIC_REQUEST_RATE,
							CFN_STAT_MEAN, rate, &v,
							err, sizeof(err)));
		put_metric(inst, &v);
	}
	return e;
}

/* Balanced mode, water-filling from the start (spill-at 0). */
static void balanced(void)
{
	fx->policy.mode = CFN_SELECT_BALANCED;
	fx->policy.network_penalty = 0;
	fx->policy.spill_at = 0;
}

/* Predicted utilisation after the split, of a chosen egress. */
static double predicted(unsigned int e, double demand)
{
	const struct cfn_eval *ev = &fx->evals[e];

	return ev->base + ev->share * demand / ev->egress->attr.capacity;
}

static void assert_near(double a, double b, double tolerance)
{
	if (fabs(a - b) > tolerance)
		fail_msg("%g is not %g (+- %g)", a, b, tolerance);
}

static void test_water_fill_levels(void **state)
{
	const double capacity[] = {100, 200, 300}, base[] = {0.1, 0.2, 0.5};
	double share[3], level;

	/* 100 (L - .1) + 200 (L - .2) + 300 (L - .5) = 150: L = 7/12 */
	level = cfn_water_fill(capacity, base, 3, 150, share);
	assert_near(level, 7.0 / 12, 1e-9);
	for (int i = 0; i < 3; i++)
		assert_near(base[i] + share[i] * 150 / capacity[i], level,
			    1e-9);
	/* 5 requests/s fill the emptiest only, to 0.15 */
	level = cfn_water_fill(capacity, base, 3, 5, share);
	assert_near(level, 0.15, 1e-9);
	assert_near(share[0], 1, 1e-9);
	assert_true(share[1] == 0 && share[2] == 0);
	/* no demand: by free capacity 90, 160, 150 */
	assert_true(cfn_water_fill(capacity, base, 3, 0, share) == 0);
	assert_near(share[1], 160.0 / 400, 1e-9);
}

/*
 * More demand than the sites can serve: each is filled to capacity and
 * the overflow goes to the one with the least room, rather than every
 * site being overloaded alike.
 */
static void test_water_fill_spills_to_one(void **state)
{
	const double capacity[] = {100, 200, 300}, base[] = {0.1, 0.2, 0.5};
	double share[3], level;

	/* full: 90 + 160 + 150 = 400 requests/s; 100 more go to the third */
	level = cfn_water_fill(capacity, base, 3, 500, share);
	assert_near(level, 1, 1e-9);
	assert_near(share[0], 90.0 / 500, 1e-9);
	assert_near(share[1], 160.0 / 500, 1e-9);
	assert_near(share[2], 250.0 / 500, 1e-9);
	/* exactly full: no spill, everyone at 100 % */
	level = cfn_water_fill(capacity, base, 3, 400, share);
	assert_near(level, 1, 1e-6);
	assert_near(share[2], 150.0 / 400, 1e-6);
}

/* Sites for cfn_balance: capacity, background, IGP cost; no penalty. */
#define SITE(cap, bg, igp)                                                     \
	{                                                                      \
		.capacity = (cap), .background = (bg), .cost = (igp)           \
	}

/* The nearest tier fills to spill-at before a farther one gets any. */
static void test_balance_fills_nearest_first(void **state)
{
	const struct cfn_balance_site sites[] = {
		SITE(100, 0.2, 30), SITE(100, 0.1, 10), SITE(200, 0, 20)};
	double share[3];

	/* 40 requests/s: the nearest (cost 10) alone, to .5 */
	cfn_balance(sites, 3, 40, 0.7, share);
	assert_near(share[1], 1, 1e-9);
	assert_true(share[0] == 0 && share[2] == 0);
	/* 100: the nearest to .7 (60), the next (cost 20) the other 40 */
	cfn_balance(sites, 3, 100, 0.7, share);
	assert_near(share[1] * 100, 60, 1e-9);
	assert_near(share[2] * 100, 40, 1e-9);
	assert_true(share[0] == 0);
	/* 250: 60 + 140 to .7, the farthest takes the 50 left */
	cfn_balance(sites, 3, 250, 0.7, share);
	assert_near(share[0] * 250, 50, 1e-9);
}

/* Equal IGP costs form one tier, water-filled to equal utilisation. */
static void test_balance_tier_is_water_filled(void **state)
{
	const struct cfn_balance_site sites[] = {
		SITE(100, 0.1, 10), SITE(300, 0.3, 10), SITE(100, 0, 50)};
	double share[3];

	/* 100 (L - .1) + 300 (L - .3) = 40: L = .35 */
	cfn_balance(sites, 3, 40, 0.7, share);
	assert_near(0.1 + share[0] * 40 / 100, 0.35, 1e-9);
	assert_near(0.3 + share[1] * 40 / 300, 0.35, 1e-9);
	assert_true(share[2] == 0);
}

/* Beyond spill-at everywhere, or spill-at 0: plain water-filling with
 * the network penalties, continuous at the border. */
static void test_balance_beyond_spill_is_water_filling(void **state)
{
	struct cfn_balance_site sites[] = {SITE(100, 0.1, 10),
					   SITE(200, 0.2, 20)};
	const double capacity[] = {100, 200}, base[] = {0.15, 0.3};
	double share[2], expect[2];

	sites[0].penalty = 0.05;
	sites[1].penalty = 0.1;
	cfn_water_fill(capacity, base, 2, 300, expect);
	cfn_balance(sites, 2, 300, 0.7, share);
	assert_near(share[0], expect[0], 1e-9);
	assert_near(share[1], expect[1], 1e-9);
	cfn_water_fill(capacity, base, 2, 30, expect);
	cfn_balance(sites, 2, 30, 0, share);
	assert_near(share[0], expect[0], 1e-9);
	/* no rates reported: by headroom, as cfn_water_fill */
	cfn_balance(sites, 2, 0, 0.7, share);
	assert_near(share[0], 100 * 0.85 / (100 * 0.85 + 200 * 0.7), 1e-9);
}

/*
 * Ingresses with opposite IGP costs, each applying its own split to its
 * own traffic: no site receives more than spill-at of its capacity.
 */
static void test_balance_ingresses_never_overfill(void **state)
{
	struct cfn_balance_site west[] = {SITE(60, 0, 4), SITE(30, 0, 18),
					  SITE(100, 0, 30)};
	struct cfn_balance_site east[] = {SITE(60, 0, 12), SITE(30, 0, 4),
					  SITE(100, 0, 30)};
	const double demand_west = 25, demand_east = 15;
	double sw[3], se[3];

	cfn_balance(west, 3, demand_west + demand_east, 0.6, sw);
	cfn_balance(east, 3, demand_west + demand_east, 0.6, se);
	for (int i = 0; i < 3; i++) {
		double load = sw[i] * demand_west + se[i] * demand_east;

		assert_true(load <= 0.6 * west[i].capacity + 1e-9);
	}
	/* each favours its own nearest: west 36 + 4, east 18 + 22 */
	assert_near(sw[0], 0.9, 1e-9);
	assert_near(se[0], 0.55, 1e-9);
	assert_near(se[1], 0.45, 1e-9);
}

static void test_balanced_equalizes_predicted_utilization(void **state)
{
	balanced();
	add_site(1, 400, 10, 100, 0);
	add_site(2, 300, 40, 200, 0);
	add_site(3, 1000, 20, 300, 0);
	select_now(2000);
	assert_int_equal(fx->sv.selection.count, 3);
	for (int e = 1; e < 3; e++)
		assert_near(predicted(e, 600), predicted(0, 600), 1e-6);
	/* the largest share gets 255 */
	assert_int_equal(weight_of(3), 255);
	assert_true(weight_of(2) < weight_of(1));
}

static void test_balanced_background_shifts_share(void **state)
{
	balanced();
	add_site(1, 500, 20, 100, 0);
	add_site(2, 500, 20, 100, 0);
	select_now(2000);
	assert_int_equal(weight_of(1), 255);
	assert_int_equal(weight_of(2), 255);
	/* e2 busier by other work: 200 over levels .2 and .5 -> L .55 */
	fx->metrics[1].values[0].raw = 5000;
	assert_true(select_now(3000));
	assert_int_equal(weight_of(1), 255);
	assert_int_equal(weight_of(2), 36); /* 255 * .05 / .35 */
	/* and beyond the level: not chosen, the rest gets it all */
	fx->metrics[1].values[0].raw = 9000;
	select_now(4000);
	assert_int_equal(fx->sv.selection.count, 1);
	assert_int_equal(chosen(0), 1);
	assert_int_equal(fx->evals[1].verdict, CFN_VERDICT_LOWER_SCORE);
}

static void test_balanced_without_rates_goes_by_headroom(void **state)
{
	balanced();
	add_site(1, 100, 20, -1, 0);
	add_site(2, 100, 60, -1, 0);
	add_site(3, 200, -1, -1, 0)->attr.instances[0].scores.l2 = 7;
	select_now(2000);
	/* free capacity 80, 40 and (L2 7: background .3) 140 */
	assert_int_equal(fx->sv.selection.count, 3);
	assert_int_equal(weight_of(3), 255);
	assert_int_equal(weight_of(1), 146);
	assert_int_equal(weight_of(2), 73);
}

static void test_balanced_network_penalty(void **state)
{
	balanced();
	fx->policy.network_penalty = 20;
	add_site(1, 500, 20, 50, 10); /* penalty 2 points */
	add_site(2, 500, 20, 0, 100); /* 20 points */
	select_now(2000);
	/* 50 requests/s fill the near site to .32 only: the far one waits */
	assert_int_equal(fx->sv.selection.count, 1);
	assert_int_equal(chosen(0), 1);
	assert_near(fx->evals[1].base, 0.4, 1e-9);
	/* 500: level .81, the far one gets 255 * (.81 - .4) / (.81 - .22) */
	fx->metrics[0].values[1].raw = 500000;
	select_now(3000);
	assert_int_equal(fx->sv.selection.count, 2);
	assert_int_equal(weight_of(1), 255);
	assert_int_equal(weight_of(2), 177);
}

static void test_balanced_never_herds(void **state)
{
	balanced();
	fx->policy.min_score = 4;
	/* 60 requests/s: the level (.2) is above every background */
	add_site(1, 200, 5, 20, 0);
	add_site(2, 200, 10, 20, 0);
	add_site(3, 200, 15, 20, 0)->attr.scores.l2 = 3; /* min-score: */
	select_now(2000); /* ... no cliff in balanced mode */
	assert_int_equal(fx->sv.selection.count, 3);
	assert_int_equal(weight_of(1), 255);
	assert_int_equal(weight_of(2), 170);
	assert_int_equal(weight_of(3), 85);
	/* more than all of them serve: every site still in, each filled to
	 * capacity, the overflow on the one with the least room of its own
	 * (one overloaded queue rather than three) */
	for (int e = 0; e < 3; e++)
		fx->metrics[e].values[1].raw = 2000 * 1000;
	select_now(3000);
	assert_int_equal(fx->sv.selection.count, 3);
	assert_near(predicted(0, 6000), 1, 1e-2);
	assert_near(predicted(1, 6000), 1, 1e-2);
	assert_true(predicted(2, 6000) > 1);
}

/* Nothing eligible: the fallback's one egress, as in the other modes. */
static void test_balanced_falls_back(void **state)
{
	balanced();
	fx->policy.max_utilization = 50;
	add(1, 3, 10, 95);
	add(2, 4, 10, 80);
	select_now(2000);
	assert_true(fx->sv.selection.fallback);
	assert_int_equal(fx->sv.selection.count, 1);
	assert_int_equal(chosen(0), 2);
}

static void test_explain_changes_nothing(void **state)
{
	add(1, 9, 10, -1);
	add(2, 5, 10, -1);
	select_now(2000);
	fx->egress[0].attr.scores.l2 = 1;
	cfn_select_explain(&fx->policy, &fx->sv, 3000, fx->evals);
	assert_int_equal(fx->evals[1].verdict, CFN_VERDICT_CHOSEN);
	assert_int_equal(chosen(0), 1); /* unchanged until cfn_select */
	assert_int_equal(fx->sv.selection.changes, 1);
}

static void test_policy_merge(void **state)
{
	struct cfn_policy base, over = {.mode = CFN_SELECT_WEIGHTED,
					.hysteresis = 3,
					.max_paths = 2};

	cfn_policy_default(&base);
	cfn_policy_merge(&base, &over, CFN_POLICY_MODE | CFN_POLICY_HYSTERESIS);
	assert_int_equal(base.mode, CFN_SELECT_WEIGHTED);
	assert_true(base.hysteresis == 3);
	assert_int_equal(base.max_paths, 8); /* not named: default kept */
}

static void test_out_of_memory_keeps_selection(void **state)
{
	add(1, 9, 10, -1);
	add(2, 5, 10, -1);
	select_now(2000);
	fx->egress[0].attr.scores.l2 = 1;
	budget_alloc_start(0);
	assert_false(cfn_select(&fx->policy, &fx->sv, 3000, NULL));
	budget_alloc_stop();
	assert_int_equal(chosen(0), 1);
	budget_alloc_start(1); /* for the decision, not for storing it */
	assert_false(cfn_select(&fx->policy, &fx->sv, 3000, fx->evals));
	budget_alloc_stop();
	assert_int_equal(chosen(0), 1);
	assert_int_equal(fx->sv.selection.changes, 1);
	assert_true(cfn_select(&fx->policy, &fx->sv, 3000, NULL));
	assert_int_equal(chosen(0), 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_score_combines_compute_and_network),
		T(test_load_moves_choice_at_equal_cost),
		T(test_lower_cost_wins_at_equal_load),
		T(test_hysteresis_holds_then_moves),
		T(test_ties_are_deterministic),
		T(test_eligibility_rules),
		T(test_egress_with_only_stale_instances_is_stale),
		T(test_egress_without_instances_never_chosen),
		T(test_site_level_egress_chosen_without_instances),
		T(test_fallback_least_loaded_never_blackholes),
		T(test_draining_egress_gets_no_new_flows),
		T(test_draining_is_the_last_resort),
		T(test_nothing_reachable_selects_nothing),
		T(test_weighted_proportional),
		T(test_weighted_by_capacity),
		T(test_weighted_tapers_at_min_score),
		T(test_weighted_threshold),
		T(test_weighted_threshold_relative),
		T(test_water_fill_levels),
		T(test_water_fill_spills_to_one),
		T(test_balance_fills_nearest_first),
		T(test_balance_tier_is_water_filled),
		T(test_balance_beyond_spill_is_water_filling),
		T(test_balance_ingresses_never_overfill),
		T(test_balanced_equalizes_predicted_utilization),
		T(test_balanced_background_shifts_share),
		T(test_balanced_without_rates_goes_by_headroom),
		T(test_balanced_network_penalty),
		T(test_balanced_never_herds),
		T(test_balanced_falls_back),
		T(test_explain_changes_nothing),
		T(test_policy_merge),
		T(test_out_of_memory_keeps_selection),
	};
#undef T

	return cmocka_run_group_tests_name("select", tests, NULL, NULL);
}
