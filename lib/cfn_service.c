/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_service.h"

#include <ctype.h>
#include <string.h>

#include "cfn_alloc.h"

static int service_name_cmp(const void *key, const void *item)
{
	return strcmp(key, ((const struct cfn_service *)item)->name);
}

static int service_sid_cmp(const void *key, const void *item)
{
	return cfn_prefix_cmp(key, &((const struct cfn_service *)item)->sid);
}

static int instance_bid_cmp(const void *key, const void *item)
{
	return cfn_prefix_cmp(key,
			      &((const struct cfn_local_instance *)item)->bid);
}

static void service_free(void *item)
{
	struct cfn_service *service = item;

	cfn_vec_fini(&service->instances, cfn_free);
	cfn_free(service);
}

void cfn_service_table_init(struct cfn_service_table *table)
{
	memset(table, 0, sizeof(*table));
}

void cfn_service_table_fini(struct cfn_service_table *table)
{
	cfn_vec_fini(&table->by_sid, NULL);
	cfn_vec_fini(&table->services, service_free);
}

bool cfn_service_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > CFN_SERVICE_NAME_MAX ||
	    !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

struct cfn_service *cfn_service_find(const struct cfn_service_table *table,
				     const char *name)
{
	return cfn_vec_find(&table->services, name, service_name_cmp);
}

struct cfn_service *cfn_service_find_sid(const struct cfn_service_table *table,
					 const struct cfn_prefix *sid)
{
	return cfn_vec_find(&table->by_sid, sid, service_sid_cmp);
}

static void unindex_sid(struct cfn_service_table *table,
			const struct cfn_service *service)
{
	bool found;
	size_t pos = cfn_vec_position(&table->by_sid, &service->sid,
				      service_sid_cmp, &found);

	if (found)
		cfn_vec_remove_at(&table->by_sid, pos);
}

/* by_sid has room for service (reserved by the caller). */
static void index_sid(struct cfn_service_table *table,
		      struct cfn_service *service)
{
	bool found;
	size_t pos = cfn_vec_position(&table->by_sid, &service->sid,
				      service_sid_cmp, &found);

	cfn_vec_insert_at(&table->by_sid, pos, service);
}

enum cfn_err cfn_service_set(struct cfn_service_table *table, const char *name,
			     const struct cfn_prefix *sid,
			     const struct cfn_service **conflict)
{
	struct cfn_service *service, *holder;
	bool found;
	size_t pos;

	if (!cfn_service_name_valid(name))
		return CFN_ERR_INVALID_NAME;
	holder = cfn_service_find_sid(table, sid);
	if (holder && strcmp(holder->name, name) != 0) {
		if (conflict)
			*conflict = holder;
		return CFN_ERR_SID_IN_USE;
	}
	pos = cfn_vec_position(&table->services, name, service_name_cmp,
			       &found);
	if (!cfn_vec_reserve(&table->by_sid, 1) ||
	    (!found && !cfn_vec_reserve(&table->services, 1)))
		return CFN_ERR_NOMEM;
	if (found) {
		service = cfn_service_at(table, pos);
		unindex_sid(table, service);
		service->sid = *sid;
		index_sid(table, service);
		return CFN_OK;
	}
	service = cfn_calloc(1, sizeof(*service));
	if (!service)
		return CFN_ERR_NOMEM;
	strcpy(service->name, name);
	service->sid = *sid;
	cfn_vec_insert_at(&table->services, pos, service);
	index_sid(table, service);
	return CFN_OK;
}

enum cfn_err cfn_service_delete(struct cfn_service_table *table,
				const char *name)
{
	bool found;
	size_t pos = cfn_vec_position(&table->services, name, service_name_cmp,
				      &found);

	if (!found)
		return CFN_ERR_NOT_FOUND;
	unindex_sid(table, cfn_service_at(table, pos));
	service_free(cfn_vec_remove_at(&table->services, pos));
	return CFN_OK;
}

struct cfn_local_instance *cfn_instance_find(const struct cfn_service *service,
					     const struct cfn_prefix *bid)
{
	return cfn_vec_find(&service->instances, bid, instance_bid_cmp);
}

enum cfn_err cfn_instance_set(struct cfn_service *service,
			      const struct cfn_prefix *bid, uint32_t capacity)
{
	struct cfn_local_instance *instance;
	bool found;
	size_t pos;

	if (!cfn_bid_valid(bid, NULL))
		return CFN_ERR_BAD_BID;
	pos = cfn_vec_position(&service->instances, bid, instance_bid_cmp,
			       &found);
	if (found) {
		cfn_instance_at(service, pos)->capacity = capacity;
		return CFN_OK;
	}
	if (service->instances.count >= CFN_SERVICE_INSTANCES_MAX)
		return CFN_ERR_TOO_MANY_INSTANCES;
	if (!cfn_vec_reserve(&service->instances, 1))
		return CFN_ERR_NOMEM;
	instance = cfn_calloc(1, sizeof(*instance));
	if (!instance)
		return CFN_ERR_NOMEM;
	instance->bid = *bid;
	instance->capacity = capacity;
	instance->id = ++service->next_instance_id;
	cfn_vec_insert_at(&service->instances, pos, instance);
	return CFN_OK;
}

enum cfn_err cfn_instance_delete(struct cfn_service *service,
				 const struct cfn_prefix *bid)
{
	bool found;
	size_t pos = cfn_vec_position(&service->instances, bid,
				      instance_bid_cmp, &found);

	if (!found)
		return CFN_ERR_NO_INSTANCE;
	cfn_free(cfn_vec_remove_at(&service->instances, pos));
	return CFN_OK;
}

enum cfn_err cfn_instance_metric_set(struct cfn_local_instance *instance,
				     const struct cfn_metric_value *value)
{
	return cfn_metric_set_put(&instance->metrics, value)
		       ? CFN_OK
		       : CFN_ERR_TOO_MANY_METRICS;
}

size_t cfn_service_expire(struct cfn_service *service, uint64_t now_ms)
{
	size_t removed = 0;

	for (size_t i = service->instances.count; i-- > 0;) {
		struct cfn_local_instance *inst = cfn_instance_at(service, i);

		if (inst->dynamic &&
		    now_ms - inst->last_seen_ms >=
			    (uint64_t)inst->hold_time_s * 1000) {
			cfn_free(cfn_vec_remove_at(&service->instances, i));
			removed++;
		}
	}
	return removed;
}

size_t cfn_service_update_stale(struct cfn_service *service, uint64_t now_ms,
				uint32_t stale_after_s)
{
	size_t changed = 0;

	for (size_t i = 0; i < service->instances.count; i++) {
		struct cfn_local_instance *inst = cfn_instance_at(service, i);
		bool stale = inst->dynamic && stale_after_s &&
			     now_ms - inst->metrics_ms >
				     (uint64_t)stale_after_s * 1000;

		changed += stale != inst->stale;
		inst->stale = stale;
	}
	return changed;
}

bool cfn_instance_takes_new_flows(const struct cfn_service *service,
				  const struct cfn_local_instance *instance)
{
	return !service->draining && !instance->draining;
}

/* How much an instance is out of service: 0 fresh, 1 stale, 2 draining. */
static unsigned int out_of_service(const struct cfn_service *service,
				   const struct cfn_local_instance *inst)
{
	if (!cfn_instance_takes_new_flows(service, inst))
		return 2;
	return inst->stale ? 1 : 0;
}

/*
 * The instances that make the egress's score: those most in service, so
 * that draining or stale ones weigh only if all are.
 */
static unsigned int score_level(const struct cfn_service *service)
{
	unsigned int level = 2;

	for (size_t i = 0; i < service->instances.count; i++) {
		unsigned int out =
			out_of_service(service, cfn_instance_at(service, i));

		if (out < level)
			level = out;
	}
	return level;
}

static uint8_t instance_flags(const struct cfn_service *service,
			      const struct cfn_local_instance *inst)
{
	uint8_t flags = inst->stale ? CFN_INSTANCE_STALE : 0;

	if (!cfn_instance_takes_new_flows(service, inst))
		flags |= CFN_INSTANCE_DRAINING;
	return flags;
}

static uint32_t add_capacity(uint32_t total, uint32_t capacity)
{
	return capacity > UINT32_MAX - total ? UINT32_MAX : total + capacity;
}

static size_t metric_count(const struct cfn_service *service)
{
	size_t count = 0;

	for (size_t i = 0; i < service->instances.count; i++)
		count += cfn_instance_at(service, i)->metrics.count;
	return count;
}

enum cfn_err cfn_service_build_attr(const struct cfn_service *service,
				    const struct cfn_metric_model *model,
				    uint32_t node_id, uint32_t sequence,
				    struct cfn_attr *out)
{
	struct cfn_scores_sum sum = {};
	struct cfn_metric_value *pool = NULL;
	size_t count = service->instances.count;
	unsigned int level = score_level(service);
	/* capacity for new flows: a stale instance still serves them */
	bool all_draining = level == 2;

	memset(out, 0, sizeof(*out));
	out->flags = service->draining ? CFN_ATTR_DRAINING : 0;
	out->node_id = node_id;
	out->sequence = sequence;
	if (count && !(pool = cfn_attr_alloc_instances(out, count,
						       metric_count(service))))
		return CFN_ERR_NOMEM;
	for (size_t i = 0; i < count; i++) {
		const struct cfn_local_instance *local =
			cfn_instance_at(service, i);
		struct cfn_instance_info *info = &out->instances[i];
		struct cfn_metric_list metrics =
			cfn_metric_set_list(&local->metrics);

		info->bid = local->bid;
		info->flags = instance_flags(service, local);
		info->capacity = local->capacity;
		pool = cfn_instance_store_metrics(info, &metrics, pool);
		cfn_scores_compute(model, &local->metrics, &info->scores);
		if (out_of_service(service, local) == level)
			cfn_scores_add(&sum, &info->scores, local->capacity);
		if (all_draining ||
		    cfn_instance_takes_new_flows(service, local))
			out->capacity =
				add_capacity(out->capacity, local->capacity);
	}
	cfn_scores_result(&sum, &out->scores);
	return CFN_OK;
}
