/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Instance-level dispatch at the egress: the service's instances as the
 * selection's candidates, split by score and capacity as egresses are.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budget_alloc.h"
#include "cfn_alloc.h"
#include "cfn_dispatch.h"

struct fixture {
	struct cfn_service_table table;
	struct cfn_service *service;
	struct cfn_metric_model model;
	struct cfn_view view;
	struct cfn_policy policy;
	struct cfn_eval evals[4];
	struct cfn_prefix unreachable; /* a BID resolve() cannot reach */
};

static struct fixture *fx;

static struct cfn_prefix prefix(const char *str)
{
	struct cfn_prefix p;
	char err[64];

	assert_true(cfn_prefix_parse(str, &p, err, sizeof(err)));
	return p;
}

/* Every BID is on-link at interface 7, but the unreachable one. */
static bool resolve(const struct cfn_prefix *bid, struct cfn_hop *hop,
		    void *arg)
{
	hop->gateway = *bid;
	hop->ifindex = 7;
	return !cfn_prefix_equal(bid, &fx->unreachable);
}

static struct cfn_local_instance *add(const char *bid, uint32_t capacity,
				      double cpu)
{
	struct cfn_prefix p = prefix(bid);
	struct cfn_metric_value v;
	struct cfn_local_instance *inst;
	char err[64];

	assert_int_equal(cfn_instance_set(fx->service, &p, capacity), CFN_OK);
	inst = cfn_instance_find(fx->service, &p);
	assert_true(cfn_metric_value_from_units(
		CFN_METRIC_CPU_UTIL, CFN_STAT_MEAN, cpu, &v, err, sizeof(err)));
	assert_int_equal(cfn_instance_metric_set(inst, &v), CFN_OK);
	return inst;
}

static int setup(void **state)
{
	struct cfn_prefix sid = prefix("198.51.100.10/32");

	fx = calloc(1, sizeof(*fx));
	cfn_service_table_init(&fx->table);
	cfn_service_set(&fx->table, "video", &sid, NULL);
	fx->service = cfn_service_find(&fx->table, "video");
	fx->service->dispatch = true;
	cfn_metric_model_default(&fx->model);
	cfn_view_init(&fx->view);
	cfn_policy_default(&fx->policy);
	fx->policy.mode = CFN_SELECT_WEIGHTED;
	fx->policy.stale_after_s = 5;
	cfn_dispatch_policy(&fx->policy);
	return 0;
}

static int teardown(void **state)
{
	budget_alloc_stop();
	cfn_view_fini(&fx->view);
	cfn_service_table_fini(&fx->table);
	free(fx);
	return 0;
}

/* Update the view and select at now_ms: the SID's view. */
static struct cfn_sid_view *dispatch(uint64_t now_ms)
{
	struct cfn_sid_view *sv;
	unsigned int changes;

	assert_int_equal(cfn_dispatch_update(&fx->view, fx->service, &fx->model,
					     resolve, NULL, now_ms, &changes),
			 CFN_OK);
	sv = cfn_view_find(&fx->view, &fx->service->sid);
	if (sv)
		cfn_select(&fx->policy, sv, now_ms, fx->evals);
	return sv;
}

static uint8_t weight_of(const struct cfn_sid_view *sv,
			 const struct cfn_local_instance *inst)
{
	for (unsigned int i = 0; i < sv->selection.count; i++)
		if (sv->selection.chosen[i].node_id == inst->id)
			return sv->selection.chosen[i].weight;
	return 0;
}

static void test_split_by_score_and_capacity(void **state)
{
	struct cfn_local_instance *a = add("10.1.0.11", 10, 20);
	struct cfn_local_instance *b = add("10.1.0.12", 10, 40);
	struct cfn_sid_view *sv = dispatch(1000);
	struct cfn_egress *ea = sv->egresses.items[0];

	/* one candidate per instance, at its BID, with its scores */
	assert_int_equal(sv->egresses.count, 2);
	assert_int_equal(ea->node_id, a->id);
	assert_true(cfn_prefix_equal(&ea->hops[0].gateway, &a->bid));
	assert_int_equal(ea->hops[0].ifindex, 7);
	assert_int_equal(ea->attr.scores.l2, 8);
	assert_int_equal(sv->selection.count, 2);
	assert_int_equal(weight_of(sv, a), 255);
	/* scores (L2 8, network 10) / 2 = 9 against (6 + 10) / 2 = 8 */
	assert_int_equal(weight_of(sv, b), 227);
	/* four times the capacity: 8 x 40 against 9 x 10 */
	cfn_instance_set(fx->service, &b->bid, 40);
	sv = dispatch(2000);
	assert_int_equal(weight_of(sv, b), 255);
	assert_int_equal(weight_of(sv, a), 72);
	/* configuration order does not change the keys */
	assert_int_equal(b->id, a->id + 1);
}

static void test_overloaded_stale_and_draining_left_out(void **state)
{
	struct cfn_local_instance *a = add("10.1.0.11", 10, 20);
	struct cfn_local_instance *b = add("10.1.0.12", 10, 30);
	struct cfn_local_instance *c = add("10.1.0.13", 10, 40);
	struct cfn_sid_view *sv;

	fx->policy.max_utilization = 90;
	add("10.1.0.12", 10, 95); /* b overloaded */
	c->draining = true;
	sv = dispatch(1000);
	assert_int_equal(sv->selection.count, 1);
	assert_int_equal(weight_of(sv, a), 255);
	assert_int_equal(fx->evals[1].verdict, CFN_VERDICT_OVERLOADED);
	assert_int_equal(fx->evals[2].verdict, CFN_VERDICT_DRAINING);
	/* a stale instance is left out by its flag, not by the age of the
	 * data (static metrics never change) */
	c->draining = false;
	a->stale = true;
	sv = dispatch(60000);
	assert_int_equal(sv->selection.count, 1);
	assert_int_equal(weight_of(sv, c), 255);
	assert_int_equal(fx->evals[0].verdict, CFN_VERDICT_STALE);
	assert_int_equal(weight_of(sv, b), 0);
}

static void test_least_loaded_fallback(void **state)
{
	struct cfn_local_instance *a = add("10.1.0.11", 10, 97);
	struct cfn_local_instance *b = add("10.1.0.12", 10, 92);
	struct cfn_sid_view *sv;

	fx->policy.max_utilization = 90;
	sv = dispatch(1000);
	assert_true(sv->selection.fallback);
	assert_int_equal(sv->selection.count, 1);
	assert_int_equal(weight_of(sv, b), 255);
	assert_int_equal(weight_of(sv, a), 0);
}

static void test_unreachable_bid_never_chosen(void **state)
{
	struct cfn_local_instance *a = add("10.1.0.11", 10, 10);
	struct cfn_local_instance *b = add("10.1.0.12", 10, 50);
	struct cfn_sid_view *sv;

	fx->unreachable = a->bid;
	sv = dispatch(1000);
	assert_int_equal(sv->selection.count, 1);
	assert_int_equal(weight_of(sv, b), 255);
	assert_int_equal(fx->evals[0].verdict, CFN_VERDICT_UNREACHABLE);
}

static void test_draining_egress_still_dispatches(void **state)
{
	/* the whole egress drains for the ingresses; what still arrives
	 * (established flows) goes to the instances as before */
	struct cfn_local_instance *a = add("10.1.0.11", 10, 10);
	struct cfn_local_instance *b = add("10.1.0.12", 10, 10);
	struct cfn_sid_view *sv;

	fx->service->draining = true;
	sv = dispatch(1000);
	assert_false(sv->selection.fallback);
	assert_int_equal(sv->selection.count, 2);
	assert_int_equal(weight_of(sv, a), 255);
	assert_int_equal(weight_of(sv, b), 255);
	/* an instance's own drain still counts */
	b->draining = true;
	sv = dispatch(2000);
	assert_int_equal(sv->selection.count, 1);
	assert_int_equal(weight_of(sv, a), 255);
}

static void test_off_or_empty_leaves_the_view(void **state)
{
	struct cfn_local_instance *a = add("10.1.0.11", 10, 10);

	assert_non_null(dispatch(1000));
	fx->service->dispatch = false;
	assert_null(dispatch(2000));
	fx->service->dispatch = true;
	assert_non_null(dispatch(3000));
	cfn_instance_delete(fx->service, &a->bid);
	assert_null(dispatch(4000));
}

static void test_out_of_memory_changes_nothing(void **state)
{
	struct cfn_local_instance *a = add("10.1.0.11", 10, 10);
	unsigned int changes;

	add("10.1.0.12", 10, 10);
	for (int budget = 0; budget < 4; budget++) {
		budget_alloc_start(budget);
		assert_int_equal(cfn_dispatch_update(&fx->view, fx->service,
						     &fx->model, resolve, NULL,
						     1000, &changes),
				 CFN_ERR_NOMEM);
		budget_alloc_stop();
		assert_null(cfn_view_find(&fx->view, &fx->service->sid));
	}
	assert_non_null(dispatch(1000));
	assert_ptr_equal(cfn_dispatch_instance(fx->service, a->id), a);
	assert_null(cfn_dispatch_instance(fx->service, 999));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_split_by_score_and_capacity),
		T(test_overloaded_stale_and_draining_left_out),
		T(test_least_loaded_fallback),
		T(test_unreachable_bid_never_chosen),
		T(test_draining_egress_still_dispatches),
		T(test_off_or_empty_leaves_the_view),
		T(test_out_of_memory_changes_nothing),
	};
#undef T

	return cmocka_run_group_tests_name("dispatch", tests, NULL, NULL);
}
