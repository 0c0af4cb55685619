/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_dispatch.h"

#include <stdio.h>
#include <string.h>

#include "cfn_alloc.h"

/* An instance as a one-instance egress at the end of a one-hop path. */
static bool instance_candidate(const struct cfn_local_instance *local,
			       const struct cfn_instance_info *info,
			       cfn_dispatch_resolve_fn resolve, void *arg,
			       struct cfn_egress *out)
{
	struct cfn_metric_value *pool;
	struct cfn_hop hop;

	memset(out, 0, sizeof(*out));
	pool = cfn_attr_alloc_instances(&out->attr, 1, info->metrics.count);
	if (!pool)
		return false;
	out->node_id = local->id;
	out->nexthop = info->bid;
	out->reachable = resolve(&info->bid, &hop, arg);
	if (!cfn_egress_set_hops(out, &hop, out->reachable ? 1 : 0)) {
		cfn_attr_free(&out->attr);
		return false;
	}
	snprintf(out->source, sizeof(out->source), "local");
	out->attr.flags = local->draining ? CFN_ATTR_DRAINING : 0;
	out->attr.node_id = local->id;
	out->attr.scores = info->scores;
	out->attr.capacity = info->capacity;
	out->attr.instances[0] = *info;
	cfn_instance_store_metrics(&out->attr.instances[0], &info->metrics,
				   pool);
	/* the egress's own drain is for the ingresses: what still arrives
	 * here goes to the instances as before */
	if (!local->draining)
		out->attr.instances[0].flags &= (uint8_t)~CFN_INSTANCE_DRAINING;
	return true;
}

static void candidates_free(struct cfn_egress *candidates, size_t count)
{
	for (size_t i = 0; i < count; i++)
		cfn_egress_release(&candidates[i]);
	cfn_free(candidates);
}

/* The candidates of the service's instances, or NULL out of memory. */
static struct cfn_egress *build_candidates(const struct cfn_service *service,
					   const struct cfn_metric_model *model,
					   cfn_dispatch_resolve_fn resolve,
					   void *arg)
{
	size_t count = service->instances.count;
	struct cfn_egress *candidates = cfn_calloc(count, sizeof(*candidates));
	struct cfn_attr attr;

	if (!candidates)
		return NULL;
	if (cfn_service_build_attr(service, model, 0, 0, &attr) != CFN_OK) {
		cfn_free(candidates);
		return NULL;
	}
	for (size_t i = 0; i < count; i++)
		if (!instance_candidate(cfn_instance_at(service, i),
					&attr.instances[i], resolve, arg,
					&candidates[i])) {
			candidates_free(candidates, i);
			candidates = NULL;
			break;
		}
	cfn_attr_free(&attr);
	return candidates;
}

enum cfn_err cfn_dispatch_update(struct cfn_view *view,
				 const struct cfn_service *service,
				 const struct cfn_metric_model *model,
				 cfn_dispatch_resolve_fn resolve, void *arg,
				 uint64_t now_ms, unsigned int *changes)
{
	size_t count = service->dispatch ? service->instances.count : 0;
	struct cfn_egress *candidates = NULL;
	enum cfn_err err;

	if (count) {
		candidates = build_candidates(service, model, resolve, arg);
		if (!candidates)
			return CFN_ERR_NOMEM;
	}
	/* the view takes the candidates' attributes and hops, kept or not */
	err = cfn_view_update(view, &service->sid, candidates, count, now_ms,
			      changes);
	cfn_free(candidates);
	return err;
}

void cfn_dispatch_policy(struct cfn_policy *policy)
{
	policy->stale_after_s = 0;
}

struct cfn_local_instance *
cfn_dispatch_instance(const struct cfn_service *service, uint32_t id)
{
	for (size_t i = 0; i < service->instances.count; i++)
		if (cfn_instance_at(service, i)->id == id)
			return cfn_instance_at(service, i);
	return NULL;
}
