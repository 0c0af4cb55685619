/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bgpd_cfn: the state the module keeps per BGP instance. The bottom of
 * the module's layers: the API, the configuration, selection and the
 * BGP/FIB glue all use it, and it calls none of them.
 */
#ifndef CFN_INSTANCE_H
#define CFN_INSTANCE_H

#include "hook.h"
#include "memory.h"
#include "prefix.h"

#include "cfn_frr_compat.h"

#include "cfn_attr.h"
#include "cfn_damp.h"
#include "cfn_metric.h"
#include "cfn_prefix.h"
#include "cfn_select.h"
#include "cfn_service.h"
#include "cfn_view.h"

struct bgp;
struct hash;


DECLARE_MGROUP(CFN);

struct cfn_stats {
	uint64_t announcements;	  /* SID routes originated or updated */
	uint64_t withdrawals;	  /* SID routes withdrawn */
	uint64_t encode_failures; /* attribute larger than fits an UPDATE */
	uint64_t metrics_dropped; /* L0 left out so that the scores fit */
	uint64_t sid_updates;	  /* received SID routes re-read */
	uint64_t paths_decoded;	  /* received paths with valid CFN data */
	uint64_t decode_errors[CFN_DECODE_ERROR_COUNT];
	uint64_t view_changes;	    /* per-SID view changes */
	uint64_t selection_changes; /* choices or weights changed */
	uint64_t dispatch_changes;  /* local instance split changed */
	uint64_t damped;	 /* metric updates not sent: not significant */
	uint64_t delayed;	 /* metric updates delayed by the rate limit */
	uint64_t budget_waits;	 /* metric updates that waited for the budget */
	uint64_t budget_held_ms; /* their time past due, all together */
	uint64_t budget_held_max_ms; /* the longest of them */
	uint64_t expired; /* instances removed after their hold time */
};

struct cfn_instance {
	struct bgp *bgp;
	uint8_t attr_type;
	struct cfn_service_table services;
	struct cfn_metric_model model;
	struct cfn_policy policy; /* default selection policy */
	struct cfn_damping damping;
	struct cfn_view view;
	/* the SIDs this egress dispatches to its own instances, by SID */
	struct cfn_view dispatch;
	struct cfn_stats stats;
	struct hash *pending; /* struct prefix *: re-read from the RIB */
	struct cfn_event *t_pending;
	/* the round of rereads in progress: round_next of round_len done */
	struct cfn_pending *round;
	size_t round_len, round_next;
	struct cfn_event *t_delayed;   /* the next damping-delayed update */
	uint64_t delayed_due_ms;       /* when t_delayed fires */
	struct cfn_damp_budget budget; /* of damping.max_rate */
	/* the largest change waiting for the budget, -1 when none: a new
	 * update goes ahead of the waiting ones only when it is larger */
	int budget_waiting;
	uint64_t waits; /* numbers them: equal changes go in this order */
};

void cfn_instances_init(void);
void cfn_instances_fini(void);
struct cfn_instance *cfn_instance_get(struct bgp *bgp, bool create);
/* fn may delete the instance it is given. */
void cfn_instance_foreach(void (*fn)(struct cfn_instance *ci, void *arg),
			  void *arg);
/* Frees what cfn_instance_get created; others free their parts first. */
void cfn_instance_free(struct cfn_instance *ci);

/*
 * A SID's view or selection changed (cfn_receive.c, cfn_fib.c). Those
 * who want to hear of it register (the API server, for its watchers),
 * so that the lower layers call no upper one.
 */
DECLARE_HOOK(cfn_sid_changed,
	     (struct cfn_instance * ci, const struct cfn_prefix *sid),
	     (ci, sid));
void cfn_instance_sid_changed(struct cfn_instance *ci,
			      const struct cfn_prefix *sid);

/* Conversions between FRR's types and the core's. */
uint64_t cfn_now_ms(void);
void cfn_prefix_to_frr(const struct cfn_prefix *in, struct prefix *out);
bool cfn_prefix_from_frr(const struct prefix *in, struct cfn_prefix *out);

#endif /* CFN_INSTANCE_H */
