/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cfn_metric.h"

static struct cfn_metric_value value(uint16_t type, enum cfn_statistic stat,
				     double units)
{
	struct cfn_metric_value v;
	char err[96];

	assert_true(cfn_metric_value_from_units(type, stat, units, &v, err,
						sizeof(err)));
	return v;
}

static void test_descriptors(void **state)
{
	const struct cfn_metric_desc *cpu =
		cfn_metric_desc(CFN_METRIC_CPU_UTIL);
	enum cfn_category cat;
	enum cfn_statistic stat;

	assert_string_equal(cpu->name, "cpu-utilization");
	assert_string_equal(cpu->unit, "percent");
	assert_int_equal(cpu->category, CFN_CATEGORY_COMPUTE);
	assert_ptr_equal(cfn_metric_desc_by_name("queue-depth"),
			 cfn_metric_desc(CFN_METRIC_QUEUE_DEPTH));
	assert_null(cfn_metric_desc_by_name("temperature"));
	assert_null(cfn_metric_desc(0));
	assert_null(cfn_metric_desc(CFN_METRIC_TYPE_MAX + 1));
	assert_true(cfn_category_by_name("communication", &cat));
	assert_int_equal(cat, CFN_CATEGORY_COMMUNICATION);
	assert_false(cfn_category_by_name("storage", &cat));
	assert_true(cfn_statistic_by_name("max", &stat));
	assert_int_equal(stat, CFN_STAT_MAX);
	assert_string_equal(cfn_statistic_name(CFN_STAT_MEAN), "mean");
	/* every type has a name, a unit and a scale */
	for (uint16_t t = 1; t <= CFN_METRIC_TYPE_MAX; t++) {
		assert_non_null(cfn_metric_desc(t)->name);
		assert_non_null(cfn_metric_desc(t)->unit);
		assert_true(cfn_metric_desc(t)->scale > 0);
	}
}

static void test_value_conversion(void **state)
{
	struct cfn_metric_value v =
		value(CFN_METRIC_CPU_UTIL, CFN_STAT_MEAN, 37.25);
	char err[96] = "";

	assert_int_equal(v.raw, 3725);
	assert_true(fabs(cfn_metric_value_units(&v) - 37.25) < 1e-9);
	v = value(CFN_METRIC_PROC_DELAY, CFN_STAT_CURRENT, 12.5);
	assert_int_equal(v.raw, 12500); /* microseconds on the wire */

	assert_false(cfn_metric_value_from_units(CFN_METRIC_CPU_UTIL, 0, 100.5,
						 &v, err, sizeof(err)));
	assert_non_null(strstr(
		err, "cpu-utilization must be a number from 0 to 100 percent"));
	assert_false(cfn_metric_value_from_units(CFN_METRIC_SESSIONS, 0, -1, &v,
						 err, sizeof(err)));
	assert_false(cfn_metric_value_from_units(CFN_METRIC_SESSIONS, 0, NAN,
						 &v, err, sizeof(err)));
	assert_false(cfn_metric_value_from_units(
		CFN_METRIC_SESSIONS, 0, INFINITY, &v, err, sizeof(err)));
	assert_false(
		cfn_metric_value_from_units(99, 0, 1, &v, err, sizeof(err)));
	assert_non_null(strstr(err, "unknown metric type 99"));
	assert_false(cfn_metric_value_from_units(CFN_METRIC_SESSIONS, 7, 1, &v,
						 err, sizeof(err)));
}

static void test_set_put_replace_remove(void **state)
{
	struct cfn_metric_set set = {};
	struct cfn_metric_value v;

	v = value(CFN_METRIC_CPU_UTIL, CFN_STAT_MEAN, 10);
	assert_true(cfn_metric_set_put(&set, &v));
	v = value(CFN_METRIC_CPU_UTIL, CFN_STAT_MEAN, 20);
	assert_true(cfn_metric_set_put(&set, &v));
	assert_int_equal(set.count, 1);
	assert_int_equal(set.values[0].raw, 2000);
	v = value(CFN_METRIC_CPU_UTIL, CFN_STAT_MAX, 90);
	assert_true(cfn_metric_set_put(&set, &v));
	assert_int_equal(set.count, 2);
	assert_true(cfn_metric_set_remove(&set, CFN_METRIC_CPU_UTIL,
					  CFN_STAT_MEAN));
	assert_false(cfn_metric_set_remove(&set, CFN_METRIC_CPU_UTIL,
					   CFN_STAT_MEAN));
	assert_int_equal(set.count, 1);
	assert_int_equal(set.values[0].statistic, CFN_STAT_MAX);

	memset(&set, 0, sizeof(set));
	for (uint16_t t = 1; t <= CFN_METRICS_MAX; t++) {
		v = value(t, CFN_STAT_CURRENT, 1);
		assert_true(cfn_metric_set_put(&set, &v));
	}
	v = value(CFN_METRIC_CPU_UTIL, CFN_STAT_MAX, 1);
	assert_false(cfn_metric_set_put(&set, &v)); /* full */
	assert_int_equal(set.count, CFN_METRICS_MAX);
}

static void test_normalize_min_max(void **state)
{
	const struct cfn_metric_desc *cpu =
		cfn_metric_desc(CFN_METRIC_CPU_UTIL);
	const struct cfn_metric_desc *cores =
		cfn_metric_desc(CFN_METRIC_CPU_CORES);
	struct cfn_norm norm = {
		.method = CFN_NORM_MIN_MAX, .min = 20, .max = 80};

	/* lower is better: idle scores 10, busy 0, linear between */
	assert_true(fabs(cfn_metric_normalize(cpu, &norm, 20) - 10) < 1e-9);
	assert_true(fabs(cfn_metric_normalize(cpu, &norm, 50) - 5) < 1e-9);
	assert_true(fabs(cfn_metric_normalize(cpu, &norm, 80) - 0) < 1e-9);
	assert_true(fabs(cfn_metric_normalize(cpu, &norm, 0) - 10) < 1e-9);
	assert_true(fabs(cfn_metric_normalize(cpu, &norm, 100) - 0) < 1e-9);
	/* higher is better */
	assert_true(fabs(cfn_metric_normalize(cores, &norm, 65) - 7.5) < 1e-9);
	/* degenerate range is a threshold, not a division by zero */
	norm.min = norm.max = 50;
	assert_true(fabs(cfn_metric_normalize(cpu, &norm, 49) - 10) < 1e-9);
	assert_true(fabs(cfn_metric_normalize(cpu, &norm, 50) - 0) < 1e-9);
}

static void test_normalize_sigmoid(void **state)
{
	const struct cfn_metric_desc *queue =
		cfn_metric_desc(CFN_METRIC_QUEUE_DEPTH);
	struct cfn_norm norm = {
		.method = CFN_NORM_SIGMOID, .midpoint = 50, .scale = 10};
	double at_mid = cfn_metric_normalize(queue, &norm, 50);
	double one_scale = cfn_metric_normalize(queue, &norm, 60);

	assert_true(fabs(at_mid - 5) < 1e-9);
	assert_true(fabs(one_scale - 10 / (1 + exp(1))) < 1e-9); /* ~2.69 */
	assert_true(cfn_metric_normalize(queue, &norm, 0) > 9.9);
	assert_true(cfn_metric_normalize(queue, &norm, 1000) < 0.01);
	/* monotonic */
	for (int q = 1; q < 200; q++)
		assert_true(cfn_metric_normalize(queue, &norm, q) <
			    cfn_metric_normalize(queue, &norm, q - 1));
}

static void test_scores_from_l0(void **state)
{
	struct cfn_metric_model model;
	struct cfn_metric_set set = {};
	struct cfn_scores scores;
	struct cfn_metric_value v;

	cfn_metric_model_default(&model);
	cfn_scores_compute(&model, &set, &scores);
	assert_int_equal(scores.l2, 10); /* nothing reported: idle */
	assert_int_equal(scores.l1[CFN_CATEGORY_COMPUTE], CFN_SCORE_NONE);

	v = value(CFN_METRIC_CPU_UTIL, CFN_STAT_MEAN, 80); /* 2 */
	cfn_metric_set_put(&set, &v);
	v = value(CFN_METRIC_MEM_UTIL, CFN_STAT_MEAN, 40); /* 6 */
	cfn_metric_set_put(&set, &v);
	cfn_scores_compute(&model, &set, &scores);
	assert_int_equal(scores.l1[CFN_CATEGORY_COMPUTE], 4);
	assert_int_equal(scores.l1[CFN_CATEGORY_SERVICE], CFN_SCORE_NONE);
	assert_int_equal(scores.l2, 4);

	v = value(CFN_METRIC_QUEUE_DEPTH, CFN_STAT_CURRENT, 50); /* 5 */
	cfn_metric_set_put(&set, &v);
	cfn_scores_compute(&model, &set, &scores);
	assert_int_equal(scores.l1[CFN_CATEGORY_SERVICE], 5);
	assert_int_equal(scores.l2, 5); /* (4 + 5) / 2 = 4.5 rounds up */

	/* weights: a metric weighted 0 is ignored; category weights count */
	model.metric[CFN_METRIC_MEM_UTIL].weight = 0;
	model.category_weight[CFN_CATEGORY_SERVICE] = 3;
	cfn_scores_compute(&model, &set, &scores);
	assert_int_equal(scores.l1[CFN_CATEGORY_COMPUTE], 2);
	assert_int_equal(scores.l2, 4); /* (2 + 3 * 5) / 4 = 4.25 */
}

static void test_representative_statistic(void **state)
{
	struct cfn_metric_model model;
	struct cfn_metric_set set = {};
	struct cfn_scores scores;
	struct cfn_metric_value v;

	cfn_metric_model_default(&model);
	v = value(CFN_METRIC_CPU_UTIL, CFN_STAT_MAX, 100);
	cfn_metric_set_put(&set, &v);
	cfn_scores_compute(&model, &set, &scores);
	assert_int_equal(scores.l2, 0); /* only max known: it is used */
	v = value(CFN_METRIC_CPU_UTIL, CFN_STAT_MEAN, 0);
	cfn_metric_set_put(&set, &v);
	cfn_scores_compute(&model, &set, &scores);
	assert_int_equal(scores.l2, 10); /* the mean wins over the max */
}

static void test_egress_aggregate(void **state)
{
	struct cfn_scores_sum sum = {};
	struct cfn_scores a = {.l2 = 2, .l1 = {2, CFN_SCORE_NONE, 4}};
	struct cfn_scores b = {.l2 = 8,
			       .l1 = {8, CFN_SCORE_NONE, CFN_SCORE_NONE}};
	struct cfn_scores out;

	cfn_scores_add(&sum, &a, 100);
	cfn_scores_add(&sum, &b, 300);
	cfn_scores_result(&sum, &out);
	assert_int_equal(out.l2, 7); /* (200 + 2400) / 400 = 6.5 -> 7 */
	assert_int_equal(out.l1[CFN_CATEGORY_COMPUTE], 7);
	assert_int_equal(out.l1[CFN_CATEGORY_COMMUNICATION], CFN_SCORE_NONE);
	assert_int_equal(out.l1[CFN_CATEGORY_SERVICE], 4);

	memset(&sum, 0, sizeof(sum));
	cfn_scores_add(&sum, &a, 0); /* no capacity counts as 1 */
	cfn_scores_add(&sum, &b, 0);
	cfn_scores_result(&sum, &out);
	assert_int_equal(out.l2, 5);
}

static void test_policy_default(void **state)
{
	struct cfn_metric_model model;

	cfn_metric_model_default(&model);
	assert_true(cfn_metric_policy_is_default(&model, CFN_METRIC_SESSIONS));
	model.metric[CFN_METRIC_SESSIONS].norm.midpoint = 10;
	assert_false(cfn_metric_policy_is_default(&model, CFN_METRIC_SESSIONS));
	model.metric[CFN_METRIC_CPU_UTIL].norm.midpoint = 10; /* unused field */
	assert_true(cfn_metric_policy_is_default(&model, CFN_METRIC_CPU_UTIL));
	model.metric[CFN_METRIC_CPU_UTIL].weight = 2;
	assert_false(cfn_metric_policy_is_default(&model, CFN_METRIC_CPU_UTIL));
}

/* Values as operators write them; strtod's other forms are refused. */
static void test_parse_decimal(void **state)
{
	static const char *const good[] = {"16", "-2",	"+3",	   "0.5", ".5",
					   "7.", "1e2", "1.5e+06", "1E-3"};
	static const double want[] = {16, -2, 3, 0.5, 0.5, 7, 100, 1.5e6, 1e-3};
	static const char *const bad[] = {"0x10", "0X1p4", "inf", "nan", "",
					  ".",	  "-",	   "e5",  "1e",	 "1e+",
					  "5abc", " 5",	   "5 "};
	double value;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		assert_true(cfn_parse_decimal(good[i], &value));
		assert_true(value == want[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		value = 42;
		assert_false(cfn_parse_decimal(bad[i], &value));
		assert_true(value == 42);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptors),
		cmocka_unit_test(test_value_conversion),
		cmocka_unit_test(test_set_put_replace_remove),
		cmocka_unit_test(test_normalize_min_max),
		cmocka_unit_test(test_normalize_sigmoid),
		cmocka_unit_test(test_scores_from_l0),
		cmocka_unit_test(test_representative_statistic),
		cmocka_unit_test(test_egress_aggregate),
		cmocka_unit_test(test_policy_default),
		cmocka_unit_test(test_parse_decimal),
	};

	return cmocka_run_group_tests_name("metric", tests, NULL, NULL);
}
