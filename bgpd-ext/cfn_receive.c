/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every node: keep the per-service view current from the SID routes in
 * bgpd's RIB. bgpd calls the bgp_process hook on updates, withdrawals and
 * session loss, before the RIB entry settles; the prefix is queued and
 * re-read from the RIB once the current batch of work is done. Changes of
 * IGP cost arrive as zebra nexthop updates, which bgpd's zclient handles:
 * the module chains its own handler behind bgpd's to re-read every SID.
 */
#include <zebra.h>

#include "hash.h"
#include "jhash.h"
#include "cfn_frr_compat.h"
#include "zclient.h"

#include "nexthop.h"

#include "bgpd/bgpd.h"
#include "bgpd/bgp_attr.h"
#include "bgpd/bgp_nexthop.h"
#include "bgpd/bgp_route.h"
#include "bgpd/bgp_table.h"

#include "cfn_attr_bgp.h"
#include "cfn_debug.h"
#include "cfn_edgemeta_bgp.h"
#include "cfn_module.h"
#include "cfn_trust_bgp.h"

extern struct zclient *zclient; /* bgpd's, defined in bgp_zebra.c */


/* A prefix to re-read; "updated" when a BGP update touched it. */
struct cfn_pending {
	struct prefix prefix;
	bool updated;
};

static unsigned int cfn_pending_hash(const void *item)
{
	return prefix_hash_key(&((const struct cfn_pending *)item)->prefix);
}

static bool cfn_pending_equal(const void *a, const void *b)
{
	return prefix_same(&((const struct cfn_pending *)a)->prefix,
			   &((const struct cfn_pending *)b)->prefix);
}

static void *cfn_pending_alloc(void *key)
{
	struct cfn_pending *pending =
		XMALLOC(MTYPE_CFN_PENDING, sizeof(*pending));

	*pending = *(struct cfn_pending *)key;
	return pending;
}

static void cfn_pending_free(void *item)
{
	XFREE(MTYPE_CFN_PENDING, item);
}

/* Rate-limited: one line per reason every 10 s, with what was skipped. */
static void cfn_log_decode_error(const struct bgp_path_info *pi,
				 const struct prefix *p,
				 enum cfn_decode_error error)
{
	static time_t last[CFN_DECODE_ERROR_COUNT];
	static unsigned int suppressed[CFN_DECODE_ERROR_COUNT];
	time_t now = monotime(NULL);

	if (last[error] && now - last[error] < 10) {
		suppressed[error]++;
		return;
	}
	zlog_warn(
		"CFN: %pFX from %s: malformed CFN attribute (%s), path kept without CFN data%s",
		p, pi->peer->host, cfn_decode_error_name(error),
		suppressed[error] ? " (more suppressed)" : "");
	last[error] = now;
	suppressed[error] = 0;
}

/* The interface of a directly connected peer, as bgpd installs it. */
static ifindex_t cfn_peer_ifindex(const struct peer *peer)
{
	if (peer->conf_if)
		return peer->ifp ? peer->ifp->ifindex : IFINDEX_INTERNAL;
	if (peer->ifname)
		return ifname2ifindex(peer->ifname, peer->bgp->vrf_id);
	return peer->nexthop.ifp ? peer->nexthop.ifp->ifindex
				 : IFINDEX_INTERNAL;
}

/*
 * A path whose tracked next hop is IPv6 link-local (a directly connected
 * peer sent one): zebra resolves such an address on the first interface
 * whose fe80::/64 matches, not necessarily the peer's, so the one hop is
 * the link-local address on the peer's interface, as bgpd installs it.
 */
static bool cfn_link_local_hop(const struct bgp_path_info *pi,
			       struct cfn_egress *candidate)
{
	const struct prefix *tracked = &pi->nexthop->prefix;
	struct cfn_hop hop;
	ifindex_t ifindex;

	if (tracked->family != AF_INET6 ||
	    !IN6_IS_ADDR_LINKLOCAL(&tracked->u.prefix6))
		return false;
	ifindex = cfn_peer_ifindex(pi->peer);
	if (ifindex != IFINDEX_INTERNAL) {
		cfn_prefix_from_frr(tracked, &hop.gateway);
		hop.ifindex = (uint32_t)ifindex;
		cfn_egress_set_hops(candidate, &hop, 1);
	}
	return true;
}

/*
 * How the IGP reaches the BGP next hop, from bgpd's nexthop tracking.
 * Out of memory, the candidate has no hops: the FIB then leaves it out.
 */
static void cfn_candidate_hops(const struct bgp_path_info *pi,
			       const struct prefix *bgp_nexthop,
			       struct cfn_egress *candidate)
{
	struct cfn_hop hops[CFN_HOPS_MAX];
	const struct nexthop *nh;
	size_t n = 0;

	if (!pi->nexthop || cfn_link_local_hop(pi, candidate))
		return;
	for (nh = pi->nexthop->nexthop; nh && n < CFN_HOPS_MAX; nh = nh->next) {
		struct cfn_hop *hop = &hops[n];
		struct prefix gw = {.family = bgp_nexthop->family,
				    .prefixlen = bgp_nexthop->prefixlen};

		switch (nh->type) {
		case NEXTHOP_TYPE_IPV4:
		case NEXTHOP_TYPE_IPV4_IFINDEX:
			gw.u.prefix4 = nh->gate.ipv4;
			break;
		case NEXTHOP_TYPE_IPV6:
		case NEXTHOP_TYPE_IPV6_IFINDEX:
			gw.u.prefix6 = nh->gate.ipv6;
			break;
		case NEXTHOP_TYPE_IFINDEX: /* the BGP next hop is on-link */
			gw = *bgp_nexthop;
			break;
		case NEXTHOP_TYPE_BLACKHOLE:
			continue;
		}
		if (gw.family != bgp_nexthop->family || !nh->ifindex)
			continue;
		cfn_prefix_from_frr(&gw, &hop->gateway);
		hop->ifindex = (uint32_t)nh->ifindex;
		n++;
	}
	cfn_egress_set_hops(candidate, hops, n);
}

static void cfn_candidate_path(struct bgp *bgp, const struct bgp_path_info *pi,
			       afi_t afi, struct cfn_egress *candidate)
{
	const struct attr *attr = pi->attr;
	struct prefix nexthop = {.family = afi == AFI_IP ? AF_INET : AF_INET6};

	if (afi == AFI_IP) {
		nexthop.prefixlen = IPV4_MAX_BITLEN;
		nexthop.u.prefix4 =
			attr->mp_nexthop_len == BGP_ATTR_NHLEN_IPV4 ||
					!attr->mp_nexthop_len
				? attr->nexthop
				: attr->mp_nexthop_global_in;
	} else {
		nexthop.prefixlen = IPV6_MAX_BITLEN;
		nexthop.u.prefix6 = attr->mp_nexthop_global;
	}
	if (pi->peer == bgp->peer_self)
		memset(&nexthop.u, 0, sizeof(nexthop.u)); /* ourselves */
	cfn_prefix_from_frr(&nexthop, &candidate->nexthop);
	candidate->igp_metric = pi->nexthop ? pi->nexthop->metric : 0;
	candidate->reachable = CHECK_FLAG(pi->flags, BGP_PATH_VALID) &&
			       (!pi->nexthop || CHECK_FLAG(pi->nexthop->flags,
							   BGP_NEXTHOP_VALID));
	cfn_candidate_hops(pi, &nexthop, candidate);
	strlcpy(candidate->source,
		pi->peer == bgp->peer_self ? "local" : pi->peer->host,
		sizeof(candidate->source));
}

/*
 * The CFN data of a path: its CFN attribute, else the Edge Metadata its
 * peer sent with it (an egress without instances, named by the peer's
 * BGP identifier). updated: counted and logged.
 */
static bool cfn_path_data(struct cfn_instance *ci,
			  const struct bgp_path_info *pi,
			  const struct prefix *p, bool updated,
			  struct cfn_attr *attr)
{
	enum cfn_decode_error error;
	struct cfn_edgemeta meta;
	const uint8_t *value;
	size_t len;

	value = cfn_transit_find(pi->attr, ci->attr_type, &len);
	if (!value) {
		if (!cfn_edgemeta_find(pi->peer, p, &meta))
			return false;
		cfn_edgemeta_to_attr(&meta, ntohl(pi->peer->remote_id.s_addr),
				     attr);
	} else if ((error = cfn_attr_decode(value, len, attr))) {
		if (updated) {
			ci->stats.decode_errors[error]++;
			cfn_log_decode_error(pi, p, error);
		}
		return false;
	}
	if (updated) {
		ci->stats.paths_decoded++;
		CFN_DEBUG(
			updates,
			"%pFX from %s: decoded egress %pI4 seq %u, %u instances, L2 %u%s",
			p, pi->peer->host,
			&(struct in_addr){.s_addr = htonl(attr->node_id)},
			attr->sequence, attr->n_instances, attr->scores.l2,
			value ? "" : " (Edge Metadata)");
	}
	return true;
}

/* The CFN data of the paths of one RIB entry, as view candidates. */
static size_t cfn_collect(struct cfn_instance *ci, struct bgp_dest *dest,
			  const struct cfn_prefix *sid, afi_t afi, bool updated,
			  struct cfn_egress **out)
{
	const struct prefix *p = bgp_dest_get_prefix(dest);
	struct cfn_egress *candidates = NULL;
	struct bgp_path_info *pi;
	size_t count = 0, capacity = 0;

	for (pi = bgp_dest_get_bgp_path_info(dest); pi; pi = pi->next) {
		struct cfn_attr attr;

		if (CHECK_FLAG(pi->flags, BGP_PATH_REMOVED) ||
		    !cfn_path_data(ci, pi, p, updated, &attr))
			continue;
		if (count == capacity) {
			capacity = capacity ? capacity * 2 : 4;
			candidates = XREALLOC(MTYPE_CFN_PENDING, candidates,
					      capacity * sizeof(*candidates));
		}
		memset(&candidates[count], 0, sizeof(*candidates));
		candidates[count].node_id = attr.node_id;
		candidates[count].attr = attr;
		if (!cfn_trust_admit(pi->peer, &ci->view, sid, updated,
				     &candidates[count])) {
			cfn_attr_free(&candidates[count].attr);
			continue;
		}
		cfn_candidate_path(ci->bgp, pi, afi, &candidates[count]);
		count++;
	}
	*out = candidates;
	return count;
}

static void cfn_reread(struct cfn_instance *ci,
		       const struct cfn_pending *pending)
{
	afi_t afi = family2afi(pending->prefix.family);
	struct cfn_egress *candidates = NULL;
	struct cfn_sid_view *sv;
	struct cfn_prefix sid;
	struct bgp_dest *dest;
	unsigned int changes;
	size_t count = 0;

	if (!cfn_prefix_from_frr(&pending->prefix, &sid))
		return;
	dest = bgp_node_lookup(ci->bgp->rib[afi][SAFI_UNICAST],
			       &pending->prefix);
	if (dest) {
		count = cfn_collect(ci, dest, &sid, afi, pending->updated,
				    &candidates);
		bgp_dest_unlock_node(dest);
	}
	if (!count && !cfn_view_find(&ci->view, &sid))
		return; /* an ordinary route */
	ci->stats.sid_updates++;
	cfn_view_update(&ci->view, &sid, candidates, count, cfn_now_ms(),
			&changes);
	cfn_trust_count_damped(ci->bgp, candidates, count);
	XFREE(MTYPE_CFN_PENDING, candidates);
	sv = cfn_view_find(&ci->view, &sid);
	if (sv)
		cfn_fib_select(ci, sv, changes & CFN_VIEW_PATH);
	else if (changes)
		cfn_fib_view_gone(ci, &sid);
	if (changes) {
		ci->stats.view_changes++;
		cfn_instance_sid_changed(ci, &sid);
		CFN_DEBUG(updates, "%pFX: view changed (%s%s%s), %zu egresses",
			  &pending->prefix,
			  changes & CFN_VIEW_EGRESSES ? "egresses " : "",
			  changes & CFN_VIEW_DATA ? "data " : "",
			  changes & CFN_VIEW_PATH ? "path" : "", count);
	}
}

/*
 * Rereads run in slices of this many milliseconds: under a stream of
 * UPDATEs the pending SIDs could keep bgpd's event loop for hundreds of
 * milliseconds at a time, delaying the API reports and this node's own
 * UPDATEs behind them.
 */
#define CFN_REREAD_SLICE_MS 10

static int cfn_round_add(struct hash_bucket *bucket, void *arg)
{
	struct cfn_instance *ci = arg;

	ci->round[ci->round_len++] = *(struct cfn_pending *)bucket->data;
	return HASHWALK_CONTINUE;
}

/*
 * The SIDs pending now, in a round of their own: SIDs enqueued while a
 * round runs wait for the next one, so none waits behind newer ones.
 */
static void cfn_round_start(struct cfn_instance *ci)
{
	ci->round =
		XREALLOC(MTYPE_CFN_PENDING, ci->round,
			 MAX(hashcount(ci->pending), 1) * sizeof(*ci->round));
	ci->round_len = ci->round_next = 0;
	hash_walk(ci->pending, cfn_round_add, ci);
	hash_clean(ci->pending, cfn_pending_free);
}

static void cfn_process_pending(struct cfn_event *t)
{
	struct cfn_instance *ci = EVENT_ARG(t);
	uint64_t until = cfn_now_ms() + CFN_REREAD_SLICE_MS;

	if (ci->round_next == ci->round_len)
		cfn_round_start(ci);
	while (ci->round_next < ci->round_len) {
		cfn_reread(ci, &ci->round[ci->round_next++]);
		if (cfn_now_ms() >= until)
			break;
	}
	if (ci->round_next < ci->round_len || hashcount(ci->pending))
		event_add_event(bm->master, cfn_process_pending, ci, 0,
				&ci->t_pending);
}

void cfn_receive_enqueue(struct cfn_instance *ci, const struct prefix *p,
			 bool updated)
{
	struct cfn_pending key = {.updated = updated};
	struct cfn_pending *pending;

	if (!ci->pending)
		ci->pending = hash_create(cfn_pending_hash, cfn_pending_equal,
					  "CFN pending prefixes");
	prefix_copy(&key.prefix, p);
	pending = hash_get(ci->pending, &key, cfn_pending_alloc);
	pending->updated |= updated;
	event_add_event(bm->master, cfn_process_pending, ci, 0, &ci->t_pending);
}

static int cfn_bgp_process(struct bgp *bgp, afi_t afi, safi_t safi,
			   struct bgp_dest *dest, struct peer *peer,
			   bool withdraw)
{
	if (safi != SAFI_UNICAST || (afi != AFI_IP && afi != AFI_IP6))
		return 0;
	cfn_receive_enqueue(cfn_instance_get(bgp, true),
			    bgp_dest_get_prefix(dest), true);
	return 0;
}

static void cfn_enqueue_view(struct cfn_instance *ci, void *arg)
{
	for (size_t i = 0; i < ci->view.sids.count; i++) {
		const struct cfn_sid_view *sv = ci->view.sids.items[i];
		struct prefix p;

		cfn_prefix_to_frr(&sv->sid, &p);
		cfn_receive_enqueue(ci, &p, false);
	}
}

/* IGP cost or reachability of some next hop changed: re-read all SIDs. */
static void cfn_nexthops_changed(void)
{
	cfn_instance_foreach(cfn_enqueue_view, NULL);
}

/* Re-read the whole unicast RIB, e.g. after the attribute type changed. */
void cfn_receive_rescan(struct cfn_instance *ci)
{
	for (afi_t afi = AFI_IP; afi <= AFI_IP6; afi++) {
		struct bgp_dest *dest;

		for (dest = bgp_table_top(ci->bgp->rib[afi][SAFI_UNICAST]);
		     dest; dest = bgp_route_next(dest))
			if (bgp_dest_has_bgp_path_info_data(dest))
				cfn_receive_enqueue(
					ci, bgp_dest_get_prefix(dest), false);
	}
	cfn_enqueue_view(ci, NULL);
}

void cfn_receive_instance_fini(struct cfn_instance *ci)
{
	EVENT_OFF(ci->t_pending);
	XFREE(MTYPE_CFN_PENDING, ci->round);
	ci->round_len = ci->round_next = 0;
	if (ci->pending) {
		hash_clean(ci->pending, cfn_pending_free);
		hash_free(ci->pending);
		ci->pending = NULL;
	}
}

void cfn_receive_init(void)
{
	hook_register(bgp_process, cfn_bgp_process);
	if (!cfn_nht_follow(zclient, cfn_nexthops_changed, MTYPE_CFN_PENDING))
		zlog_warn(
			"CFN: cannot follow IGP cost changes: bgpd's zebra client has no nexthop handler");
}

void cfn_receive_fini(void)
{
	hook_unregister(bgp_process, cfn_bgp_process);
	cfn_nht_unfollow(zclient, MTYPE_CFN_PENDING);
}
