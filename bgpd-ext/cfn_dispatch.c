/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Instance-level dispatch at the egress (lib/cfn_dispatch.h). A service
 * with "dispatch instances" has its SID installed on this node with its
 * instances' BIDs as next hops, split by the service's selection policy
 * over the instances, through the same resilient group (flow affinity)
 * as at the ingress (cfn_fib.c). The instances serve the SID on their
 * own address, their loopback say, as in anycast-to-server setups.
 */
#include <zebra.h>

#include "if.h"

#include "bgpd/bgpd.h"

#include "cfn_debug.h"
#include "cfn_dispatch.h"
#include "cfn_module.h"

/*
 * A BID is reached on the connected subnet that holds it: instances sit
 * next to their egress. One elsewhere is left out (verdict unreachable).
 */
static bool cfn_dispatch_resolve(const struct cfn_prefix *bid,
				 struct cfn_hop *hop, void *arg)
{
	struct cfn_instance *ci = arg;
	struct connected *connected;
	struct prefix p;

	cfn_prefix_to_frr(bid, &p);
	connected = if_lookup_address(&p.u.prefix, p.family, ci->bgp->vrf_id);
	if (!connected || !if_is_operative(connected->ifp))
		return false;
	hop->gateway = *bid;
	hop->ifindex = connected->ifp->ifindex;
	return true;
}

static void cfn_dispatch_log(const struct cfn_sid_view *sv)
{
	const struct cfn_selection *sel = &sv->selection;

	for (size_t e = 0; e < sv->egresses.count; e++) {
		const struct cfn_egress *inst = sv->egresses.items[e];
		struct prefix sid, bid;

		for (unsigned int i = 0; i < sel->count; i++) {
			if (inst->node_id != sel->chosen[i].node_id)
				continue;
			cfn_prefix_to_frr(&sv->sid, &sid);
			cfn_prefix_to_frr(&inst->nexthop, &bid);
			CFN_DEBUG(selection,
				  "%pFX: local instance %pFXh weight %u%s",
				  &sid, &bid, sel->chosen[i].weight,
				  sel->fallback ? " (fallback)" : "");
		}
	}
}

void cfn_dispatch_service(struct cfn_instance *ci,
			  const struct cfn_service *service)
{
	struct cfn_sid_view *sv;
	struct cfn_policy policy;
	unsigned int changes;

	if (cfn_dispatch_update(&ci->dispatch, service, &ci->model,
				cfn_dispatch_resolve, ci, cfn_now_ms(),
				&changes) != CFN_OK) {
		zlog_warn("CFN: service %s: out of memory for its dispatch",
			  service->name);
		return;
	}
	sv = cfn_view_find(&ci->dispatch, &service->sid);
	if (!sv) {
		if (changes)
			cfn_fib_release(ci, &service->sid);
		return;
	}
	cfn_policy_for(ci, &service->sid, &policy);
	cfn_dispatch_policy(&policy);
	if (cfn_fib_dispatch(ci, sv, &policy, changes != 0))
		cfn_dispatch_log(sv);
}

void cfn_dispatch_remove(struct cfn_instance *ci, const struct cfn_prefix *sid)
{
	unsigned int changes;

	if (!cfn_view_find(&ci->dispatch, sid))
		return;
	cfn_view_update(&ci->dispatch, sid, NULL, 0, cfn_now_ms(), &changes);
	cfn_fib_release(ci, sid);
}

void cfn_dispatch_sweep(struct cfn_instance *ci)
{
	for (size_t i = ci->dispatch.sids.count; i-- > 0;) {
		struct cfn_sid_view *sv = ci->dispatch.sids.items[i];

		if (!cfn_service_find_sid(&ci->services, &sv->sid))
			cfn_dispatch_remove(ci, &sv->sid);
	}
	for (size_t i = 0; i < cfn_service_count(&ci->services); i++) {
		const struct cfn_service *service =
			cfn_service_at(&ci->services, i);

		if (service->dispatch ||
		    cfn_view_find(&ci->dispatch, &service->sid))
			cfn_dispatch_service(ci, service);
	}
}

void cfn_dispatch_instance_fini(struct cfn_instance *ci)
{
	while (ci->dispatch.sids.count)
		cfn_dispatch_remove(
			ci, &((struct cfn_sid_view *)ci->dispatch.sids.items[0])
				     ->sid);
	cfn_view_fini(&ci->dispatch);
}
