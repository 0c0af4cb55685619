/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_trust.h"

#include <string.h>

static const char *const counter_names[CFN_TRUST_COUNTER_COUNT] = {
	[CFN_TRUST_REJECTED] = "rejected",
	[CFN_TRUST_SCORE_CLAMPED] = "score-clamped",
	[CFN_TRUST_CAPACITY_CLAMPED] = "capacity-clamped",
	[CFN_TRUST_SID_LIMIT] = "sid-limit",
	[CFN_TRUST_DAMPED] = "damped",
};

const char *cfn_trust_counter_name(enum cfn_trust_counter counter)
{
	return counter < CFN_TRUST_COUNTER_COUNT ? counter_names[counter]
						 : "unknown";
}

void cfn_trust_policy_default(struct cfn_trust_policy *policy, bool ebgp)
{
	memset(policy, 0, sizeof(*policy));
	policy->accept = !ebgp;
	policy->max_score = CFN_SCORE_MAX;
}

static void overlay(struct cfn_trust_policy *policy,
		    const struct cfn_trust_config *config)
{
	if (!config)
		return;
	if (config->set & CFN_TRUST_ACCEPT)
		policy->accept = config->values.accept;
	if (config->set & CFN_TRUST_MAX_SCORE)
		policy->max_score = config->values.max_score;
	if (config->set & CFN_TRUST_MAX_CAPACITY)
		policy->max_capacity = config->values.max_capacity;
	if (config->set & CFN_TRUST_MAX_SIDS)
		policy->max_sids = config->values.max_sids;
	if (config->set & CFN_TRUST_CHANGE_LIMIT) {
		policy->max_changes = config->values.max_changes;
		policy->window_s = config->values.window_s;
	}
}

void cfn_trust_resolve(struct cfn_trust_policy *policy, bool ebgp,
		       const struct cfn_trust_config *group,
		       const struct cfn_trust_config *neighbor)
{
	cfn_trust_policy_default(policy, ebgp);
	overlay(policy, group);
	overlay(policy, neighbor);
}

/* Lower one score to max; CFN_SCORE_NONE (nothing measured) stays. */
static bool clamp_score(uint8_t *score, uint8_t max)
{
	if (*score == CFN_SCORE_NONE || *score <= max)
		return false;
	*score = max;
	return true;
}

static bool clamp_scores(struct cfn_scores *scores, uint8_t max)
{
	bool clamped = clamp_score(&scores->l2, max);

	for (size_t i = 0; i < CFN_CATEGORY_COUNT; i++)
		clamped |= clamp_score(&scores->l1[i], max);
	return clamped;
}

static bool clamp_capacity(uint32_t *capacity, uint32_t max)
{
	if (!max || *capacity <= max)
		return false;
	*capacity = max;
	return true;
}

void cfn_trust_clamp(const struct cfn_trust_policy *policy,
		     struct cfn_attr *attr,
		     uint64_t counters[CFN_TRUST_COUNTER_COUNT])
{
	bool score = clamp_scores(&attr->scores, policy->max_score);
	bool capacity = clamp_capacity(&attr->capacity, policy->max_capacity);

	for (size_t i = 0; i < attr->n_instances; i++) {
		struct cfn_instance_info *instance = &attr->instances[i];

		score |= clamp_scores(&instance->scores, policy->max_score);
		capacity |= clamp_capacity(&instance->capacity,
					   policy->max_capacity);
	}
	counters[CFN_TRUST_SCORE_CLAMPED] += score;
	counters[CFN_TRUST_CAPACITY_CLAMPED] += capacity;
}

bool cfn_change_rate_allow(struct cfn_change_rate *rate, uint32_t max_changes,
			   uint32_t window_s, uint64_t now_ms)
{
	if (!max_changes)
		return true;
	if (!rate->changes ||
	    now_ms - rate->window_start_ms >= (uint64_t)window_s * 1000) {
		rate->window_start_ms = now_ms;
		rate->changes = 0;
	}
	if (rate->changes >= max_changes)
		return false;
	rate->changes++;
	return true;
}
