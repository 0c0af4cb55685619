/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Instance-level dispatch at the egress. With the service's dispatch
 * option, the egress itself installs the SID with the service's BIDs as
 * next hops. Each local instance becomes one candidate of the same
 * selection the ingress runs over egresses (cfn_select.h), so that one
 * rule (modes, eligibility, least-loaded fallback, hysteresis, draining)
 * splits new flows between instances as between sites.
 */
#ifndef CFN_DISPATCH_H
#define CFN_DISPATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "cfn_error.h"
#include "cfn_metric.h"
#include "cfn_select.h"
#include "cfn_service.h"
#include "cfn_view.h"

/* How the egress reaches a BID: false when it cannot (no route). */
typedef bool (*cfn_dispatch_resolve_fn)(const struct cfn_prefix *bid,
					struct cfn_hop *hop, void *arg);

/*
 * Bring the service's entry of `view` (the egress's dispatch view, by
 * SID) up to date: one candidate per instance, keyed by the instance's
 * id, with the scores, capacity, metrics and flags the egress advertises
 * for it and the hop `resolve` finds to its BID. A service without
 * dispatch or without instances leaves the view. *changes is as from
 * cfn_view_update. On CFN_ERR_NOMEM nothing changes.
 */
enum cfn_err cfn_dispatch_update(struct cfn_view *view,
				 const struct cfn_service *service,
				 const struct cfn_metric_model *model,
				 cfn_dispatch_resolve_fn resolve, void *arg,
				 uint64_t now_ms, unsigned int *changes);

/*
 * The selection policy as dispatch applies it: instances are all at
 * IGP cost 0, and their staleness comes from their own reports (the
 * stale flag), not from how long their advertised data went unchanged.
 */
void cfn_dispatch_policy(struct cfn_policy *policy);

/* The local instance a dispatch candidate stands for, or NULL. */
struct cfn_local_instance *
cfn_dispatch_instance(const struct cfn_service *service, uint32_t id);

#endif /* CFN_DISPATCH_H */
