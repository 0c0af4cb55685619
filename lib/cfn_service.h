/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configured services: a name an operator uses, the anycast prefix (the
 * SID) that names the service in the network, and the service's local
 * instances, each at its binding ID (BID) with its capacity and metrics.
 */
#ifndef CFN_SERVICE_H
#define CFN_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfn_attr.h"
#include "cfn_damp.h"
#include "cfn_error.h"
#include "cfn_metric.h"
#include "cfn_prefix.h"
#include "cfn_select.h"
#include "cfn_vec.h"

#define CFN_SERVICE_NAME_MAX 63
/* Instances one service may have on one egress: fits one attribute. */
#define CFN_SERVICE_INSTANCES_MAX CFN_ATTR_MAX_INSTANCES

#define CFN_CLIENT_LEN 32

struct cfn_local_instance {
	struct cfn_prefix bid;
	uint32_t capacity;
	struct cfn_metric_set metrics;
	/* Registered over the API (not configured): removed when no message
	 * came for hold_time_s, and not part of the configuration. */
	bool dynamic;
	bool stale; /* no metric report for longer than the stale time */
	/* Takes no new flows; flows already there stay (graceful drain). */
	bool draining;
	uint32_t id; /* unique in the service: its key in instance dispatch */
	uint32_t hold_time_s;
	uint64_t last_seen_ms;
	uint64_t metrics_ms; /* last metric report */
	char client[CFN_CLIENT_LEN];
};

struct cfn_service {
	char name[CFN_SERVICE_NAME_MAX + 1];
	struct cfn_prefix sid;
	struct cfn_vec instances; /* struct cfn_local_instance *, by BID */
	uint32_t sequence;	  /* of the last advertisement sent */
	struct cfn_damp_state damp;
	struct cfn_policy policy;   /* selection settings of this service */
	unsigned int policy_fields; /* those set: enum cfn_policy_field */
	bool draining;		    /* the whole egress takes no new flows */
	/* The egress installs the SID to its instances' BIDs, split as the
	 * selection policy says (cfn_dispatch.h). */
	bool dispatch;
	uint32_t next_instance_id;
};

/*
 * Services of one BGP instance, sorted by name so that configuration is
 * written in a stable order. Lookups by SID are linear: they happen on
 * configuration changes only.
 */
struct cfn_service_table {
	struct cfn_vec services; /* struct cfn_service *, by name */
	struct cfn_vec by_sid;	 /* the same, by SID */
};

void cfn_service_table_init(struct cfn_service_table *table);
void cfn_service_table_fini(struct cfn_service_table *table);

/* Names are 1..63 characters of [A-Za-z0-9_.-], starting alphanumeric. */
bool cfn_service_name_valid(const char *name);

/*
 * Create the service or change its SID. A SID names one service only:
 * on CFN_ERR_SID_IN_USE, *conflict (if given) points at the holder.
 * Nothing changes on error.
 */
enum cfn_err cfn_service_set(struct cfn_service_table *table, const char *name,
			     const struct cfn_prefix *sid,
			     const struct cfn_service **conflict);
enum cfn_err cfn_service_delete(struct cfn_service_table *table,
				const char *name);

struct cfn_service *cfn_service_find(const struct cfn_service_table *table,
				     const char *name);
struct cfn_service *cfn_service_find_sid(const struct cfn_service_table *table,
					 const struct cfn_prefix *sid);

static inline size_t cfn_service_count(const struct cfn_service_table *table)
{
	return table->services.count;
}

static inline struct cfn_service *
cfn_service_at(const struct cfn_service_table *table, size_t i)
{
	return table->services.items[i];
}

/* Local instances. Nothing changes on error. */
enum cfn_err cfn_instance_set(struct cfn_service *service,
			      const struct cfn_prefix *bid, uint32_t capacity);
enum cfn_err cfn_instance_delete(struct cfn_service *service,
				 const struct cfn_prefix *bid);
struct cfn_local_instance *cfn_instance_find(const struct cfn_service *service,
					     const struct cfn_prefix *bid);
enum cfn_err cfn_instance_metric_set(struct cfn_local_instance *instance,
				     const struct cfn_metric_value *value);

static inline struct cfn_local_instance *
cfn_instance_at(const struct cfn_service *service, size_t i)
{
	return service->instances.items[i];
}

/*
 * Remove the dynamic instances whose hold time has passed; returns how
 * many went.
 */
size_t cfn_service_expire(struct cfn_service *service, uint64_t now_ms);

/*
 * Mark stale the dynamic instances whose last metric report is older than
 * stale_after_s (0: never); returns how many changed state.
 */
size_t cfn_service_update_stale(struct cfn_service *service, uint64_t now_ms,
				uint32_t stale_after_s);

/* Does the instance take new flows: neither it nor its egress drains? */
bool cfn_instance_takes_new_flows(const struct cfn_service *service,
				  const struct cfn_local_instance *instance);

/*
 * The attribute this node advertises for the service: per-instance
 * scores from the model, the egress score and capacity aggregated over
 * the instances that take new flows (fresh and not draining; else those
 * not draining; else all), draining flagged per instance and egress.
 */
enum cfn_err cfn_service_build_attr(const struct cfn_service *service,
				    const struct cfn_metric_model *model,
				    uint32_t node_id, uint32_t sequence,
				    struct cfn_attr *out);

#endif /* CFN_SERVICE_H */
