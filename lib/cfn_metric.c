/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_metric.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERCENT(t, n, c)                                                       \
	{                                                                      \
		.type = t, .name = n, .unit = "percent", .category = c,        \
		.scale = 100, .max = 100                                       \
	}

static const struct cfn_metric_desc descs[CFN_METRIC_TYPE_MAX + 1] = {
	[CFN_METRIC_CPU_UTIL] = PERCENT(CFN_METRIC_CPU_UTIL, "cpu-utilization",
					CFN_CATEGORY_COMPUTE),
	[CFN_METRIC_GPU_UTIL] = PERCENT(CFN_METRIC_GPU_UTIL, "gpu-utilization",
					CFN_CATEGORY_COMPUTE),
	[CFN_METRIC_MEM_UTIL] =
		PERCENT(CFN_METRIC_MEM_UTIL, "memory-utilization",
			CFN_CATEGORY_COMPUTE),
	[CFN_METRIC_CPU_CORES] = {.type = CFN_METRIC_CPU_CORES,
				  .name = "cpu-cores",
				  .unit = "cores",
				  .category = CFN_CATEGORY_COMPUTE,
				  .higher_is_better = true,
				  .scale = 1,
				  .max = 1e6},
	[CFN_METRIC_SESSIONS] = {.type = CFN_METRIC_SESSIONS,
				 .name = "active-sessions",
				 .unit = "sessions",
				 .category = CFN_CATEGORY_SERVICE,
				 .scale = 1,
				 .max = UINT32_MAX},
	[CFN_METRIC_QUEUE_DEPTH] = {.type = CFN_METRIC_QUEUE_DEPTH,
				    .name = "queue-depth",
				    .unit = "requests",
				    .category = CFN_CATEGORY_SERVICE,
				    .scale = 1,
				    .max = UINT32_MAX},
	[CFN_METRIC_PROC_DELAY] = {.type = CFN_METRIC_PROC_DELAY,
				   .name = "processing-delay",
				   .unit = "milliseconds",
				   .category = CFN_CATEGORY_SERVICE,
				   .scale = 1000,
				   .max = 3600e3},
	[CFN_METRIC_NET_UTIL] =
		PERCENT(CFN_METRIC_NET_UTIL, "network-utilization",
			CFN_CATEGORY_COMMUNICATION),
	[CFN_METRIC_REQUEST_RATE] = {.type = CFN_METRIC_REQUEST_RATE,
				     .name = "request-rate",
				     .unit = "requests/s",
				     .category = CFN_CATEGORY_SERVICE,
				     .scale = 1000,
				     .max = 4e6},
	[CFN_METRIC_BACKGROUND_UTIL] =
		PERCENT(CFN_METRIC_BACKGROUND_UTIL, "background-utilization",
			CFN_CATEGORY_COMPUTE),
};

static const char *const category_names[CFN_CATEGORY_COUNT] = {
	[CFN_CATEGORY_COMPUTE] = "compute",
	[CFN_CATEGORY_COMMUNICATION] = "communication",
	[CFN_CATEGORY_SERVICE] = "service",
};

static const char *const statistic_names[CFN_STAT_MAX_VALUE + 1] = {
	[CFN_STAT_CURRENT] = "current",
	[CFN_STAT_MEAN] = "mean",
	[CFN_STAT_MIN] = "min",
	[CFN_STAT_MAX] = "max",
};

const struct cfn_metric_desc *cfn_metric_desc(uint16_t type)
{
	if (type == 0 || type > CFN_METRIC_TYPE_MAX)
		return NULL;
	return &descs[type];
}

const struct cfn_metric_desc *cfn_metric_desc_by_name(const char *name)
{
	for (unsigned int t = 1; t <= CFN_METRIC_TYPE_MAX; t++)
		if (strcmp(descs[t].name, name) == 0)
			return &descs[t];
	return NULL;
}

const char *cfn_category_name(enum cfn_category category)
{
	return category < CFN_CATEGORY_COUNT ? category_names[category] : "?";
}

static bool index_by_name(const char *const *names, size_t count,
			  const char *name, unsigned int *index)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(names[i], name) == 0) {
			*index = (unsigned int)i;
			return true;
		}
	return false;
}

bool cfn_category_by_name(const char *name, enum cfn_category *category)
{
	unsigned int index;

	if (!index_by_name(category_names, CFN_CATEGORY_COUNT, name, &index))
		return false;
	*category = (enum cfn_category)index;
	return true;
}

const char *cfn_statistic_name(enum cfn_statistic statistic)
{
	return statistic <= CFN_STAT_MAX_VALUE ? statistic_names[statistic]
					       : "?";
}

bool cfn_statistic_by_name(const char *name, enum cfn_statistic *statistic)
{
	unsigned int index;

	if (!index_by_name(statistic_names, CFN_STAT_MAX_VALUE + 1, name,
			   &index))
		return false;
	*statistic = (enum cfn_statistic)index;
	return true;
}

double cfn_metric_value_units(const struct cfn_metric_value *value)
{
	const struct cfn_metric_desc *desc = cfn_metric_desc(value->type);

	return desc ? (double)value->raw / desc->scale : (double)value->raw;
}

bool cfn_metric_value_from_units(uint16_t type, enum cfn_statistic statistic,
				 double units, struct cfn_metric_value *out,
				 char *err, size_t errlen)
{
	const struct cfn_metric_desc *desc = cfn_metric_desc(type);

	if (!desc) {
		snprintf(err, errlen, "unknown metric type %u", type);
		return false;
	}
	if (statistic > CFN_STAT_MAX_VALUE) {
		snprintf(err, errlen, "unknown statistic %u", statistic);
		return false;
	}
	if (!isfinite(units) || units < 0 || units > desc->max) {
		snprintf(err, errlen, "%s must be a number from 0 to %g %s",
			 desc->name, desc->max, desc->unit);
		return false;
	}
	out->type = type;
	out->statistic = (uint8_t)statistic;
	out->raw = (uint32_t)llround(units * desc->scale);
	return true;
}

static int metric_index(const struct cfn_metric_list *list, uint16_t type,
			uint8_t statistic)
{
	for (int i = 0; i < list->count; i++)
		if (list->values[i].type == type &&
		    list->values[i].statistic == statistic)
			return i;
	return -1;
}

static int set_index(const struct cfn_metric_set *set, uint16_t type,
		     uint8_t statistic)
{
	struct cfn_metric_list list = cfn_metric_set_list(set);

	return metric_index(&list, type, statistic);
}

bool cfn_metric_set_put(struct cfn_metric_set *set,
			const struct cfn_metric_value *value)
{
	int i = set_index(set, value->type, value->statistic);

	if (i >= 0) {
		set->values[i] = *value;
		return true;
	}
	if (set->count == CFN_METRICS_MAX)
		return false;
	set->values[set->count++] = *value;
	return true;
}

bool cfn_metric_list_equal(const struct cfn_metric_list *a,
			   const struct cfn_metric_list *b)
{
	if (a->count != b->count)
		return false;
	for (unsigned int i = 0; i < a->count; i++)
		if (a->values[i].type != b->values[i].type ||
		    a->values[i].statistic != b->values[i].statistic ||
		    a->values[i].raw != b->values[i].raw)
			return false;
	return true;
}

bool cfn_metric_set_equal(const struct cfn_metric_set *a,
			  const struct cfn_metric_set *b)
{
	struct cfn_metric_list la = cfn_metric_set_list(a);
	struct cfn_metric_list lb = cfn_metric_set_list(b);

	return cfn_metric_list_equal(&la, &lb);
}

bool cfn_metric_set_remove(struct cfn_metric_set *set, uint16_t type,
			   uint8_t statistic)
{
	int i = set_index(set, type, statistic);

	if (i < 0)
		return false;
	set->values[i] = set->values[--set->count];
	return true;
}

void cfn_metric_model_default(struct cfn_metric_model *model)
{
	const struct cfn_norm percent = {
		.method = CFN_NORM_MIN_MAX, .min = 0, .max = 100};

	memset(model, 0, sizeof(*model));
	for (unsigned int t = 1; t <= CFN_METRIC_TYPE_MAX; t++)
		model->metric[t] = (struct cfn_metric_policy){.norm = percent,
							      .weight = 1};
	model->metric[CFN_METRIC_CPU_CORES].norm.max = 64;
	model->metric[CFN_METRIC_SESSIONS].norm = (struct cfn_norm){
		.method = CFN_NORM_SIGMOID, .midpoint = 1000, .scale = 250};
	model->metric[CFN_METRIC_QUEUE_DEPTH].norm = (struct cfn_norm){
		.method = CFN_NORM_SIGMOID, .midpoint = 50, .scale = 15};
	model->metric[CFN_METRIC_PROC_DELAY].norm = (struct cfn_norm){
		.method = CFN_NORM_SIGMOID, .midpoint = 50, .scale = 15};
	/*
	 * Inputs of balanced selection, not scores: a request rate is
	 * neither good nor bad, and the background is part of the CPU
	 * utilisation already scored.
	 */
	model->metric[CFN_METRIC_REQUEST_RATE].weight = 0;
	model->metric[CFN_METRIC_REQUEST_RATE].norm.max = 1000;
	model->metric[CFN_METRIC_BACKGROUND_UTIL].weight = 0;
	for (unsigned int c = 0; c < CFN_CATEGORY_COUNT; c++)
		model->category_weight[c] = 1;
}

bool cfn_norm_equal(const struct cfn_norm *a, const struct cfn_norm *b)
{
	if (a->method != b->method)
		return false;
	if (a->method == CFN_NORM_SIGMOID)
		return a->midpoint == b->midpoint && a->scale == b->scale;
	return a->min == b->min && a->max == b->max;
}

bool cfn_metric_policy_is_default(const struct cfn_metric_model *model,
				  enum cfn_metric_type type)
{
	struct cfn_metric_model defaults;

	cfn_metric_model_default(&defaults);
	return model->metric[type].weight == defaults.metric[type].weight &&
	       cfn_norm_equal(&model->metric[type].norm,
			      &defaults.metric[type].norm);
}

double cfn_metric_normalize(const struct cfn_metric_desc *desc,
			    const struct cfn_norm *norm, double units)
{
	double goodness; /* 0..1, 1 best, for a higher-is-better metric */

	if (norm->method == CFN_NORM_SIGMOID) {
		double scale = norm->scale > 0 ? norm->scale : 1;

		goodness = 1 / (1 + exp(-(units - norm->midpoint) / scale));
	} else if (norm->max > norm->min) {
		goodness = (units - norm->min) / (norm->max - norm->min);
		goodness = fmin(1, fmax(0, goodness));
	} else {
		goodness = units >= norm->max ? 1 : 0;
	}
	if (!desc->higher_is_better)
		goodness = 1 - goodness;
	return CFN_SCORE_MAX * goodness;
}

/*
 * Several statistics of one metric may be reported; one is used, the one
 * that best describes the window: mean, then current, max, min.
 */
static const struct cfn_metric_value *
representative_value(const struct cfn_metric_list *list, uint16_t type)
{
	static const uint8_t preference[] = {CFN_STAT_MEAN, CFN_STAT_CURRENT,
					     CFN_STAT_MAX, CFN_STAT_MIN};

	for (size_t p = 0; p < sizeof(preference); p++) {
		int i = metric_index(list, type, preference[p]);

		if (i >= 0)
			return &list->values[i];
	}
	return NULL;
}

bool cfn_metric_list_value(const struct cfn_metric_list *list, uint16_t type,
			   double *units)
{
	const struct cfn_metric_value *value = representative_value(list, type);

	if (value)
		*units = cfn_metric_value_units(value);
	return value != NULL;
}

static uint8_t round_score(double score)
{
	return (uint8_t)lround(fmin(CFN_SCORE_MAX, fmax(0, score)));
}

void cfn_scores_compute(const struct cfn_metric_model *model,
			const struct cfn_metric_set *set,
			struct cfn_scores *scores)
{
	struct cfn_metric_list list = cfn_metric_set_list(set);
	double sum[CFN_CATEGORY_COUNT] = {}, weight[CFN_CATEGORY_COUNT] = {};
	double l2 = 0, l2_weight = 0;

	for (unsigned int t = 1; t <= CFN_METRIC_TYPE_MAX; t++) {
		const struct cfn_metric_value *value =
			representative_value(&list, (uint16_t)t);
		const struct cfn_metric_policy *policy = &model->metric[t];

		if (!value || policy->weight <= 0)
			continue;
		sum[descs[t].category] +=
			policy->weight *
			cfn_metric_normalize(&descs[t], &policy->norm,
					     cfn_metric_value_units(value));
		weight[descs[t].category] += policy->weight;
	}
	for (unsigned int c = 0; c < CFN_CATEGORY_COUNT; c++) {
		double l1;

		if (weight[c] <= 0) {
			scores->l1[c] = CFN_SCORE_NONE;
			continue;
		}
		l1 = sum[c] / weight[c];
		scores->l1[c] = round_score(l1);
		l2 += model->category_weight[c] * l1;
		l2_weight += model->category_weight[c];
	}
	/* Nothing measured: an instance that reports no load is idle. */
	scores->l2 =
		l2_weight > 0 ? round_score(l2 / l2_weight) : CFN_SCORE_MAX;
}

void cfn_scores_add(struct cfn_scores_sum *sum, const struct cfn_scores *scores,
		    uint32_t capacity)
{
	double weight = capacity ? capacity : 1;

	sum->l2 += weight * scores->l2;
	sum->l2_weight += weight;
	for (unsigned int c = 0; c < CFN_CATEGORY_COUNT; c++) {
		if (scores->l1[c] == CFN_SCORE_NONE)
			continue;
		sum->l1[c] += weight * scores->l1[c];
		sum->l1_weight[c] += weight;
	}
}

void cfn_scores_result(const struct cfn_scores_sum *sum,
		       struct cfn_scores *scores)
{
	scores->l2 = sum->l2_weight > 0 ? round_score(sum->l2 / sum->l2_weight)
					: CFN_SCORE_MAX;
	for (unsigned int c = 0; c < CFN_CATEGORY_COUNT; c++)
		scores->l1[c] =
			sum->l1_weight[c] > 0
				? round_score(sum->l1[c] / sum->l1_weight[c])
				: CFN_SCORE_NONE;
}

/* After "e": [+-]digits; the end of them, NULL without digits. */
static const char *exponent_end(const char *p)
{
	const char *digits;

	if (*p == '+' || *p == '-')
		p++;
	for (digits = p; isdigit((unsigned char)*p); p++)
		;
	return p > digits ? p : NULL;
}

bool cfn_parse_decimal(const char *str, double *out)
{
	const char *p = str;
	bool digits = false;
	double value;

	if (*p == '+' || *p == '-')
		p++;
	for (; isdigit((unsigned char)*p); p++)
		digits = true;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits = true;
	if (digits && (*p == 'e' || *p == 'E'))
		p = exponent_end(p + 1);
	if (!digits || !p || *p != '\0')
		return false;
	value = strtod(str, NULL);
	if (!isfinite(value))
		return false;
	*out = value;
	return true;
}
