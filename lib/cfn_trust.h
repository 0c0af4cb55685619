/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How much a node believes the CFN data one BGP neighbour sends (CATS
 * requirement R24): a rogue or misconfigured speaker must not pull every
 * client in with perfect scores. Per neighbour or peer group: accept at
 * all, upper bounds on scores and capacity, a maximum number of SIDs and
 * a limit on how often one egress's data may change. doc/cli.md,
 * "Trusting neighbours".
 */
#ifndef CFN_TRUST_H
#define CFN_TRUST_H

#include <stdbool.h>
#include <stdint.h>

#include "cfn_attr.h"

struct cfn_trust_policy {
	bool accept;	       /* take CFN data from this neighbour at all */
	uint8_t max_score;     /* scores above are lowered to it */
	uint32_t max_capacity; /* 0: no bound */
	uint32_t max_sids;     /* SIDs with CFN data from it; 0: no bound */
	uint32_t max_changes;  /* data changes of one egress per window; 0: no
				  bound */
	uint32_t window_s;
};

/* Which fields of a configuration are set (the others are inherited). */
enum cfn_trust_field {
	CFN_TRUST_ACCEPT = 1u << 0,
	CFN_TRUST_MAX_SCORE = 1u << 1,
	CFN_TRUST_MAX_CAPACITY = 1u << 2,
	CFN_TRUST_MAX_SIDS = 1u << 3,
	CFN_TRUST_CHANGE_LIMIT = 1u << 4, /* max_changes and window_s */
};

/* What is configured for one neighbour or one peer group. */
struct cfn_trust_config {
	unsigned int set; /* enum cfn_trust_field */
	struct cfn_trust_policy values;
};

/*
 * The policy of a neighbour: each field from its own configuration if
 * set there, else from its peer group's (group may be NULL), else the
 * default for its session type.
 */
void cfn_trust_resolve(struct cfn_trust_policy *policy, bool ebgp,
		       const struct cfn_trust_config *group,
		       const struct cfn_trust_config *neighbor);

/* What the controls did, per neighbour. */
enum cfn_trust_counter {
	CFN_TRUST_REJECTED,	    /* paths whose CFN data was not accepted */
	CFN_TRUST_SCORE_CLAMPED,    /* attributes with a score lowered */
	CFN_TRUST_CAPACITY_CLAMPED, /* attributes with a capacity lowered */
	CFN_TRUST_SID_LIMIT,	    /* paths beyond the SID limit */
	CFN_TRUST_DAMPED,	    /* changes held back by the change limit */
	CFN_TRUST_COUNTER_COUNT
};

/* Short names for show and JSON, e.g. "score-clamped". */
const char *cfn_trust_counter_name(enum cfn_trust_counter counter);

/*
 * The default: iBGP neighbours are inside the operator's domain and
 * trusted without bounds; eBGP neighbours are not trusted until
 * configured to be (their CFN data is ignored, their routes are not).
 */
void cfn_trust_policy_default(struct cfn_trust_policy *policy, bool ebgp);

/*
 * Lower the scores (egress and instances) and capacities of attr to the
 * policy's bounds, counting in counters what was lowered.
 */
void cfn_trust_clamp(const struct cfn_trust_policy *policy,
		     struct cfn_attr *attr,
		     uint64_t counters[CFN_TRUST_COUNTER_COUNT]);

/* How often one egress's data changed within the current window. */
struct cfn_change_rate {
	uint64_t window_start_ms;
	uint32_t changes;
};

/*
 * May the data change now? Counts the change when it may; once
 * max_changes changes fall in one window of window_s seconds, further
 * changes are held back until the window ends.
 */
bool cfn_change_rate_allow(struct cfn_change_rate *rate, uint32_t max_changes,
			   uint32_t window_s, uint64_t now_ms);

#endif /* CFN_TRUST_H */
