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
	struct cfn_damp_threshold threshold[CFN_METRIC_TYPE_MAX + 1];
};

void cfn_damping_default(struct cfn_damping *damping);

/* Per service: when it was last advertised, and a delayed update. */
struct cfn_damp_state {
	uint64_t last_sent_ms;
	bool pending;	 /* a significant change waits for the interval */
	uint64_t due_ms; /* when it may go */
};

enum cfn_damp_verdict {
	CFN_DAMP_SEND,	   /* advertise now */
	CFN_DAMP_DELAY,	   /* significant, but too soon: at *due_ms */
	CFN_DAMP_SUPPRESS, /* not significant */
};

/*
 * Whether `next` should replace the advertised `sent` now. Scores that
 * change by a step or more, metrics that appear, go or cross their
 * threshold are significant; instance or capacity changes are sent at
 * once; with max_interval_s an unchanged advertisement is refreshed.
 */
enum cfn_damp_verdict cfn_damp_decide(const struct cfn_damping *damping,
				      const struct cfn_attr *sent,
				      const struct cfn_attr *next,
				      uint64_t last_sent_ms, uint64_t now_ms,
				      uint64_t *due_ms);

#endif /* CFN_DAMP_H */
