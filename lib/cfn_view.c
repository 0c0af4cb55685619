/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_view.h"

#include <stdlib.h>
#include <string.h>

#include "cfn_alloc.h"

static int sid_cmp(const void *key, const void *item)
{
	return cfn_prefix_cmp(key, &((const struct cfn_sid_view *)item)->sid);
}

static int egress_cmp(const void *key, const void *item)
{
	uint32_t a = *(const uint32_t *)key;
	uint32_t b = ((const struct cfn_egress *)item)->node_id;

	return a < b ? -1 : a > b;
}

/*
 * By node ID; within one node ID the usable paths first (reachable, then
 * the lowest IGP cost): the path to the egress is the first of its group.
 */
static int candidate_order(const void *pa, const void *pb)
{
	const struct cfn_egress *a = pa, *b = pb;

	if (a->node_id != b->node_id)
		return a->node_id < b->node_id ? -1 : 1;
	if (a->reachable != b->reachable)
		return a->reachable ? -1 : 1;
	if (a->igp_metric != b->igp_metric)
		return a->igp_metric < b->igp_metric ? -1 : 1;
	return 0;
}

/*
 * Of two reports with no newer one (equal sequence numbers, as after an
 * egress restarts, or 2^31 apart), the more cautious, whatever order BGP
 * lists them in: the lower L2, then capacity, then the lower peer.
 */
static bool cautious_first(const struct cfn_egress *a,
			   const struct cfn_egress *b)
{
	if (a->attr.scores.l2 != b->attr.scores.l2)
		return a->attr.scores.l2 < b->attr.scores.l2;
	if (a->attr.capacity != b->attr.capacity)
		return a->attr.capacity < b->attr.capacity;
	return strcmp(a->source, b->source) < 0;
}

static bool report_wins(const struct cfn_egress *a, const struct cfn_egress *b)
{
	if (cfn_sequence_newer(a->attr.sequence, b->attr.sequence))
		return true;
	return !cfn_sequence_newer(b->attr.sequence, a->attr.sequence) &&
	       cautious_first(a, b);
}

/*
 * The newest report of one egress among the candidates of its group
 * (sorted by candidate_order) that are as usable as the first: an
 * unreachable path's data never wins over a reachable one's. A linear
 * scan, as serial-number order is not transitive (no sort key).
 */
static struct cfn_egress *newest_report(struct cfn_egress *group, size_t n)
{
	struct cfn_egress *newest = &group[0];

	for (size_t i = 1; i < n && group[i].reachable == group[0].reachable;
	     i++)
		if (report_wins(&group[i], newest))
			newest = &group[i];
	return newest;
}

/*
 * Merge the candidates of one egress into the first of the group: its
 * path (the most usable) with the newest report and where that came from.
 */
static void merge_group(struct cfn_egress *group, size_t n)
{
	struct cfn_egress *newest = newest_report(group, n);
	struct cfn_attr attr;

	if (newest == &group[0])
		return;
	attr = group[0].attr;
	group[0].attr = newest->attr;
	newest->attr = attr;
	memcpy(group[0].source, newest->source, sizeof(group[0].source));
	group[0].max_changes = newest->max_changes;
	group[0].window_s = newest->window_s;
}

static size_t group_size(const struct cfn_egress *candidates, size_t count)
{
	size_t n = 1;

	while (n < count && candidates[n].node_id == candidates[0].node_id)
		n++;
	return n;
}

bool cfn_egress_serves(const struct cfn_egress *egress)
{
	return egress->reachable &&
	       (egress->attr.n_instances > 0 || egress->attr.site_level);
}

bool cfn_egress_set_hops(struct cfn_egress *egress, const struct cfn_hop *hops,
			 size_t n)
{
	cfn_free(egress->hops);
	egress->hops = NULL;
	egress->n_hops = 0;
	if (!n)
		return true;
	egress->hops = cfn_calloc(n, sizeof(*hops));
	if (!egress->hops)
		return false;
	memcpy(egress->hops, hops, n * sizeof(*hops));
	egress->n_hops = (uint8_t)n;
	return true;
}

void cfn_egress_release(struct cfn_egress *egress)
{
	cfn_attr_free(&egress->attr);
	cfn_free(egress->hops);
	egress->hops = NULL;
	egress->n_hops = 0;
}

static void egress_free(void *item)
{
	struct cfn_egress *egress = item;

	cfn_egress_release(egress);
	cfn_free(egress);
}

static void sid_view_free(void *item)
{
	struct cfn_sid_view *sv = item;

	cfn_vec_fini(&sv->egresses, egress_free);
	cfn_free(sv->selection.chosen);
	cfn_free(sv);
}

void cfn_view_init(struct cfn_view *view)
{
	memset(view, 0, sizeof(*view));
}

void cfn_view_fini(struct cfn_view *view)
{
	cfn_vec_fini(&view->sids, sid_view_free);
}

struct cfn_sid_view *cfn_view_find(const struct cfn_view *view,
				   const struct cfn_prefix *sid)
{
	return cfn_vec_find(&view->sids, sid, sid_cmp);
}

size_t cfn_view_instance_count(const struct cfn_sid_view *sv)
{
	size_t count = 0;

	for (size_t i = 0; i < sv->egresses.count; i++)
		count += ((struct cfn_egress *)sv->egresses.items[i])
				 ->attr.n_instances;
	return count;
}

static bool first_of_node(const struct cfn_egress *candidates, size_t i)
{
	return i == 0 || candidates[i].node_id != candidates[i - 1].node_id;
}

static void free_candidates(struct cfn_egress *candidates, size_t count)
{
	for (size_t i = 0; i < count; i++)
		cfn_egress_release(&candidates[i]);
}

static void remove_sid(struct cfn_view *view, const struct cfn_prefix *sid,
		       unsigned int *changes)
{
	bool found;
	size_t pos = cfn_vec_position(&view->sids, sid, sid_cmp, &found);

	if (found) {
		sid_view_free(cfn_vec_remove_at(&view->sids, pos));
		*changes |= CFN_VIEW_EGRESSES;
	}
}

/* Allocations for a SID's new egresses, made before anything changes. */
struct egress_pool {
	struct cfn_egress **items;
	size_t count, used;
};

static void pool_free(struct egress_pool *pool)
{
	for (size_t i = pool->used; i < pool->count; i++)
		cfn_free(pool->items[i]);
	cfn_free(pool->items);
}

static bool pool_fill(struct egress_pool *pool, const struct cfn_sid_view *sv,
		      const struct cfn_egress *candidates, size_t count)
{
	memset(pool, 0, sizeof(*pool));
	for (size_t i = 0; i < count; i++)
		if (first_of_node(candidates, i) &&
		    (!sv || !cfn_vec_find(&sv->egresses, &candidates[i].node_id,
					  egress_cmp)))
			pool->count++;
	if (!pool->count)
		return true;
	pool->items = cfn_calloc(pool->count, sizeof(*pool->items));
	if (!pool->items)
		return false;
	for (size_t i = 0; i < pool->count; i++) {
		pool->items[i] = cfn_calloc(1, sizeof(**pool->items));
		if (!pool->items[i]) {
			pool->count = i;
			pool_free(pool);
			return false;
		}
	}
	return true;
}

static bool hops_equal(const struct cfn_egress *a, const struct cfn_egress *b)
{
	if (a->n_hops != b->n_hops)
		return false;
	for (unsigned int i = 0; i < a->n_hops; i++)
		if (a->hops[i].ifindex != b->hops[i].ifindex ||
		    !cfn_prefix_equal(&a->hops[i].gateway, &b->hops[i].gateway))
			return false;
	return true;
}

static void apply_candidate(struct cfn_egress *egress,
			    struct cfn_egress *candidate, uint64_t now_ms,
			    unsigned int *changes)
{
	if (cfn_attr_equal(&egress->attr, &candidate->attr)) {
		cfn_attr_free(&candidate->attr);
	} else if (!cfn_change_rate_allow(&egress->rx_rate,
					  candidate->max_changes,
					  candidate->window_s, now_ms)) {
		cfn_attr_free(&candidate->attr);
		candidate->damped = true;
	} else {
		cfn_attr_free(&egress->attr);
		egress->attr = candidate->attr;
		egress->updated_ms = now_ms;
		*changes |= CFN_VIEW_DATA;
	}
	memset(&candidate->attr, 0, sizeof(candidate->attr));
	if (!cfn_prefix_equal(&egress->nexthop, &candidate->nexthop) ||
	    egress->igp_metric != candidate->igp_metric ||
	    egress->reachable != candidate->reachable ||
	    !hops_equal(egress, candidate)) {
		struct cfn_hop *hops = egress->hops;
		uint8_t n_hops = egress->n_hops;

		egress->nexthop = candidate->nexthop;
		egress->igp_metric = candidate->igp_metric;
		egress->reachable = candidate->reachable;
		/* swapped: the candidate's release frees the old ones */
		egress->hops = candidate->hops;
		egress->n_hops = candidate->n_hops;
		candidate->hops = hops;
		candidate->n_hops = n_hops;
		*changes |= CFN_VIEW_PATH;
	}
	memcpy(egress->source, candidate->source, sizeof(egress->source));
}

static void add_egress(struct cfn_sid_view *sv, struct egress_pool *pool,
		       struct cfn_egress *candidate, uint64_t now_ms)
{
	struct cfn_egress *egress = pool->items[pool->used++];
	bool found;
	size_t pos = cfn_vec_position(&sv->egresses, &candidate->node_id,
				      egress_cmp, &found);

	*egress = *candidate;
	egress->updated_ms = now_ms;
	memset(&candidate->attr, 0, sizeof(candidate->attr));
	candidate->hops = NULL;
	candidate->n_hops = 0;
	cfn_vec_insert_at(&sv->egresses, pos, egress);
}

static void merge(struct cfn_sid_view *sv, struct egress_pool *pool,
		  struct cfn_egress *candidates, size_t count, uint64_t now_ms,
		  unsigned int *changes)
{
	for (size_t i = 0; i < sv->egresses.count; i++)
		((struct cfn_egress *)sv->egresses.items[i])->seen = false;

	for (size_t i = 0, n; i < count; i += n) {
		struct cfn_egress *egress;

		n = group_size(&candidates[i], count - i);
		merge_group(&candidates[i], n);
		egress = cfn_vec_find(&sv->egresses, &candidates[i].node_id,
				      egress_cmp);
		if (egress) {
			apply_candidate(egress, &candidates[i], now_ms,
					changes);
		} else {
			add_egress(sv, pool, &candidates[i], now_ms);
			*changes |= CFN_VIEW_EGRESSES;
			egress = cfn_vec_find(&sv->egresses,
					      &candidates[i].node_id,
					      egress_cmp);
		}
		egress->seen = true;
	}
	free_candidates(candidates, count);

	for (size_t i = sv->egresses.count; i-- > 0;)
		if (!((struct cfn_egress *)sv->egresses.items[i])->seen) {
			egress_free(cfn_vec_remove_at(&sv->egresses, i));
			*changes |= CFN_VIEW_EGRESSES;
		}
}

static struct cfn_sid_view *add_sid(struct cfn_view *view,
				    const struct cfn_prefix *sid)
{
	struct cfn_sid_view *sv;
	bool found;
	size_t pos;

	if (!cfn_vec_reserve(&view->sids, 1))
		return NULL;
	sv = cfn_calloc(1, sizeof(*sv));
	if (!sv)
		return NULL;
	sv->sid = *sid;
	pos = cfn_vec_position(&view->sids, sid, sid_cmp, &found);
	cfn_vec_insert_at(&view->sids, pos, sv);
	return sv;
}

enum cfn_err cfn_view_update(struct cfn_view *view,
			     const struct cfn_prefix *sid,
			     struct cfn_egress *candidates, size_t count,
			     uint64_t now_ms, unsigned int *changes)
{
	struct cfn_sid_view *sv = cfn_view_find(view, sid);
	struct egress_pool pool;
	bool new_sid = !sv;

	*changes = 0;
	if (!count) {
		remove_sid(view, sid, changes);
		return CFN_OK;
	}
	qsort(candidates, count, sizeof(*candidates), candidate_order);
	if (!pool_fill(&pool, sv, candidates, count))
		goto nomem;
	if (!sv && !(sv = add_sid(view, sid))) {
		pool_free(&pool);
		goto nomem;
	}
	if (!cfn_vec_reserve(&sv->egresses, pool.count)) {
		pool_free(&pool);
		if (new_sid)
			remove_sid(view, sid, changes);
		*changes = 0;
		goto nomem;
	}
	merge(sv, &pool, candidates, count, now_ms, changes);
	pool_free(&pool);
	if (*changes)
		sv->changed_ms = now_ms;
	return CFN_OK;

nomem:
	free_candidates(candidates, count);
	return CFN_ERR_NOMEM;
}

bool cfn_sid_view_has_source(const struct cfn_sid_view *sv, const char *source)
{
	for (size_t i = 0; i < sv->egresses.count; i++)
		if (!strcmp(((const struct cfn_egress *)sv->egresses.items[i])
				    ->source,
			    source))
			return true;
	return false;
}

size_t cfn_view_sids_from(const struct cfn_view *view, const char *source,
			  const struct cfn_prefix *except)
{
	size_t count = 0;

	for (size_t i = 0; i < view->sids.count; i++) {
		const struct cfn_sid_view *sv = view->sids.items[i];

		if (!cfn_prefix_equal(&sv->sid, except) &&
		    cfn_sid_view_has_source(sv, source))
			count++;
	}
	return count;
}
