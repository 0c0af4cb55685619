/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Compute metrics, after the IETF CATS metric levels:
 *  - L0: raw metrics with a type, unit and statistic (CPU utilisation,
 *    sessions, processing delay, ...), reported by service instances;
 *  - L1: one normalised score per category (compute, communication,
 *    service), 0..10 with 10 best;
 *  - L2: a single score, 0..10 with 10 best, the weighted mean of L1.
 * Normalisation (min-max or sigmoid) and weights are set by the operator
 * and must be the same on every node; L0 -> L1 -> L2 is computed where
 * the L0 values are known, at the egress.
 */
#ifndef CFN_METRIC_H
#define CFN_METRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cfn_category {
	CFN_CATEGORY_COMPUTE,
	CFN_CATEGORY_COMMUNICATION,
	CFN_CATEGORY_SERVICE,
	CFN_CATEGORY_COUNT
};

/* L0 metric types; the numbers are carried on the wire. */
enum cfn_metric_type {
	CFN_METRIC_CPU_UTIL = 1,
	CFN_METRIC_GPU_UTIL = 2,
	CFN_METRIC_MEM_UTIL = 3,
	CFN_METRIC_CPU_CORES = 4,
	CFN_METRIC_SESSIONS = 5,
	CFN_METRIC_QUEUE_DEPTH = 6,
	CFN_METRIC_PROC_DELAY = 7,
	CFN_METRIC_NET_UTIL = 8,
	/* the service's requests per second: its demand, for balanced mode */
	CFN_METRIC_REQUEST_RATE = 9,
	/* peak utilisation by work other than the service, last few seconds */
	CFN_METRIC_BACKGROUND_UTIL = 10,
	CFN_METRIC_TYPE_MAX = CFN_METRIC_BACKGROUND_UTIL
};

/* How an L0 value was obtained over the measurement window. */
enum cfn_statistic {
	CFN_STAT_CURRENT = 0,
	CFN_STAT_MEAN = 1,
	CFN_STAT_MIN = 2,
	CFN_STAT_MAX = 3,
	CFN_STAT_MAX_VALUE = CFN_STAT_MAX
};

struct cfn_metric_desc {
	enum cfn_metric_type type;
	const char *name; /* CLI/JSON/API name, e.g. "cpu-utilization" */
	const char *unit; /* e.g. "percent" */
	enum cfn_category category;
	bool higher_is_better;
	uint32_t scale; /* wire value = unit value * scale */
	double max;	/* largest possible value, in units */
};

/*
 * An L0 value as carried on the wire: an unsigned integer in units/scale,
 * so that values are exact and compare bytewise.
 */
struct cfn_metric_value {
	uint16_t type;
	uint8_t statistic;
	uint32_t raw;
};

#define CFN_METRICS_MAX 8 /* L0 values per instance */

/* The L0 values of a configured instance, room for the most. */
struct cfn_metric_set {
	uint8_t count;
	struct cfn_metric_value values[CFN_METRICS_MAX];
};

/*
 * L0 values stored elsewhere, exactly as many as there are: a received
 * instance's (cfn_attr keeps those of all its instances in one block), or
 * a set's, read through cfn_metric_set_list.
 */
struct cfn_metric_list {
	const struct cfn_metric_value *values;
	uint8_t count;
};

static inline struct cfn_metric_list
cfn_metric_set_list(const struct cfn_metric_set *set)
{
	return (struct cfn_metric_list){.values = set->values,
					.count = set->count};
}

/* Scores: 0..10, 10 best; CFN_SCORE_NONE where nothing was measured. */
#define CFN_SCORE_MAX 10
#define CFN_SCORE_NONE 255

struct cfn_scores {
	uint8_t l2;
	uint8_t l1[CFN_CATEGORY_COUNT];
};

enum cfn_norm_method {
	CFN_NORM_MIN_MAX,
	CFN_NORM_SIGMOID,
};

/*
 * min-max: values at or beyond min/max score 10 or 0, linear between.
 * sigmoid: 5 at midpoint; scale is how far from the midpoint the score
 * reaches ~7.3 or ~2.7 (the logistic function's unit).
 */
struct cfn_norm {
	enum cfn_norm_method method;
	double min, max;
	double midpoint, scale;
};

struct cfn_metric_policy {
	struct cfn_norm norm;
	double weight; /* within its category; 0 ignores the metric */
};

struct cfn_metric_model {
	struct cfn_metric_policy metric[CFN_METRIC_TYPE_MAX + 1];
	double category_weight[CFN_CATEGORY_COUNT];
};

const struct cfn_metric_desc *cfn_metric_desc(uint16_t type);
const struct cfn_metric_desc *cfn_metric_desc_by_name(const char *name);
const char *cfn_category_name(enum cfn_category category);
bool cfn_category_by_name(const char *name, enum cfn_category *category);
const char *cfn_statistic_name(enum cfn_statistic statistic);
bool cfn_statistic_by_name(const char *name, enum cfn_statistic *statistic);

/*
 * A decimal number as operators write values ("16", "-2", "0.5", ".5",
 * and with an exponent "1e6", as running-config prints large ones): no
 * hexadecimal, infinity or NaN, which strtod would also take. False,
 * with *out unchanged, for anything else.
 */
bool cfn_parse_decimal(const char *str, double *out);

double cfn_metric_value_units(const struct cfn_metric_value *value);
/*
 * Convert a value in units to its wire form; false (with a reason) when
 * it is not a number, negative or above the metric's maximum.
 */
bool cfn_metric_value_from_units(uint16_t type, enum cfn_statistic statistic,
				 double units, struct cfn_metric_value *out,
				 char *err, size_t errlen);

/* Set (add or replace) the value of (type, statistic); false when full. */
bool cfn_metric_set_put(struct cfn_metric_set *set,
			const struct cfn_metric_value *value);
bool cfn_metric_set_remove(struct cfn_metric_set *set, uint16_t type,
			   uint8_t statistic);
/* Same values in the same order. */
bool cfn_metric_list_equal(const struct cfn_metric_list *a,
			   const struct cfn_metric_list *b);
bool cfn_metric_set_equal(const struct cfn_metric_set *a,
			  const struct cfn_metric_set *b);
/* The value (in units) that stands for a metric in scores; see .c */
bool cfn_metric_list_value(const struct cfn_metric_list *list, uint16_t type,
			   double *units);

void cfn_metric_model_default(struct cfn_metric_model *model);
bool cfn_norm_equal(const struct cfn_norm *a, const struct cfn_norm *b);
bool cfn_metric_policy_is_default(const struct cfn_metric_model *model,
				  enum cfn_metric_type type);

/* Normalise one value in units to a score in [0, 10]. */
double cfn_metric_normalize(const struct cfn_metric_desc *desc,
			    const struct cfn_norm *norm, double units);

/* L1 and L2 scores of one instance from its L0 values. */
void cfn_scores_compute(const struct cfn_metric_model *model,
			const struct cfn_metric_set *set,
			struct cfn_scores *scores);

/*
 * Aggregate instance scores into an egress score: the mean weighted by
 * capacity (an instance without capacity counts as 1).
 */
struct cfn_scores_sum {
	double l2, l2_weight;
	double l1[CFN_CATEGORY_COUNT], l1_weight[CFN_CATEGORY_COUNT];
};
void cfn_scores_add(struct cfn_scores_sum *sum, const struct cfn_scores *scores,
		    uint32_t capacity);
void cfn_scores_result(const struct cfn_scores_sum *sum,
		       struct cfn_scores *scores);

#endif /* CFN_METRIC_H */
