/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Trust controls: defaults, bounds on scores and capacity, change limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cfn_trust.h"

static void ebgp_is_not_trusted_by_default(void **state)
{
	struct cfn_trust_policy policy;

	cfn_trust_resolve(&policy, true, NULL, NULL);
	assert_false(policy.accept);
	cfn_trust_resolve(&policy, false, NULL, NULL);
	assert_true(policy.accept);
	assert_int_equal(policy.max_score, CFN_SCORE_MAX);
	assert_int_equal(policy.max_capacity, 0);
	assert_int_equal(policy.max_sids, 0);
	assert_int_equal(policy.max_changes, 0);
}

static void neighbour_overrides_group_overrides_default(void **state)
{
	struct cfn_trust_config group = {.set = CFN_TRUST_ACCEPT |
						CFN_TRUST_MAX_SCORE |
						CFN_TRUST_CHANGE_LIMIT,
					 .values = {.accept = true,
						    .max_score = 6,
						    .max_changes = 3,
						    .window_s = 30}};
	struct cfn_trust_config neighbor = {
		.set = CFN_TRUST_MAX_SCORE | CFN_TRUST_MAX_SIDS,
		.values = {.max_score = 4, .max_sids = 2}};
	struct cfn_trust_policy policy;

	cfn_trust_resolve(&policy, true, &group, &neighbor);
	assert_true(policy.accept);
	assert_int_equal(policy.max_score, 4);
	assert_int_equal(policy.max_sids, 2);
	assert_int_equal(policy.max_changes, 3);
	assert_int_equal(policy.window_s, 30);
	assert_int_equal(policy.max_capacity, 0);
	cfn_trust_resolve(&policy, true, NULL, &neighbor);
	assert_false(policy.accept);
}

static void clamps_scores_and_capacity(void **state)
{
	struct cfn_instance_info instances[2] = {
		{.scores = {.l2 = 10, .l1 = {9, CFN_SCORE_NONE, 3}},
		 .capacity = 5000},
		{.scores = {.l2 = 2, .l1 = {2, 2, 2}}, .capacity = 10},
	};
	struct cfn_attr attr = {
		.scores = {.l2 = 10, .l1 = {10, CFN_SCORE_NONE, 1}},
		.capacity = 9000,
		.n_instances = 2,
		.instances = instances};
	struct cfn_trust_policy policy;
	uint64_t counters[CFN_TRUST_COUNTER_COUNT] = {0};

	cfn_trust_policy_default(&policy, false);
	policy.max_score = 5;
	policy.max_capacity = 1000;
	cfn_trust_clamp(&policy, &attr, counters);
	assert_int_equal(attr.scores.l2, 5);
	assert_int_equal(attr.scores.l1[0], 5);
	assert_int_equal(attr.scores.l1[1], CFN_SCORE_NONE);
	assert_int_equal(attr.scores.l1[2], 1);
	assert_int_equal(attr.capacity, 1000);
	assert_int_equal(instances[0].scores.l2, 5);
	assert_int_equal(instances[0].scores.l1[2], 3);
	assert_int_equal(instances[0].capacity, 1000);
	assert_int_equal(instances[1].scores.l2, 2);
	assert_int_equal(instances[1].capacity, 10);
	assert_int_equal(counters[CFN_TRUST_SCORE_CLAMPED], 1);
	assert_int_equal(counters[CFN_TRUST_CAPACITY_CLAMPED], 1);

	/* within the bounds: nothing changes, nothing counted */
	cfn_trust_clamp(&policy, &attr, counters);
	assert_int_equal(counters[CFN_TRUST_SCORE_CLAMPED], 1);
	assert_int_equal(counters[CFN_TRUST_CAPACITY_CLAMPED], 1);
}

static void limits_changes_per_window(void **state)
{
	struct cfn_change_rate rate = {0};

	assert_true(cfn_change_rate_allow(&rate, 2, 10, 1000));
	assert_true(cfn_change_rate_allow(&rate, 2, 10, 2000));
	assert_false(cfn_change_rate_allow(&rate, 2, 10, 3000));
	assert_false(cfn_change_rate_allow(&rate, 2, 10, 10999));
	assert_true(cfn_change_rate_allow(&rate, 2, 10, 11000));
	/* no limit configured */
	for (int i = 0; i < 100; i++)
		assert_true(cfn_change_rate_allow(&rate, 0, 10, 11000));
	assert_string_equal(cfn_trust_counter_name(CFN_TRUST_DAMPED), "damped");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ebgp_is_not_trusted_by_default),
		cmocka_unit_test(neighbour_overrides_group_overrides_default),
		cmocka_unit_test(clamps_scores_and_capacity),
		cmocka_unit_test(limits_changes_per_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
