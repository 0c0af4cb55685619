/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The egress role: for every service with at least one local instance,
 * originate its SID with the CFN attribute and next-hop self; withdraw it
 * when the last instance goes; send an update when what is advertised
 * changes.
 */
#include <zebra.h>

#include "bgpd/bgpd.h"
#include "bgpd/bgp_aspath.h"
#include "bgpd/bgp_attr.h"
#include "bgpd/bgp_route.h"
#include "bgpd/bgp_table.h"

#include "cfn_attr_bgp.h"
#include "cfn_debug.h"
#include "cfn_edgemeta_bgp.h"
#include "cfn_module.h"

/*
 * SID routes are BGP_ROUTE_STATIC paths of peer_self, like "network"
 * routes; this instance number tells ours apart from those.
 */
#define CFN_PATH_INSTANCE 0xcf4e

static struct bgp_path_info *cfn_local_path(struct bgp *bgp,
					    struct bgp_dest *dest)
{
	struct bgp_path_info *pi;

	for (pi = bgp_dest_get_bgp_path_info(dest); pi; pi = pi->next)
		if (pi->peer == bgp->peer_self && pi->type == ZEBRA_ROUTE_BGP &&
		    pi->sub_type == BGP_ROUTE_STATIC &&
		    pi->instance == CFN_PATH_INSTANCE)
			return pi;
	return NULL;
}

static afi_t sid_afi(const struct cfn_prefix *sid)
{
	return sid->family == CFN_FAMILY_IPV6 ? AFI_IP6 : AFI_IP;
}

/*
 * The attribute value of what this node advertises for a service;
 * *without_l0 (if given) tells whether the L0 values had to be left out.
 */
static size_t cfn_encode_service(struct cfn_instance *ci,
				 const struct cfn_service *service,
				 uint32_t sequence, uint8_t *buf, size_t buflen,
				 bool *without_l0)
{
	struct cfn_attr attr;
	size_t len;

	if (cfn_service_build_attr(service, &ci->model,
				   ntohl(ci->bgp->router_id.s_addr), sequence,
				   &attr) != CFN_OK)
		return 0;
	len = cfn_attr_encode(&attr, true, buf, buflen);
	if (without_l0)
		*without_l0 = !len;
	/* L0 values are optional on the wire; the scores are not. */
	if (!len)
		len = cfn_attr_encode(&attr, false, buf, buflen);
	cfn_attr_free(&attr);
	return len;
}

/* Does the path already carry exactly this value? */
static bool cfn_path_carries(struct cfn_instance *ci,
			     const struct bgp_path_info *pi,
			     const uint8_t *value, size_t len)
{
	size_t current_len;
	const uint8_t *current;

	if (!pi || CHECK_FLAG(pi->flags, BGP_PATH_REMOVED))
		return false;
	current = cfn_transit_find(pi->attr, ci->attr_type, &current_len);
	return current && current_len == len &&
	       memcmp(current, value, len) == 0 &&
	       cfn_edgemeta_sent_as_configured(ci->bgp, pi->attr);
}

static void cfn_install_path(struct cfn_instance *ci, struct bgp_dest *dest,
			     struct bgp_path_info *pi, afi_t afi,
			     const uint8_t *value, size_t len)
{
	struct bgp *bgp = ci->bgp;
	struct attr attr, *attr_new;
	struct transit *transit;

	bgp_attr_default_set(&attr, bgp, BGP_ORIGIN_IGP);
	if (afi == AFI_IP)
		attr.mp_nexthop_len = BGP_ATTR_NHLEN_IPV4;
	else
		attr.mp_nexthop_len = BGP_ATTR_NHLEN_IPV6_GLOBAL;
	transit = cfn_transit_new(ci->attr_type, value, len);
	cfn_edgemeta_add_sent(bgp, transit, value, len);
	bgp_attr_set_transit(&attr, transit);
	attr_new = bgp_attr_intern(&attr);
	/* attr's transit now belongs to attr_new; only the aspath is ours */
	aspath_unintern(&attr.aspath);

	if (pi) {
		bgp_path_info_set_flag(dest, pi, BGP_PATH_ATTR_CHANGED);
		if (CHECK_FLAG(pi->flags, BGP_PATH_REMOVED))
			bgp_path_info_restore(dest, pi);
		bgp_attr_unintern(&pi->attr);
		pi->attr = attr_new;
		pi->uptime = monotime(NULL);
	} else {
		pi = info_make(ZEBRA_ROUTE_BGP, BGP_ROUTE_STATIC,
			       CFN_PATH_INSTANCE, bgp->peer_self, attr_new,
			       dest);
		bgp_path_info_set_flag(dest, pi, BGP_PATH_VALID);
		bgp_path_info_add(dest, pi);
	}
	cfn_bgp_process_path(bgp, dest, pi, afi, SAFI_UNICAST);
	cfn_receive_enqueue(ci, bgp_dest_get_prefix(dest), true);
}

void cfn_withdraw_sid(struct cfn_instance *ci, const struct cfn_prefix *sid)
{
	afi_t afi = sid_afi(sid);
	struct bgp_path_info *pi;
	struct bgp_dest *dest;
	struct prefix p;

	cfn_dispatch_remove(ci, sid); /* nothing left here to dispatch to */
	cfn_prefix_to_frr(sid, &p);
	dest = bgp_node_lookup(ci->bgp->rib[afi][SAFI_UNICAST], &p);
	if (!dest)
		return;
	pi = cfn_local_path(ci->bgp, dest);
	if (pi && !CHECK_FLAG(pi->flags, BGP_PATH_REMOVED)) {
		bgp_path_info_delete(dest, pi);
		cfn_bgp_process_path(ci->bgp, dest, pi, afi, SAFI_UNICAST);
		cfn_receive_enqueue(ci, &p, true);
		ci->stats.withdrawals++;
		CFN_DEBUG(updates, "withdraw %pFX", &p);
	}
	bgp_dest_unlock_node(dest);
}

/* The SID's RIB entry and our path in it (NULL when not advertised). */
static struct bgp_dest *cfn_sid_dest(struct cfn_instance *ci,
				     const struct cfn_service *service,
				     struct prefix *p,
				     struct bgp_path_info **pi)
{
	afi_t afi = sid_afi(&service->sid);
	struct bgp_dest *dest;

	cfn_prefix_to_frr(&service->sid, p);
	dest = bgp_afi_node_get(ci->bgp->rib[afi][SAFI_UNICAST], afi,
				SAFI_UNICAST, p, NULL);
	*pi = cfn_local_path(ci->bgp, dest);
	if (*pi && CHECK_FLAG((*pi)->flags, BGP_PATH_REMOVED))
		*pi = NULL;
	return dest;
}

/* The update waits for the budget: counted once per wait. */
static void cfn_budget_hold(struct cfn_instance *ci,
			    struct cfn_damp_state *damp)
{
	if (!damp->budget_held)
		ci->stats.budget_waits++;
	damp->budget_held = true;
}

/* No change waits any more: sent, or no longer significant. */
static void cfn_wait_end(struct cfn_damp_state *damp)
{
	damp->pending = false;
	damp->budget_held = false;
}

/*
 * How long an update that waited for the budget went past its due time:
 * the wait that max-rate added, counted in the statistics.
 */
static uint64_t cfn_held_ms(struct cfn_instance *ci,
			    const struct cfn_damp_state *damp)
{
	uint64_t now = cfn_now_ms(), held;

	/* budget_held is set only while pending (cfn_wait_end) */
	if (!damp->budget_held || damp->due_ms >= now)
		return 0;
	held = now - damp->due_ms;
	ci->stats.budget_held_ms += held;
	ci->stats.budget_held_max_ms = MAX(ci->stats.budget_held_max_ms, held);
	return held;
}

/* Advertise the service's current state with a new sequence number. */
static void cfn_send(struct cfn_instance *ci, struct cfn_service *service,
		     struct bgp_dest *dest, struct bgp_path_info *pi)
{
	uint8_t value[CFN_ATTR_MAX_LEN];
	const struct prefix *p = bgp_dest_get_prefix(dest);
	bool without_l0;
	uint64_t held;
	size_t len = cfn_encode_service(ci, service, service->sequence + 1,
					value, sizeof(value), &without_l0);

	if (!len) {
		ci->stats.encode_failures++;
		zlog_warn(
			"CFN: %pFX: the CFN attribute of service %s does not fit in an UPDATE; not advertised",
			p, service->name);
		return;
	}
	if (without_l0)
		ci->stats.metrics_dropped++;
	held = cfn_held_ms(ci, &service->damp);
	service->sequence++;
	service->damp.last_sent_ms = cfn_now_ms();
	cfn_wait_end(&service->damp);
	cfn_install_path(ci, dest, pi, family2afi(p->family), value, len);
	ci->stats.announcements++;
	CFN_DEBUG(
		updates,
		"announce %pFX: %zu instances, seq %u, %zu octets, held %" PRIu64
		" ms by max-rate (change %u)",
		p, service->instances.count, service->sequence, len, held,
		service->damp.change);
}

void cfn_originate_service(struct cfn_instance *ci, struct cfn_service *service)
{
	uint8_t value[CFN_ATTR_MAX_LEN];
	struct bgp_path_info *pi;
	struct bgp_dest *dest;
	struct prefix p;
	size_t len;

	if (!service->instances.count) {
		cfn_withdraw_sid(ci, &service->sid);
		return;
	}
	dest = cfn_sid_dest(ci, service, &p, &pi);
	/* Unchanged content keeps its sequence number: no update is sent. */
	len = cfn_encode_service(ci, service, service->sequence, value,
				 sizeof(value), NULL);
	if (!len || !cfn_path_carries(ci, pi, value, len))
		cfn_send(ci, service, dest, pi);
	bgp_dest_unlock_node(dest);
	cfn_dispatch_service(ci, service);
}

/* What the SID's path carries now, decoded; false when nothing. */
static bool cfn_advertised(struct cfn_instance *ci,
			   const struct bgp_path_info *pi,
			   struct cfn_attr *attr)
{
	const uint8_t *value;
	size_t len;

	value = pi ? cfn_transit_find(pi->attr, ci->attr_type, &len) : NULL;
	return value && cfn_attr_decode(value, len, attr) == CFN_DECODE_OK;
}

static void cfn_send_delayed(struct cfn_event *t);

/* The delayed-update timer, at due if that is sooner than it is set. */
static void cfn_delayed_at(struct cfn_instance *ci, uint64_t due)
{
	uint64_t now = cfn_now_ms();

	if (ci->t_delayed && ci->delayed_due_ms <= due)
		return;
	EVENT_OFF(ci->t_delayed);
	ci->delayed_due_ms = due;
	event_add_timer_msec(bm->master, cfn_send_delayed, ci,
			     due > now ? (long)(due - now) : 0, &ci->t_delayed);
}

/*
 * When a waiting update may go: its interval's end, and with a budget
 * not before a tenth of a second's worth of updates is available, so
 * that a backlog is worked through in a few batches a second, not in
 * one timer run per update.
 */
static uint64_t cfn_delayed_due(struct cfn_instance *ci,
				const struct cfn_service *service, uint64_t now)
{
	uint32_t rate = ci->damping.max_rate;
	uint64_t budget;

	if (!rate || service->damp.due_ms > now)
		return service->damp.due_ms;
	budget = cfn_damp_budget_next_ms(&ci->budget, rate, rate / 10,
					 service->damp.change, now);
	return MAX(service->damp.due_ms, budget);
}

static int cfn_by_priority(const void *a, const void *b)
{
	return cfn_damp_cmp_priority(&(*(struct cfn_service *const *)a)->damp,
				     &(*(struct cfn_service *const *)b)->damp);
}

/*
 * The services whose delayed update is due, most important first, so
 * that when the budget runs short the largest changes go.
 */
static size_t cfn_due_services(struct cfn_instance *ci, uint64_t now,
			       struct cfn_service ***due)
{
	size_t n = 0, count = cfn_service_count(&ci->services);

	*due = XCALLOC(MTYPE_CFN_PENDING, MAX(count, 1) * sizeof(**due));
	for (size_t i = 0; i < count; i++) {
		struct cfn_service *service = cfn_service_at(&ci->services, i);

		if (service->damp.pending && service->damp.due_ms <= now)
			(*due)[n++] = service;
	}
	qsort(*due, n, sizeof(**due), cfn_by_priority);
	return n;
}

/* A delayed update goes when its interval ends, not at the next sweep. */
static void cfn_send_delayed(struct cfn_event *t)
{
	struct cfn_instance *ci = EVENT_ARG(t);
	uint64_t now = cfn_now_ms();
	struct cfn_service **due;
	size_t n = cfn_due_services(ci, now, &due), i;

	ci->budget_waiting = -1;
	for (i = 0; i < n && ci->budget_waiting < 0; i++)
		cfn_originate_damped(ci, due[i]);
	/* once the budget is spent, the rest keep waiting, in order */
	for (; i < n; i++)
		cfn_budget_hold(ci, &due[i]->damp);
	XFREE(MTYPE_CFN_PENDING, due);
	for (size_t i = 0; i < cfn_service_count(&ci->services); i++) {
		struct cfn_service *service = cfn_service_at(&ci->services, i);

		if (service->damp.pending)
			cfn_delayed_at(ci, cfn_delayed_due(ci, service, now));
	}
}

/* A significant change that must wait: for its interval, or the budget. */
static void cfn_wait(struct cfn_instance *ci, struct cfn_service *service,
		     uint64_t due)
{
	struct cfn_damp_state *damp = &service->damp;
	uint64_t now = cfn_now_ms();
	bool waiting = damp->pending;

	if (due > now) {
		ci->stats.delayed += !waiting;
		damp->due_ms = due;
	} else {
		/* one already waiting for the budget keeps its place */
		if (!waiting || damp->due_ms > now)
			damp->due_ms = now;
		cfn_budget_hold(ci, damp);
		ci->budget_waiting = MAX(ci->budget_waiting, (int)damp->change);
	}
	if (!waiting)
		damp->waiting_since = ++ci->waits;
	damp->pending = true;
	cfn_delayed_at(ci, cfn_delayed_due(ci, service, now));
}

/*
 * A metric update within the node's budget, unless larger changes wait:
 * those beyond it wait, in order.
 */
static bool cfn_budget_allows(struct cfn_instance *ci, uint8_t change)
{
	return (int)change > ci->budget_waiting &&
	       cfn_damp_budget_take(&ci->budget, ci->damping.max_rate, change,
				    cfn_now_ms());
}

/*
 * The damping verdict on what the service would advertise now, and the
 * size of the change (cfn_damp_change).
 */
static enum cfn_damp_verdict cfn_damp_verdict(struct cfn_instance *ci,
					      struct cfn_service *service,
					      struct bgp_path_info *pi,
					      uint64_t *due, uint8_t *change)
{
	enum cfn_damp_verdict verdict = CFN_DAMP_SEND_NOW;
	struct cfn_attr sent, next;

	if (!cfn_advertised(ci, pi, &sent))
		return verdict;
	if (cfn_service_build_attr(service, &ci->model, sent.node_id,
				   sent.sequence, &next) == CFN_OK) {
		verdict = cfn_damp_decide(&ci->damping, &sent, &next,
					  service->damp.last_sent_ms,
					  cfn_now_ms(), due);
		*change = cfn_damp_change(&sent, &next);
		cfn_attr_free(&next);
	}
	cfn_attr_free(&sent);
	return verdict;
}

void cfn_originate_damped(struct cfn_instance *ci, struct cfn_service *service)
{
	enum cfn_damp_verdict verdict;
	struct bgp_path_info *pi;
	struct bgp_dest *dest;
	struct prefix p;
	uint64_t due = 0;
	uint8_t change = 0;

	if (!service->instances.count) {
		cfn_originate_service(ci, service);
		return;
	}
	dest = cfn_sid_dest(ci, service, &p, &pi);
	verdict = cfn_damp_verdict(ci, service, pi, &due, &change);
	service->damp.change = change;
	/* the local split follows every report, damped or not */
	cfn_dispatch_service(ci, service);
	switch (verdict) {
	case CFN_DAMP_SEND:
		if (!cfn_budget_allows(ci, change)) {
			cfn_wait(ci, service, cfn_now_ms());
			break;
		}
		/* fall through */
	case CFN_DAMP_SEND_NOW:
		cfn_send(ci, service, dest, pi);
		break;
	case CFN_DAMP_DELAY:
		cfn_wait(ci, service, due);
		break;
	case CFN_DAMP_SUPPRESS:
		ci->stats.damped++;
		cfn_wait_end(&service->damp);
		break;
	}
	bgp_dest_unlock_node(dest);
}

void cfn_originate_sweep(struct cfn_instance *ci, uint32_t stale_after_s)
{
	uint64_t now = cfn_now_ms();

	for (size_t i = 0; i < cfn_service_count(&ci->services); i++) {
		struct cfn_service *service = cfn_service_at(&ci->services, i);
		size_t expired = cfn_service_expire(service, now);
		size_t staled =
			cfn_service_update_stale(service, now, stale_after_s);

		if (expired || staled) {
			ci->stats.expired += expired;
			if (expired)
				zlog_info(
					"CFN: service %s: %zu instances removed after their hold time",
					service->name, expired);
			cfn_originate_service(ci, service);
		} else if (ci->damping.max_interval_s &&
			   service->instances.count &&
			   now - service->damp.last_sent_ms >=
				   (uint64_t)ci->damping.max_interval_s *
					   1000) {
			cfn_originate_damped(ci, service);
		}
	}
}

void cfn_originate_all(struct cfn_instance *ci)
{
	for (size_t i = 0; i < cfn_service_count(&ci->services); i++)
		cfn_originate_service(ci, cfn_service_at(&ci->services, i));
}
