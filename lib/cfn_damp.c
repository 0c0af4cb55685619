/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_damp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/param.h>

void cfn_damping_default(struct cfn_damping *damping)
{
	static const struct cfn_damp_threshold percent = {0.10, 5};

	memset(damping, 0, sizeof(*damping));
	damping->min_interval_ms = 1000;
	for (unsigned int t = 1; t <= CFN_METRIC_TYPE_MAX; t++)
		damping->threshold[t] = percent;
	damping->threshold[CFN_METRIC_CPU_CORES] =
		(struct cfn_damp_threshold){0, 1};
	damping->threshold[CFN_METRIC_SESSIONS] =
		(struct cfn_damp_threshold){0.10, 10};
	damping->threshold[CFN_METRIC_QUEUE_DEPTH] =
		(struct cfn_damp_threshold){0.20, 5};
	damping->threshold[CFN_METRIC_PROC_DELAY] =
		(struct cfn_damp_threshold){0.10, 5};
}

static bool same_instances(const struct cfn_attr *a, const struct cfn_attr *b)
{
	if (a->n_instances != b->n_instances)
		return false;
	for (unsigned int i = 0; i < a->n_instances; i++)
		if (!cfn_prefix_equal(&a->instances[i].bid,
				      &b->instances[i].bid) ||
		    a->instances[i].flags != b->instances[i].flags ||
		    a->instances[i].capacity != b->instances[i].capacity)
			return false;
	return true;
}

static const struct cfn_metric_value *
find_value(const struct cfn_metric_list *list, const struct cfn_metric_value *v)
{
	for (unsigned int i = 0; i < list->count; i++)
		if (list->values[i].type == v->type &&
		    list->values[i].statistic == v->statistic)
			return &list->values[i];
	return NULL;
}

static bool metric_moved(const struct cfn_damping *damping,
			 const struct cfn_metric_value *old,
			 const struct cfn_metric_value *now)
{
	const struct cfn_damp_threshold *t = &damping->threshold[now->type];
	double before = cfn_metric_value_units(old);
	double after = cfn_metric_value_units(now);

	return fabs(after - before) >=
	       fmax(t->absolute, t->relative * fabs(before));
}

static bool metrics_moved(const struct cfn_damping *damping,
			  const struct cfn_metric_list *sent,
			  const struct cfn_metric_list *next)
{
	if (sent->count != next->count)
		return true;
	for (unsigned int i = 0; i < next->count; i++) {
		const struct cfn_metric_value *old =
			find_value(sent, &next->values[i]);

		if (!old || (cfn_metric_desc(old->type) &&
			     metric_moved(damping, old, &next->values[i])))
			return true;
	}
	return false;
}

static bool significant(const struct cfn_damping *damping,
			const struct cfn_attr *sent,
			const struct cfn_attr *next)
{
	if (memcmp(&sent->scores, &next->scores, sizeof(sent->scores)) != 0)
		return true;
	for (unsigned int i = 0; i < next->n_instances; i++) {
		const struct cfn_instance_info *a = &sent->instances[i];
		const struct cfn_instance_info *b = &next->instances[i];

		if (memcmp(&a->scores, &b->scores, sizeof(a->scores)) != 0 ||
		    metrics_moved(damping, &a->metrics, &b->metrics))
			return true;
	}
	return false;
}

enum cfn_damp_verdict cfn_damp_decide(const struct cfn_damping *damping,
				      const struct cfn_attr *sent,
				      const struct cfn_attr *next,
				      uint64_t last_sent_ms, uint64_t now_ms,
				      uint64_t *due_ms)
{
	uint64_t since = now_ms - last_sent_ms;

	if (!same_instances(sent, next))
		return CFN_DAMP_SEND_NOW;
	if (!significant(damping, sent, next))
		return damping->max_interval_s &&
				       since >=
					       (uint64_t)damping
							       ->max_interval_s *
						       1000
			       ? CFN_DAMP_SEND
			       : CFN_DAMP_SUPPRESS;
	if (since >= damping->min_interval_ms)
		return CFN_DAMP_SEND;
	*due_ms = last_sent_ms + damping->min_interval_ms;
	return CFN_DAMP_DELAY;
}

static uint8_t score_change(const struct cfn_scores *a,
			    const struct cfn_scores *b)
{
	int change = abs((int)a->l2 - (int)b->l2);

	for (unsigned int c = 0; c < CFN_CATEGORY_COUNT; c++)
		change = MAX(change, abs((int)a->l1[c] - (int)b->l1[c]));
	return (uint8_t)change;
}

uint8_t cfn_damp_change(const struct cfn_attr *sent,
			const struct cfn_attr *next)
{
	uint8_t change = score_change(&sent->scores, &next->scores);
	unsigned int n = MIN(sent->n_instances, next->n_instances);

	for (unsigned int i = 0; i < n; i++)
		change = MAX(change, score_change(&sent->instances[i].scores,
						  &next->instances[i].scores));
	return change;
}

#define US_PER_S 1000000ULL

/* The bucket holds one second's worth: rate tokens, each 1/rate s. */
static uint64_t token_us(uint32_t rate)
{
	return US_PER_S / rate;
}

/*
 * How far into the bucket a change of `change` steps may reach, as the
 * time the bucket then needs to be full again: (change + 1) / 11 of it,
 * and at least a token. Small changes keep the rest of the bucket
 * for large ones, so that a burst of large changes is not held behind a
 * steady stream of small ones; under that stream the rate is the same.
 */
static uint64_t reach_us(uint32_t rate, uint8_t change)
{
	uint64_t share = US_PER_S * (MIN(change, CFN_SCORE_MAX) + 1) /
			 (CFN_SCORE_MAX + 1);

	return MAX(share, token_us(rate));
}

bool cfn_damp_budget_take(struct cfn_damp_budget *budget, uint32_t rate,
			  uint8_t change, uint64_t now_ms)
{
	uint64_t now_us = now_ms * 1000;
	uint64_t full_at = MAX(budget->full_at_us, now_us);

	if (!rate)
		return true;
	if (full_at + token_us(rate) - now_us > reach_us(rate, change))
		return false;
	budget->full_at_us = full_at + token_us(rate);
	return true;
}

uint64_t cfn_damp_budget_next_ms(const struct cfn_damp_budget *budget,
				 uint32_t rate, uint32_t tokens, uint8_t change,
				 uint64_t now_ms)
{
	uint64_t reach, need_us, at_us;

	if (!rate)
		return now_ms;
	reach = reach_us(rate, change);
	tokens = MIN(MAX(tokens, 1), MAX(reach / token_us(rate), 1));
	need_us = budget->full_at_us + tokens * token_us(rate);
	if (need_us <= now_ms * 1000 + reach)
		return now_ms;
	at_us = need_us - reach;
	return (at_us + 999) / 1000;
}

int cfn_damp_cmp_priority(const struct cfn_damp_state *a,
			  const struct cfn_damp_state *b)
{
	if (a->change != b->change)
		return a->change > b->change ? -1 : 1;
	if (a->due_ms != b->due_ms)
		return a->due_ms < b->due_ms ? -1 : 1;
	if (a->waiting_since != b->waiting_since)
		return a->waiting_since < b->waiting_since ? -1 : 1;
	return 0;
}
