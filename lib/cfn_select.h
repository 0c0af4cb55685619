/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-service selection: which egress(es) receive new flows for a SID,
 * from each egress's compute score (L2) and the IGP cost to reach it,
 * with eligibility rules, a fallback that never black-holes a reachable
 * service, and hysteresis so that small oscillations move no traffic.
 */
#ifndef CFN_SELECT_H
#define CFN_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "cfn_view.h"

enum cfn_select_mode {
	CFN_SELECT_BEST,     /* one egress */
	CFN_SELECT_WEIGHTED, /* several, weights by score x capacity */
	CFN_SELECT_BALANCED, /* several, water-filling of the demand */
};

struct cfn_policy {
	enum cfn_select_mode mode;
	double compute_weight;	  /* of the egress's L2 in its score */
	double network_weight;	  /* of the network score */
	uint32_t igp_cost_max;	  /* IGP cost at which the network score is 0 */
	uint8_t min_score;	  /* L2 below this: ineligible */
	double max_utilization;	  /* percent; an instance above: ineligible */
	uint32_t stale_after_s;	  /* data older than this: ineligible; 0 off */
	double hysteresis;	  /* best: score margin needed to move */
	double weight_threshold;  /* weighted: percent of 255 to re-weight */
	uint8_t max_paths;	  /* weighted: at most this many egresses */
	uint32_t affinity_idle_s; /* flows idle this long may move; 0 off */
	uint16_t affinity_buckets; /* of the resilient nexthop group */
	/* balanced: utilisation points added to a site at igp-cost-max */
	double network_penalty;
	/* balanced: percent to which the nearest egresses fill first */
	double spill_at;
};

/* Policy fields a service may override; the rest come from the default. */
enum cfn_policy_field {
	CFN_POLICY_MODE = 1 << 0,
	CFN_POLICY_WEIGHTS = 1 << 1,
	CFN_POLICY_IGP_COST_MAX = 1 << 2,
	CFN_POLICY_MIN_SCORE = 1 << 3,
	CFN_POLICY_MAX_UTILIZATION = 1 << 4,
	CFN_POLICY_STALE_AFTER = 1 << 5,
	CFN_POLICY_HYSTERESIS = 1 << 6,
	CFN_POLICY_WEIGHT_THRESHOLD = 1 << 7,
	CFN_POLICY_MAX_PATHS = 1 << 8,
	CFN_POLICY_AFFINITY = 1 << 9,
	CFN_POLICY_NETWORK_PENALTY = 1 << 10,
	CFN_POLICY_SPILL_AT = 1 << 11,
};

void cfn_policy_default(struct cfn_policy *policy);
/* Fields of `over` named in `fields` replace those of `base`. */
void cfn_policy_merge(struct cfn_policy *base, const struct cfn_policy *over,
		      unsigned int fields);

/* Why an egress was or was not chosen. */
enum cfn_verdict {
	CFN_VERDICT_CHOSEN,
	CFN_VERDICT_FALLBACK,	  /* chosen: nothing eligible, least loaded */
	CFN_VERDICT_LOWER_SCORE,  /* eligible, others scored higher */
	CFN_VERDICT_HYSTERESIS,	  /* scored higher, by less than the margin */
	CFN_VERDICT_MAX_PATHS,	  /* eligible, beyond max-paths */
	CFN_VERDICT_LOW_SCORE,	  /* L2 below min-score */
	CFN_VERDICT_OVERLOADED,	  /* an instance above max-utilization */
	CFN_VERDICT_STALE,	  /* data older than stale-after */
	CFN_VERDICT_UNREACHABLE,  /* BGP next hop not resolved */
	CFN_VERDICT_NO_INSTANCES, /* advertises no instance: nothing serves */
	CFN_VERDICT_DRAINING,	  /* takes no new flows, unless none else can */
	CFN_VERDICT_COUNT
};

const char *cfn_verdict_name(enum cfn_verdict verdict);

struct cfn_eval {
	const struct cfn_egress *egress;
	double network; /* 0..10 */
	double score;	/* 0..10, compute and network combined */
	enum cfn_verdict verdict;
	uint8_t weight; /* 1..255 when chosen */
	/* balanced: utilisation (0..1) by other work than the service, the
	 * same with the network penalty, and the predicted share of the
	 * SID's demand */
	double background;
	double base;
	double share;
};

const char *cfn_select_mode_name(enum cfn_select_mode mode);
bool cfn_select_mode_by_name(const char *name, enum cfn_select_mode *mode);

/*
 * Water-filling: split `demand` (requests/s) over n sites of the given
 * capacities (requests/s) whose utilisation before it is base[i] (0..1
 * and beyond), so that their predicted utilisations base + load/capacity
 * are equal wherever they receive any: the water level L with
 * sum capacity[i] * max(0, L - base[i]) = demand. share[i] (sum 1) is
 * capacity[i] * max(0, L - base[i]) / demand. Without demand (no rates
 * reported), shares go by free capacity, capacity x (1 - base), and by
 * capacity alone when no site has any. Returns L (0 without demand).
 */
double cfn_water_fill(const double *capacity, const double *base, size_t n,
		      double demand, double *share);

/* A site as balanced mode sees it. */
struct cfn_balance_site {
	double capacity;   /* requests/s */
	double background; /* utilisation by other work, 0..1 */
	double penalty;	   /* network penalty, utilisation 0..1 */
	uint32_t cost;	   /* IGP cost */
};

/*
 * Balanced mode's split of `demand` over n sites, nearest first: sites
 * of equal IGP cost form a tier; tier by tier, from the nearest, each is
 * water-filled up to the utilisation spill_at (0..1) before the next
 * farther tier receives any. Once the demand would bring every site to
 * spill_at, the whole of it is water-filled over all of them with their
 * network penalties (cfn_water_fill on background + penalty): above
 * spill_at, load counts more than distance. With spill_at 0, that from
 * the start. share[i] sums to 1. At most CFN_SELECT_MAX sites count.
 */
void cfn_balance(const struct cfn_balance_site *sites, size_t n, double demand,
		 double spill_at, double *share);

/*
 * Decide the SID's selection and store it in sv->selection; true when it
 * changed. evals, when given, receives one entry per egress of sv in
 * their order, saying why each was or was not chosen.
 */
bool cfn_select(const struct cfn_policy *policy, struct cfn_sid_view *sv,
		uint64_t now_ms, struct cfn_eval *evals);

/*
 * The same decision, leaving sv unchanged: what "show" explains. Both
 * keep the previous selection when out of memory.
 */
void cfn_select_explain(const struct cfn_policy *policy,
			const struct cfn_sid_view *sv, uint64_t now_ms,
			struct cfn_eval *evals);

#endif /* CFN_SELECT_H */
