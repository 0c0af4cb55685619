/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Update damping at the egress: a metric change is advertised in BGP only
 * when it is significant, and not more often than a minimum interval per
 * SID; changes of instances or capacity go at once. Keeps BGP calm under
 * noisy metrics (IETF CATS: "dampening mechanisms, and threshold-triggered
 * distribution updates").
 */
#ifndef CFN_DAMP_H
#define CFN_DAMP_H

#include <stdbool.h>
#include <stdint.h>

#include "cfn_attr.h"
#include "cfn_metric.h"

/* A change of an L0 value matters when it reaches both. */
struct cfn_damp_threshold {
	double relative; /* fraction of the advertised value, 0.1 = 10 % */
	double absolute; /* in the metric's unit */
};

struct cfn_damping {
	uint32_t min_interval_ms; /* between two metric updates of a SID */
	uint32_t max_interval_s;  /* refresh even without change; 0: never */
	/* metric updates per second, all the node's SIDs together; 0: no
	 * limit. Bounds what the node sends into its route reflectors
	 * however many SIDs it hosts. */
	uint32_t max_rate;
	struct cfn_damp_threshold threshold[CFN_METRIC_TYPE_MAX + 1];
};

void cfn_damping_default(struct cfn_damping *damping);

/* Per service: when it was last advertised, and a delayed update. */
struct cfn_damp_state {
	uint64_t last_sent_ms;
	bool pending;	  /* a significant change waits: interval, budget */
	uint64_t due_ms;  /* when it may go */
	uint8_t change;	  /* its size (cfn_damp_change), for the budget */
	bool budget_held; /* it waits for the budget (counted once) */
	/* when it began to wait, as a count of the node's waits: orders
	 * equal changes even within one millisecond */
	uint64_t waiting_since;
};

enum cfn_damp_verdict {
	CFN_DAMP_SEND_NOW, /* instances or capacity changed: at once */
	CFN_DAMP_SEND,	   /* advertise now, within the node's budget */
	CFN_DAMP_DELAY,	   /* significant, but too soon: at *due_ms */
	CFN_DAMP_SUPPRESS, /* not significant */
};

/*
 * Whether `next` should replace the advertised `sent` now. Scores that
 * change by a step or more, metrics that appear, go or cross their
 * threshold are significant; instance or capacity changes are sent at
 * once, outside the budget; with max_interval_s an unchanged
 * advertisement is refreshed.
 */
enum cfn_damp_verdict cfn_damp_decide(const struct cfn_damping *damping,
				      const struct cfn_attr *sent,
				      const struct cfn_attr *next,
				      uint64_t last_sent_ms, uint64_t now_ms,
				      uint64_t *due_ms);

/*
 * How much an update matters: the largest change of any score (L2 or L1,
 * of the egress or of an instance), in score steps.
 */
uint8_t cfn_damp_change(const struct cfn_attr *sent,
			const struct cfn_attr *next);

/*
 * The node's budget of metric updates (cfn_damping.max_rate): a token
 * bucket that holds one second's worth, kept as the time at which it
 * would be full again (GCRA), so that a zeroed one is full. A change of
 * c score steps may empty (c + 1) / 11 of it (at least a token): the
 * rest is kept for larger changes.
 */
struct cfn_damp_budget {
	uint64_t full_at_us;
};

/* Take a token for a change of `change` steps; false when none is left
 * to it. */
bool cfn_damp_budget_take(struct cfn_damp_budget *budget, uint32_t rate,
			  uint8_t change, uint64_t now_ms);
/* When `tokens` updates of `change` steps can be taken (now_ms or later). */
uint64_t cfn_damp_budget_next_ms(const struct cfn_damp_budget *budget,
				 uint32_t rate, uint32_t tokens, uint8_t change,
				 uint64_t now_ms);

/*
 * The order in which updates waiting for the budget go (<0: a first):
 * largest change first, so that the budget goes where the advertised
 * scores are furthest from the current ones; among equal changes, the
 * one waiting longest for the budget (earliest due_ms: not the time spent
 * in its own min-interval), then the one that began to wait first. A
 * small change waits while larger ones keep coming; should its own load
 * move further, its change grows with it.
 */
int cfn_damp_cmp_priority(const struct cfn_damp_state *a,
			  const struct cfn_damp_state *b);

#endif /* CFN_DAMP_H */
