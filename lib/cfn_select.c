/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cfn_alloc.h"

static const char *const verdict_names[CFN_VERDICT_COUNT] = {
	[CFN_VERDICT_CHOSEN] = "chosen",
	[CFN_VERDICT_FALLBACK] = "chosen-fallback",
	[CFN_VERDICT_LOWER_SCORE] = "lower-score",
	[CFN_VERDICT_HYSTERESIS] = "within-hysteresis",
	[CFN_VERDICT_MAX_PATHS] = "beyond-max-paths",
	[CFN_VERDICT_LOW_SCORE] = "below-min-score",
	[CFN_VERDICT_OVERLOADED] = "above-max-utilization",
	[CFN_VERDICT_STALE] = "stale",
	[CFN_VERDICT_UNREACHABLE] = "unreachable",
	[CFN_VERDICT_NO_INSTANCES] = "no-instances",
	[CFN_VERDICT_DRAINING] = "draining",
};

const char *cfn_verdict_name(enum cfn_verdict verdict)
{
	return verdict < CFN_VERDICT_COUNT ? verdict_names[verdict] : "?";
}

static const char *const mode_names[] = {
	[CFN_SELECT_BEST] = "best",
	[CFN_SELECT_WEIGHTED] = "weighted",
	[CFN_SELECT_BALANCED] = "balanced",
};

#define MODE_COUNT (sizeof(mode_names) / sizeof(*mode_names))

const char *cfn_select_mode_name(enum cfn_select_mode mode)
{
	return (size_t)mode < MODE_COUNT ? mode_names[mode] : "best";
}

bool cfn_select_mode_by_name(const char *name, enum cfn_select_mode *mode)
{
	for (size_t m = 0; m < MODE_COUNT; m++)
		if (strcmp(mode_names[m], name) == 0) {
			*mode = (enum cfn_select_mode)m;
			return true;
		}
	return false;
}

void cfn_policy_default(struct cfn_policy *policy)
{
	*policy = (struct cfn_policy){
		.mode = CFN_SELECT_BEST,
		.compute_weight = 1,
		.network_weight = 1,
		.igp_cost_max = 100,
		.min_score = 4, /* CATS: 0-3 "not recommended for steering" */
		.max_utilization = 100,
		.stale_after_s = 0,
		.hysteresis = 1,
		.weight_threshold = 10,
		.max_paths = 8,
		.affinity_buckets = 128,
		.network_penalty = 10,
		.spill_at = 0,
	};
}

void cfn_policy_merge(struct cfn_policy *base, const struct cfn_policy *over,
		      unsigned int fields)
{
	if (fields & CFN_POLICY_MODE)
		base->mode = over->mode;
	if (fields & CFN_POLICY_WEIGHTS) {
		base->compute_weight = over->compute_weight;
		base->network_weight = over->network_weight;
	}
	if (fields & CFN_POLICY_IGP_COST_MAX)
		base->igp_cost_max = over->igp_cost_max;
	if (fields & CFN_POLICY_MIN_SCORE)
		base->min_score = over->min_score;
	if (fields & CFN_POLICY_MAX_UTILIZATION)
		base->max_utilization = over->max_utilization;
	if (fields & CFN_POLICY_STALE_AFTER)
		base->stale_after_s = over->stale_after_s;
	if (fields & CFN_POLICY_HYSTERESIS)
		base->hysteresis = over->hysteresis;
	if (fields & CFN_POLICY_WEIGHT_THRESHOLD)
		base->weight_threshold = over->weight_threshold;
	if (fields & CFN_POLICY_MAX_PATHS)
		base->max_paths = over->max_paths;
	if (fields & CFN_POLICY_AFFINITY) {
		base->affinity_idle_s = over->affinity_idle_s;
		base->affinity_buckets = over->affinity_buckets;
	}
	if (fields & CFN_POLICY_NETWORK_PENALTY)
		base->network_penalty = over->network_penalty;
	if (fields & CFN_POLICY_SPILL_AT)
		base->spill_at = over->spill_at;
}

/* The highest utilisation any instance of the egress reports. */
static double peak_utilization(const struct cfn_egress *egress)
{
	static const uint16_t utilizations[] = {
		CFN_METRIC_CPU_UTIL, CFN_METRIC_GPU_UTIL, CFN_METRIC_MEM_UTIL,
		CFN_METRIC_NET_UTIL};
	double peak = 0, value;

	for (unsigned int i = 0; i < egress->attr.n_instances; i++)
		for (size_t u = 0;
		     u < sizeof(utilizations) / sizeof(*utilizations); u++)
			if (cfn_metric_list_value(
				    &egress->attr.instances[i].metrics,
				    utilizations[u], &value))
				peak = fmax(peak, value);
	return peak;
}

/*
 * An instance's utilisation by other work than the service, 0..1: what
 * it reports, else what its L2 score says (10: idle, 0: full) for an
 * instance that reports no background (an older cfn-agent).
 */
static double instance_background(const struct cfn_instance_info *inst)
{
	double percent;

	if (cfn_metric_list_value(&inst->metrics, CFN_METRIC_BACKGROUND_UTIL,
				  &percent))
		return percent / 100;
	if (inst->scores.l2 > CFN_SCORE_MAX)
		return 0;
	return 1 - (double)inst->scores.l2 / CFN_SCORE_MAX;
}

/* The egress's background: its instances', weighted by capacity. */
static double background(const struct cfn_egress *egress)
{
	double sum = 0, weight = 0;

	for (unsigned int i = 0; i < egress->attr.n_instances; i++) {
		const struct cfn_instance_info *inst =
			&egress->attr.instances[i];
		double w = inst->capacity ? inst->capacity : 1;

		sum += w * instance_background(inst);
		weight += w;
	}
	if (weight > 0)
		return sum / weight;
	return 1 - (double)egress->attr.scores.l2 / CFN_SCORE_MAX;
}

/* Requests per second the egress's instances report serving. */
static double request_rate(const struct cfn_egress *egress)
{
	double sum = 0, rate;

	for (unsigned int i = 0; i < egress->attr.n_instances; i++)
		if (cfn_metric_list_value(&egress->attr.instances[i].metrics,
					  CFN_METRIC_REQUEST_RATE, &rate))
			sum += rate;
	return sum;
}

/* The egress says none of its instances reported metrics lately. */
static bool all_instances_stale(const struct cfn_egress *egress)
{
	for (unsigned int i = 0; i < egress->attr.n_instances; i++)
		if (!(egress->attr.instances[i].flags & CFN_INSTANCE_STALE))
			return false;
	return egress->attr.n_instances > 0;
}

/* The egress, or every instance of it, drains: no new flows there. */
static bool draining(const struct cfn_egress *egress)
{
	if (egress->attr.flags & CFN_ATTR_DRAINING)
		return true;
	for (unsigned int i = 0; i < egress->attr.n_instances; i++)
		if (!(egress->attr.instances[i].flags & CFN_INSTANCE_DRAINING))
			return false;
	return egress->attr.n_instances > 0;
}

/* The IGP cost to the egress as a part of igp-cost-max, 0..1. */
static double cost_share(const struct cfn_policy *p, const struct cfn_egress *e)
{
	return p->igp_cost_max
		       ? fmin(1, (double)e->igp_metric / p->igp_cost_max)
		       : 0;
}

/* Balanced mode's network penalty, in utilisation (0..1). */
static double penalty(const struct cfn_policy *p, const struct cfn_egress *e)
{
	return p->network_penalty / 100 * cost_share(p, e);
}

static void evaluate(const struct cfn_policy *p, const struct cfn_egress *e,
		     uint64_t now_ms, struct cfn_eval *eval)
{
	double weights = p->compute_weight + p->network_weight;

	eval->egress = e;
	eval->weight = 0;
	eval->share = 0;
	eval->background = background(e);
	eval->base = eval->background + penalty(p, e);
	eval->network = CFN_SCORE_MAX * (1 - cost_share(p, e));
	eval->score = weights > 0 ? (p->compute_weight * e->attr.scores.l2 +
				     p->network_weight * eval->network) /
					    weights
				  : 0;
	if (!e->reachable)
		eval->verdict = CFN_VERDICT_UNREACHABLE;
	else if (!e->attr.n_instances && !e->attr.site_level)
		eval->verdict = CFN_VERDICT_NO_INSTANCES;
	else if (draining(e))
		eval->verdict = CFN_VERDICT_DRAINING;
	else if (all_instances_stale(e) ||
		 (p->stale_after_s &&
		  now_ms - e->updated_ms > (uint64_t)p->stale_after_s * 1000))
		eval->verdict = CFN_VERDICT_STALE;
	else if (peak_utilization(e) > p->max_utilization)
		eval->verdict = CFN_VERDICT_OVERLOADED;
	else if (p->mode != CFN_SELECT_BALANCED &&
		 e->attr.scores.l2 < p->min_score)
		eval->verdict = CFN_VERDICT_LOW_SCORE;
	else
		eval->verdict = CFN_VERDICT_LOWER_SCORE; /* eligible so far */
}

static bool eligible(const struct cfn_eval *eval)
{
	return eval->verdict == CFN_VERDICT_LOWER_SCORE;
}

/*
 * The fallback takes what is ineligible by policy, never what cannot
 * serve at all: an unreachable egress, or one without instances; and a
 * draining one only when nothing else can serve, since bgpd's own route
 * would then send every flow there anyway.
 */
static bool can_serve(const struct cfn_eval *eval, bool drained_too)
{
	return cfn_egress_serves(eval->egress) &&
	       (drained_too || eval->verdict != CFN_VERDICT_DRAINING);
}

/* The fallback's candidates into pool; returns how many. */
static size_t fallback_pool(struct cfn_eval *evals, size_t n,
			    struct cfn_eval **pool)
{
	size_t pooled = 0;

	for (size_t i = 0; i < n; i++)
		if (can_serve(&evals[i], false))
			pool[pooled++] = &evals[i];
	for (size_t i = 0; !pooled && i < n; i++)
		if (can_serve(&evals[i], true))
			pool[pooled++] = &evals[i];
	return pooled;
}

/*
 * Ranking: by score; ties go to the cheaper path, then the less loaded
 * egress, then the lower node ID, so that every node decides alike.
 */
static int rank_by_score(const void *pa, const void *pb)
{
	const struct cfn_eval *a = *(const struct cfn_eval *const *)pa;
	const struct cfn_eval *b = *(const struct cfn_eval *const *)pb;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->egress->igp_metric != b->egress->igp_metric)
		return a->egress->igp_metric < b->egress->igp_metric ? -1 : 1;
	if (a->egress->attr.scores.l2 != b->egress->attr.scores.l2)
		return a->egress->attr.scores.l2 > b->egress->attr.scores.l2
			       ? -1
			       : 1;
	return a->egress->node_id < b->egress->node_id ? -1 : 1;
}

/* Fallback ranking: the least loaded first, then as above. */
static int rank_by_load(const void *pa, const void *pb)
{
	const struct cfn_eval *a = *(const struct cfn_eval *const *)pa;
	const struct cfn_eval *b = *(const struct cfn_eval *const *)pb;

	if (a->egress->attr.scores.l2 != b->egress->attr.scores.l2)
		return a->egress->attr.scores.l2 > b->egress->attr.scores.l2
			       ? -1
			       : 1;
	return rank_by_score(pa, pb);
}

/*
 * A selection while it is decided, with room for the most choices; the
 * SID's view stores exactly the ones made (selection_store).
 */
struct decision {
	uint8_t count;
	bool fallback;
	struct cfn_choice chosen[CFN_SELECT_MAX];
};

static struct decision decision_of(const struct cfn_selection *stored)
{
	struct decision d = {.count = stored->count,
			     .fallback = stored->fallback};

	if (d.count)
		memcpy(d.chosen, stored->chosen, d.count * sizeof(*d.chosen));
	return d;
}

/* False when out of memory: stored is then unchanged. */
static bool selection_store(struct cfn_selection *stored,
			    const struct decision *d)
{
	struct cfn_choice *chosen = NULL;

	if (d->count) {
		chosen = cfn_calloc(d->count, sizeof(*chosen));
		if (!chosen)
			return false;
		memcpy(chosen, d->chosen, d->count * sizeof(*chosen));
	}
	cfn_free(stored->chosen);
	stored->chosen = chosen;
	stored->count = d->count;
	stored->fallback = d->fallback;
	return true;
}

static const struct cfn_choice *find_choice(const struct decision *sel,
					    uint32_t node_id)
{
	for (unsigned int i = 0; i < sel->count; i++)
		if (sel->chosen[i].node_id == node_id)
			return &sel->chosen[i];
	return NULL;
}

static double fallback_key(const struct cfn_eval *eval)
{
	return eval->egress->attr.scores.l2;
}

static double score_key(const struct cfn_eval *eval)
{
	return eval->score;
}

/*
 * Best mode: the top of the ranking, unless the current egress is still
 * in the pool and the top does not beat it by the hysteresis margin.
 */
static void pick_best(const struct cfn_policy *p, const struct decision *old,
		      struct cfn_eval **pool, size_t n, bool fallback,
		      struct decision *sel)
{
	double (*key)(const struct cfn_eval *) =
		fallback ? fallback_key : score_key;
	size_t pick = 0;

	if (old->count == 1 && old->fallback == fallback)
		for (size_t i = 1; i < n; i++)
			if (pool[i]->egress->node_id ==
				    old->chosen[0].node_id &&
			    key(pool[0]) - key(pool[i]) < p->hysteresis) {
				pool[0]->verdict = CFN_VERDICT_HYSTERESIS;
				pick = i;
			}
	pool[pick]->weight = 255;
	sel->count = 1;
	sel->chosen[0] = (struct cfn_choice){pool[pick]->egress->node_id, 255};
}

static uint8_t proportional_weight(double score, double top)
{
	return top > 0 ? (uint8_t)fmax(1, lround(255 * score / top)) : 1;
}

/* Same egresses as before, each weight within the threshold of before? */
static bool weights_hold(const struct cfn_policy *p, const struct decision *old,
			 const struct decision *sel)
{
	if (old->count != sel->count || old->fallback != sel->fallback)
		return false;
	for (unsigned int i = 0; i < sel->count; i++) {
		const struct cfn_choice *before =
			find_choice(old, sel->chosen[i].node_id);

		/* relative to the weight, so that a small one moves too */
		if (!before ||
		    fabs((double)before->weight - sel->chosen[i].weight) >=
			    p->weight_threshold / 100 * before->weight)
			return false;
	}
	return true;
}

/*
 * Weighted mode: from min-score up, an egress's share grows over this
 * many L2 points to its full value, so that crossing min-score moves a
 * small share, not all of it at once.
 */
#define MIN_SCORE_TAPER 2

static double taper(const struct cfn_policy *p, const struct cfn_eval *eval)
{
	double above = eval->egress->attr.scores.l2 - p->min_score;

	if (!p->min_score)
		return 1;
	return fmin(1, fmax(0, above + 1) / (MIN_SCORE_TAPER + 1));
}

/*
 * An egress's share of the traffic: its score, times its capacity when
 * every egress in the running gives one, since a site twice the size
 * takes twice the load at the same score; tapered near min-score.
 */
static double share(const struct cfn_policy *p, const struct cfn_eval *eval,
		    bool by_capacity)
{
	double score = eval->score * taper(p, eval);

	return by_capacity ? score * eval->egress->attr.capacity : score;
}

static bool capacities_known(struct cfn_eval **pool, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!pool[i]->egress->attr.capacity)
			return false;
	return n > 0;
}

/* Within the threshold of the old weights: keep those, in sel and pool. */
static void hold_weights(const struct cfn_policy *p, const struct decision *old,
			 struct cfn_eval **pool, size_t n, struct decision *sel)
{
	if (!weights_hold(p, old, sel))
		return;
	for (unsigned int i = 0; i < sel->count; i++)
		sel->chosen[i].weight =
			find_choice(old, sel->chosen[i].node_id)->weight;
	for (size_t i = 0; i < n; i++) {
		const struct cfn_choice *c =
			find_choice(sel, pool[i]->egress->node_id);

		if (c)
			pool[i]->weight = c->weight;
	}
}

static size_t path_limit(const struct cfn_policy *p)
{
	size_t limit = p->max_paths ? p->max_paths : 1;

	return limit > CFN_SELECT_MAX ? CFN_SELECT_MAX : limit;
}

/* Weighted mode: the top max-paths egresses, weights by share. */
static void pick_weighted(const struct cfn_policy *p,
			  const struct decision *old, struct cfn_eval **pool,
			  size_t n, bool fallback, struct decision *sel)
{
	size_t limit = fallback ? 1 : path_limit(p);
	bool by_capacity;
	double top = 0;

	by_capacity = capacities_known(pool, n < limit ? n : limit);
	for (size_t i = 0; i < n && i < limit; i++)
		top = fmax(top, share(p, pool[i], by_capacity));
	sel->count = 0;
	for (size_t i = 0; i < n; i++) {
		if (i >= limit) {
			if (eligible(pool[i]))
				pool[i]->verdict = CFN_VERDICT_MAX_PATHS;
			continue;
		}
		pool[i]->weight =
			fallback ? 255
				 : proportional_weight(
					   share(p, pool[i], by_capacity), top);
		sel->chosen[sel->count++] = (struct cfn_choice){
			pool[i]->egress->node_id, pool[i]->weight};
	}
	hold_weights(p, old, pool, n, sel);
}

/* Requests per second sites at this water level receive. */
static double filled(const double *capacity, const double *base, size_t n,
		     double level)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += capacity[i] * fmax(0, level - base[i]);
	return sum;
}

/* share[i] = part[i] / sum of parts; equal shares when all are 0. */
static void normalize(const double *part, size_t n, double *share)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += part[i];
	for (size_t i = 0; i < n; i++)
		share[i] = sum > 0 ? part[i] / sum : 1.0 / n;
}

/* Without demand: by free capacity, else by capacity. */
static void headroom_shares(const double *capacity, const double *base,
			    size_t n, double *share)
{
	for (size_t i = 0; i < n; i++)
		share[i] = capacity[i] * fmax(0, 1 - base[i]);
	normalize(share, n, share);
	for (size_t i = 0; i < n; i++)
		if (share[i] > 0)
			return;
	normalize(capacity, n, share);
}

/* Halving the bracket this often leaves it below 1e-15 of its width. */
#define WATER_FILL_ROUNDS 64

/* The water level at which a site's predicted utilisation is 100 %. */
#define FULL 1.0

/*
 * More demand than every site can serve: each is filled to capacity and
 * the rest goes to the one with the least room of its own, which would
 * be overloaded first anyway. A queueing server overloaded does not
 * serve less, it serves late, so one site in overload beats all of them.
 */
static double spill(const double *capacity, const double *base, size_t n,
		    double demand, double *share)
{
	size_t fullest = 0;
	double served = 0;

	for (size_t i = 0; i < n; i++) {
		share[i] = capacity[i] * fmax(0, FULL - base[i]);
		served += share[i];
		if (base[i] > base[fullest])
			fullest = i;
	}
	share[fullest] += demand - served;
	normalize(share, n, share);
	return FULL;
}

double cfn_water_fill(const double *capacity, const double *base, size_t n,
		      double demand, double *share)
{
	double low = INFINITY, high = -INFINITY, total = 0;

	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		low = fmin(low, base[i]);
		high = fmax(high, base[i]);
		total += capacity[i];
	}
	if (!(demand > 0) || !(total > 0)) {
		headroom_shares(capacity, base, n, share);
		return 0;
	}
	if (filled(capacity, base, n, FULL) < demand)
		return spill(capacity, base, n, demand, share);
	/* at high, every site is at least as full as the emptiest at low */
	high += demand / total;
	for (int round = 0; round < WATER_FILL_ROUNDS; round++) {
		double mid = (low + high) / 2;

		if (filled(capacity, base, n, mid) < demand)
			low = mid;
		else
			high = mid;
	}
	for (size_t i = 0; i < n; i++)
		share[i] = capacity[i] * fmax(0, high - base[i]);
	normalize(share, n, share);
	return high;
}

/* Requests per second the site takes before it is at `level`. */
static double room(const struct cfn_balance_site *site, double level)
{
	return site->capacity * fmax(0, level - site->background);
}

/* The lowest IGP cost above `after` (-1: the lowest); false: none. */
static bool next_tier(const struct cfn_balance_site *sites, size_t n,
		      int64_t after, uint32_t *cost)
{
	bool found = false;

	for (size_t i = 0; i < n; i++)
		if (sites[i].cost > after &&
		    (!found || sites[i].cost < *cost)) {
			*cost = sites[i].cost;
			found = true;
		}
	return found;
}

/* load[i] of the tier's sites: `demand` water-filled over them. */
static void fill_tier(const struct cfn_balance_site *sites, size_t n,
		      uint32_t cost, double demand, double *load)
{
	double capacity[CFN_SELECT_MAX], base[CFN_SELECT_MAX];
	double share[CFN_SELECT_MAX];
	size_t index[CFN_SELECT_MAX], m = 0;

	for (size_t i = 0; i < n; i++)
		if (sites[i].cost == cost) {
			index[m] = i;
			capacity[m] = sites[i].capacity;
			base[m++] = sites[i].background;
		}
	cfn_water_fill(capacity, base, m, demand, share);
	for (size_t j = 0; j < m; j++)
		load[index[j]] = share[j] * demand;
}

/*
 * Tier by tier from the nearest, each up to spill_at: load[i] in
 * requests/s. False when the demand does not fit below spill_at.
 */
static bool fill_near_first(const struct cfn_balance_site *sites, size_t n,
			    double demand, double spill_at, double *load)
{
	double left = demand;
	int64_t after = -1;
	uint32_t cost = 0;

	for (size_t i = 0; i < n; i++)
		load[i] = 0;
	while (next_tier(sites, n, after, &cost)) {
		double tier_room = 0;

		for (size_t i = 0; i < n; i++)
			if (sites[i].cost == cost)
				tier_room += room(&sites[i], spill_at);
		if (tier_room >= left) {
			fill_tier(sites, n, cost, left, load);
			return true;
		}
		for (size_t i = 0; i < n; i++)
			if (sites[i].cost == cost)
				load[i] = room(&sites[i], spill_at);
		left -= tier_room;
		after = cost;
	}
	return false;
}

void cfn_balance(const struct cfn_balance_site *sites, size_t n, double demand,
		 double spill_at, double *share)
{
	double capacity[CFN_SELECT_MAX], base[CFN_SELECT_MAX];
	double load[CFN_SELECT_MAX];

	if (n > CFN_SELECT_MAX)
		n = CFN_SELECT_MAX;
	if (demand > 0 && fill_near_first(sites, n, demand, spill_at, load)) {
		for (size_t i = 0; i < n; i++)
			share[i] = load[i] / demand;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		capacity[i] = sites[i].capacity;
		base[i] = sites[i].background + sites[i].penalty;
	}
	cfn_water_fill(capacity, base, n, demand, share);
}

/*
 * Balanced ranking: the emptiest first (background and network penalty),
 * then as the score ranking breaks ties, so that every node decides alike.
 */
static int rank_by_base(const void *pa, const void *pb)
{
	const struct cfn_eval *a = *(const struct cfn_eval *const *)pa;
	const struct cfn_eval *b = *(const struct cfn_eval *const *)pb;

	if (a->base != b->base)
		return a->base < b->base ? -1 : 1;
	return rank_by_score(pa, pb);
}

/*
 * Balanced mode: the SID's demand, as the egresses report serving it,
 * split by cfn_balance over the emptiest max-paths egresses (nearest
 * first up to spill-at, then water-filled); an egress that gets no share
 * is not chosen. Every ingress sees the same reports and applies the
 * split to its own traffic: nobody herds onto the emptiest site, and no
 * site is filled beyond what one ingress's split gives it.
 */
static void pick_balanced(const struct cfn_policy *p,
			  const struct decision *old, struct cfn_eval **pool,
			  size_t n, double demand, struct decision *sel)
{
	size_t used = n < path_limit(p) ? n : path_limit(p);
	struct cfn_balance_site sites[CFN_SELECT_MAX];
	double shares[CFN_SELECT_MAX], top = 0;
	bool by_capacity;

	qsort(pool, n, sizeof(*pool), rank_by_base);
	by_capacity = capacities_known(pool, used);
	for (size_t i = 0; i < used; i++) {
		const struct cfn_egress *e = pool[i]->egress;

		sites[i] = (struct cfn_balance_site){
			.capacity = by_capacity ? e->attr.capacity : 1,
			.background = pool[i]->background,
			.penalty = penalty(p, e),
			.cost = e->igp_metric,
		};
	}
	cfn_balance(sites, used, demand, p->spill_at / 100, shares);
	for (size_t i = 0; i < used; i++)
		top = fmax(top, shares[i]);
	sel->count = 0;
	for (size_t i = 0; i < n; i++) {
		if (i >= used) {
			pool[i]->verdict = CFN_VERDICT_MAX_PATHS;
			continue;
		}
		pool[i]->share = shares[i];
		if (shares[i] <= 0)
			continue;
		pool[i]->weight = proportional_weight(shares[i], top);
		sel->chosen[sel->count++] = (struct cfn_choice){
			pool[i]->egress->node_id, pool[i]->weight};
	}
	hold_weights(p, old, pool, used, sel);
}

/* What every egress of the SID reports serving: the SID's demand. */
static double sid_demand(const struct cfn_eval *evals, size_t n)
{
	double demand = 0;

	for (size_t i = 0; i < n; i++)
		demand += request_rate(evals[i].egress);
	return demand;
}

static bool selection_equal(const struct decision *a, const struct decision *b)
{
	if (a->count != b->count || a->fallback != b->fallback)
		return false;
	for (unsigned int i = 0; i < a->count; i++) {
		const struct cfn_choice *other =
			find_choice(b, a->chosen[i].node_id);

		if (!other || other->weight != a->chosen[i].weight)
			return false;
	}
	return true;
}

/*
 * The decision itself, on `sel` (in: the previous one, out: the new).
 * False, with nothing changed, when out of memory.
 */
static bool decide(const struct cfn_policy *p, const struct cfn_sid_view *sv,
		   uint64_t now_ms, struct cfn_eval *evals,
		   struct decision *sel)
{
	size_t n = sv->egresses.count, pooled = 0;
	struct cfn_eval **pool = cfn_calloc(n ? n : 1, sizeof(*pool));
	struct decision old = *sel;
	bool fallback;

	if (!pool)
		return false;
	for (size_t i = 0; i < n; i++) {
		evaluate(p, sv->egresses.items[i], now_ms, &evals[i]);
		if (eligible(&evals[i]))
			pool[pooled++] = &evals[i];
	}
	fallback = pooled == 0;
	if (fallback)
		pooled = fallback_pool(evals, n, pool);
	sel->count = 0;
	sel->fallback = fallback && pooled > 0;
	if (pooled == 0) {
		cfn_free(pool);
		return true;
	}
	qsort(pool, pooled, sizeof(*pool),
	      fallback ? rank_by_load : rank_by_score);
	if (p->mode == CFN_SELECT_BEST)
		pick_best(p, &old, pool, pooled, fallback, sel);
	else if (p->mode == CFN_SELECT_BALANCED && !fallback)
		pick_balanced(p, &old, pool, pooled, sid_demand(evals, n), sel);
	else
		pick_weighted(p, &old, pool, pooled, fallback, sel);
	for (unsigned int i = 0; i < sel->count; i++)
		for (size_t e = 0; e < n; e++)
			if (evals[e].egress->node_id == sel->chosen[i].node_id)
				evals[e].verdict =
					fallback ? CFN_VERDICT_FALLBACK
						 : CFN_VERDICT_CHOSEN;
	cfn_free(pool);
	return true;
}

bool cfn_select(const struct cfn_policy *policy, struct cfn_sid_view *sv,
		uint64_t now_ms, struct cfn_eval *evals)
{
	struct cfn_eval *scratch = NULL;
	struct decision old = decision_of(&sv->selection), sel = old;
	bool decided;

	if (!evals) {
		scratch =
			cfn_calloc(sv->egresses.count ? sv->egresses.count : 1,
				   sizeof(*scratch));
		if (!scratch)
			return false;
	}
	decided = decide(policy, sv, now_ms, evals ? evals : scratch, &sel);
	cfn_free(scratch);
	if (!decided || selection_equal(&old, &sel) ||
	    !selection_store(&sv->selection, &sel))
		return false;
	sv->selection.changes++;
	sv->selection.changed_ms = now_ms;
	return true;
}

void cfn_select_explain(const struct cfn_policy *policy,
			const struct cfn_sid_view *sv, uint64_t now_ms,
			struct cfn_eval *evals)
{
	struct decision sel = decision_of(&sv->selection);

	decide(policy, sv, now_ms, evals, &sel);
}
