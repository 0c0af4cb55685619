/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resilient nexthop groups through netlink (libmnl); see cfn_nhg.h.
 * Each SID with affinity gets a group and one member per (gateway,
 * interface), kept for as long as that next hop stays in the group so
 * that its buckets (and flows) stay put.
 *
 * The kernel tracks bucket activity only in a group of two members or
 * more: with one, every bucket looks idle, and the first change after a
 * single-egress period would move every flow. A lone next hop therefore
 * gets a twin, a second nexthop object to the same gateway.
 */
#include <zebra.h>

#include <libmnl/libmnl.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>

#include "log.h"
#include "privs.h"
#include "cfn_frr_compat.h"
#include "zclient.h"

#include "cfn_module.h"
#include "cfn_nhg.h"

DEFINE_MTYPE_STATIC(CFN, CFN_NHG, "CFN resilient nexthop group");

/*
 * zebra learns every kernel nexthop. Those with IDs in the daemons' range
 * (from ZEBRA_NHG_PROTO_LOWER) it holds as a daemon's and re-installs when
 * they change or go, so the module takes its IDs below, from the top of
 * zebra's own range. zebra 8.4 still keeps a reference to the members of
 * a group it saw go and re-installs them when they are deleted: the
 * module never assumes an ID is free, it claims IDs by exclusive create.
 */
#define CFN_NHG_SPACE 0x100000u
#define CFN_NHG_BASE (ZEBRA_NHG_PROTO_LOWER - CFN_NHG_SPACE)
#define CFN_NHG_CLAIM_TRIES 256
/*
 * The SID's route goes into the local table: the kernel looks it up
 * before main (so it wins over zebra's route there), and zebra ignores
 * it, so zebra neither counts it as a user of the group nor "restores"
 * the group when the module changes or deletes it. Metric 10 keeps it
 * behind a local route of an egress that hosts the SID itself (0).
 */
#define CFN_ROUTE_TABLE RT_TABLE_LOCAL
/*
 * A previous bgpd's groups (it crashed, or was killed) keep forwarding
 * until this bgpd installs its selection over them, in place, so that
 * their buckets and flows stay; those it has not installed by then go.
 * Until then, their members stay while busy even if this bgpd has not
 * (yet) learnt that their egresses serve the SID.
 */
#define CFN_NHG_ADOPT_GRACE_S 60
#define CFN_ROUTE_METRIC 10

extern struct zebra_privs_t bgpd_privs;

struct cfn_nhg_slot {
	struct prefix gateway;
	uint32_t ifindex;
	uint32_t id;
	uint8_t weight;
	bool retired;	/* left the selection; kept for its flows */
	bool twin;	/* the second object of a lone next hop */
	bool inherited; /* a previous bgpd's: kept while BGP converges */
};

struct cfn_nhg {
	struct prefix sid;
	uint32_t group_id; /* 0: the kernel deleted it */
	bool incomplete;   /* a selected next hop could not be a member */
	bool suspect;	   /* an interface of a member changed: check */
	bool adopted;	   /* a previous bgpd's, not installed since */
	size_t count;
	struct cfn_nhg_slot members[CFN_NHG_MEMBERS_MAX];
};

static struct mnl_socket *nl;
static struct mnl_socket *monitor; /* link and address events */
static struct cfn_event_loop *nhg_master;
static struct cfn_event *t_monitor, *t_resync, *t_adopted;
static cfn_nhg_resync_fn resync_fn;
static unsigned int nl_seq;
static bool supported;
static uint32_t next_claim; /* offset in the ID space of the next try */
static struct list *groups;

/* Send one request and wait for its acknowledgement: 0 or -errno. */
static int nl_talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(nl);
	ssize_t ret = -1;

	/* a dump ends with NLMSG_DONE; anything else is acknowledged
	 * (NLM_F_DUMP shares a bit with NLM_F_REPLACE: compare it whole) */
	if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++nl_seq;
	frr_with_privs (&bgpd_privs) {
		ret = mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
	}
	if (ret < 0)
		return -errno;
	do {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)ret, nl_seq, portid, cb, data);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

static struct nlmsghdr *nh_header(char *buf, uint16_t type, uint16_t flags,
				  uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nhmsg *nhm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nhm = mnl_nlmsg_put_extra_header(nlh, sizeof(*nhm));
	nhm->nh_family = family;
	/* get and delete requests must leave the header's fields zero */
	if (type == RTM_NEWNEXTHOP)
		nhm->nh_protocol = CFN_RTPROT;
	return nlh;
}

static int nh_delete(uint32_t id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nh_header(buf, RTM_DELNEXTHOP, 0, AF_UNSPEC);

	mnl_attr_put_u32(nlh, NHA_ID, id);
	return nl_talk(nlh, NULL, NULL);
}

/* A new member at an unused ID (exclusive create). */
static int nh_member(uint32_t id, const void *arg)
{
	const struct cfn_nhg_member *m = arg;
	const struct prefix *gw = &m->gateway;
	uint32_t ifindex = m->ifindex;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nh_header(buf, RTM_NEWNEXTHOP,
					 NLM_F_CREATE | NLM_F_EXCL, gw->family);

	mnl_attr_put_u32(nlh, NHA_ID, id);
	mnl_attr_put_u32(nlh, NHA_OIF, ifindex);
	mnl_attr_put(nlh, NHA_GATEWAY, gw->family == AF_INET ? 4 : 16,
		     &gw->u.prefix);
	return nl_talk(nlh, NULL, NULL);
}

struct group_request {
	const struct nexthop_grp *grp;
	size_t n;
	uint16_t buckets;
	uint32_t idle_timer_s;
	bool replace; /* an update of the SID's group, else a new one */
};

static int nh_group(uint32_t id, const void *arg)
{
	const struct group_request *r = arg;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nh_header(
		buf, RTM_NEWNEXTHOP,
		NLM_F_CREATE | (r->replace ? NLM_F_REPLACE : NLM_F_EXCL),
		AF_UNSPEC);
	struct nlattr *res;

	mnl_attr_put_u32(nlh, NHA_ID, id);
	mnl_attr_put(nlh, NHA_GROUP, r->n * sizeof(*r->grp), r->grp);
	mnl_attr_put_u16(nlh, NHA_GROUP_TYPE, NEXTHOP_GRP_TYPE_RES);
	res = mnl_attr_nest_start(nlh, NHA_RES_GROUP);
	mnl_attr_put_u16(nlh, NHA_RES_GROUP_BUCKETS, r->buckets);
	/* clock_t, in USER_HZ (100) ticks */
	mnl_attr_put_u32(nlh, NHA_RES_GROUP_IDLE_TIMER, r->idle_timer_s * 100);
	mnl_attr_nest_end(nlh, res);
	return nl_talk(nlh, NULL, NULL);
}

/* Creates an object at the next ID nobody holds; *id: that ID, or 0. */
static int claim(int (*create)(uint32_t id, const void *arg), const void *arg,
		 uint32_t *id)
{
	int err = -EEXIST;

	for (int i = 0; err == -EEXIST && i < CFN_NHG_CLAIM_TRIES; i++) {
		*id = CFN_NHG_BASE + next_claim;
		next_claim = (next_claim + 1) % CFN_NHG_SPACE;
		err = create(*id, arg);
	}
	if (err)
		*id = 0;
	return err;
}

/* The SID's kernel route through the group. */
static int route_via_group(const struct prefix *sid, uint32_t group_id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = sid->family;
	rtm->rtm_dst_len = sid->prefixlen;
	rtm->rtm_table = CFN_ROUTE_TABLE;
	rtm->rtm_protocol = CFN_RTPROT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, sid->family == AF_INET ? 4 : 16,
		     &sid->u.prefix);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, CFN_ROUTE_METRIC);
	mnl_attr_put_u32(nlh, RTA_NH_ID, group_id);
	return nl_talk(nlh, NULL, NULL);
}

bool cfn_nhg_supported(void)
{
	return supported;
}

/* -- bucket distribution --------------------------------------------- */

struct bucket_tally {
	const struct cfn_nhg *g;
	uint64_t busy_ticks; /* a bucket idle less than this is busy */
	uint16_t counts[CFN_NHG_MEMBERS_MAX];
	bool busy[CFN_NHG_MEMBERS_MAX];
};

static int tally_bucket(const struct nlmsghdr *nlh, void *data)
{
	struct bucket_tally *tally = data;
	struct nlattr *attr, *inner;

	mnl_attr_for_each(attr, nlh, sizeof(struct nhmsg))
	{
		if (mnl_attr_get_type(attr) != NHA_RES_BUCKET)
			continue;
		uint64_t idle = UINT64_MAX;
		uint32_t nh_id = 0;

		mnl_attr_for_each_nested(inner, attr)
		{
			if (mnl_attr_get_type(inner) == NHA_RES_BUCKET_NH_ID)
				nh_id = mnl_attr_get_u32(inner);
			else if (mnl_attr_get_type(inner) ==
				 NHA_RES_BUCKET_IDLE_TIME)
				idle = mnl_attr_get_u64(inner);
		}
		for (size_t i = 0; i < tally->g->count; i++)
			if (tally->g->members[i].id == nh_id) {
				tally->counts[i]++;
				tally->busy[i] |= idle < tally->busy_ticks;
			}
	}
	return MNL_CB_OK;
}

/* Count the group's buckets per member, and which carried traffic lately. */
static bool tally_group(const struct cfn_nhg *g, uint32_t idle_timer_s,
			struct bucket_tally *tally)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh =
		nh_header(buf, RTM_GETNEXTHOPBUCKET, NLM_F_DUMP, AF_UNSPEC);

	memset(tally, 0, sizeof(*tally));
	tally->g = g;
	tally->busy_ticks = (uint64_t)idle_timer_s * 100; /* USER_HZ */
	mnl_attr_put_u32(nlh, NHA_ID, g->group_id);
	return nl_talk(nlh, tally_bucket, tally) == 0;
}

/* -- per-SID groups -------------------------------------------------- */

static struct cfn_nhg *find(const struct prefix *sid)
{
	struct listnode *node;
	struct cfn_nhg *g;

	for (ALL_LIST_ELEMENTS_RO(groups, node, g))
		if (prefix_same(&g->sid, sid))
			return g;
	return NULL;
}

static bool same_hop(const struct cfn_nhg_slot *slot,
		     const struct cfn_nhg_member *m)
{
	return slot->ifindex == m->ifindex &&
	       prefix_same(&slot->gateway, &m->gateway);
}

static bool hop_listed(const struct cfn_nhg_member *hops, size_t n,
		       const struct cfn_nhg_slot *slot)
{
	for (size_t i = 0; i < n; i++)
		if (same_hop(slot, &hops[i]))
			return true;
	return false;
}

/* The slot of g for the next hop (its twin, or not); NULL if none. */
static const struct cfn_nhg_slot *
slot_of(const struct cfn_nhg *g, const struct cfn_nhg_member *m, bool twin)
{
	for (size_t i = 0; g && i < g->count; i++)
		if (g->members[i].twin == twin && same_hop(&g->members[i], m))
			return &g->members[i];
	return NULL;
}

static bool id_used(const struct cfn_nhg *g, uint32_t id)
{
	for (size_t i = 0; i < g->count; i++)
		if (g->members[i].id == id)
			return true;
	return false;
}

/* Add a slot to next for the next hop: old's own if it has one (its
 * buckets stay put), else a new member; false if none can be made. */
static bool add_slot(struct cfn_nhg *next, const struct cfn_nhg *old,
		     const struct cfn_nhg_member *m, bool twin,
		     struct nexthop_grp *grp)
{
	const struct cfn_nhg_slot *had = slot_of(old, m, twin);
	uint32_t id = had ? had->id : 0;
	int err = id ? 0 : claim(nh_member, m, &id);

	if (err) {
		/* said once, not at every retry */
		if (!old || !old->incomplete)
			zlog_info(
				"CFN: %pFX: next hop %pFX: %s; left out for now",
				&next->sid, &m->gateway, safe_strerror(-err));
		return false;
	}
	next->members[next->count] = (struct cfn_nhg_slot){
		.gateway = m->gateway,
		.ifindex = m->ifindex,
		.id = id,
		.weight = m->weight,
		.twin = twin,
	};
	grp[next->count++] =
		(struct nexthop_grp){.id = id, .weight = m->weight - 1};
	return true;
}

/* next's members: the selected next hops, and the twin of a lone one. */
static void make_members(struct cfn_nhg *next, const struct cfn_nhg *old,
			 const struct cfn_nhg_request *req,
			 struct nexthop_grp *grp)
{
	for (size_t i = 0; i < req->count && i < CFN_NHG_MEMBERS_MAX; i++)
		if (!add_slot(next, old, &req->members[i], false, grp))
			next->incomplete = true;
	if (next->count == 1) {
		struct cfn_nhg_member lone = {next->members[0].gateway,
					      next->members[0].ifindex,
					      next->members[0].weight};

		add_slot(next, old, &lone, true, grp);
	}
}

/*
 * Members of old that leave: one whose egress still serves the SID stays
 * at weight 1 while any of its buckets carried traffic within the idle
 * timer (the kernel moves a removed member's buckets at once, so an
 * active flow would move); any other goes at once.
 */
static void keep_retiring(struct cfn_nhg *next, const struct cfn_nhg *old,
			  const struct cfn_nhg_request *req,
			  struct nexthop_grp *grp)
{
	struct bucket_tally tally;
	bool tallied = old && tally_group(old, req->idle_timer_s, &tally);

	for (size_t i = 0; old && i < old->count; i++) {
		const struct cfn_nhg_slot *s = &old->members[i];
		bool serving = s->inherited ||
			       hop_listed(req->serving, req->n_serving, s) ||
			       hop_listed(req->members, req->count, s);

		if (next->count == CFN_NHG_MEMBERS_MAX ||
		    id_used(next, s->id) || !serving ||
		    (s->retired && tallied && !tally.busy[i]))
			continue;
		next->members[next->count] = *s;
		next->members[next->count].weight = 1;
		next->members[next->count].retired = true;
		grp[next->count++] = (struct nexthop_grp){.id = s->id};
	}
}

/* Deletes the members of g that other has not. */
static void delete_members(const struct cfn_nhg *g, const struct cfn_nhg *other)
{
	for (size_t i = 0; i < g->count; i++)
		if (!other || !id_used(other, g->members[i].id))
			nh_delete(g->members[i].id);
}

/* The group: updated in place (buckets stay), or made. */
static int make_group(struct cfn_nhg *next, const struct cfn_nhg *old,
		      const struct nexthop_grp *grp,
		      const struct cfn_nhg_request *req)
{
	bool update = old && old->group_id;
	struct group_request greq = {grp, next->count, req->buckets,
				     req->idle_timer_s, update};
	int err;

	if (update) {
		next->group_id = old->group_id;
		return nh_group(old->group_id, &greq);
	}
	err = claim(nh_group, &greq, &next->group_id);
	if (err == -EOPNOTSUPP ||
	    (err == -EINVAL && !old && !next->incomplete)) {
		supported = false;
		zlog_warn(
			"CFN: this kernel lacks resilient nexthop groups (%s): flow affinity falls back to weighted ECMP",
			safe_strerror(-err));
	}
	return err;
}

/* One try at next from old; on error, what it made is undone. */
static int try_install(struct cfn_nhg *next, const struct cfn_nhg *old,
		       const struct cfn_nhg_request *req)
{
	struct nexthop_grp grp[CFN_NHG_MEMBERS_MAX];
	int err;

	make_members(next, old, req, grp);
	if (!next->count)
		return -ENETUNREACH;
	keep_retiring(next, old, req, grp);
	err = make_group(next, old, grp, req);
	if (!err)
		err = route_via_group(&next->sid, next->group_id);
	if (err) {
		if (next->group_id && !(old && old->group_id))
			nh_delete(next->group_id);
		delete_members(next, old);
	}
	return err;
}

struct nh_owner {
	bool ours;
};

static int read_owner(const struct nlmsghdr *nlh, void *data)
{
	const struct nhmsg *nhm = mnl_nlmsg_get_payload(nlh);

	((struct nh_owner *)data)->ours = nhm->nh_protocol == CFN_RTPROT;
	return MNL_CB_OK;
}

/* Is the kernel object ours? (zebra may have made one at a freed ID) */
static bool nh_alive(uint32_t id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nh_header(buf, RTM_GETNEXTHOP, 0, AF_UNSPEC);
	struct nh_owner owner = {false};

	mnl_attr_put_u32(nlh, NHA_ID, id);
	return nl_talk(nlh, read_owner, &owner) == 0 && owner.ours;
}

/*
 * Forget what the kernel deleted behind the module's back: members of an
 * interface that went down and, with its last member, the group and the
 * SID's route.
 */
static void forget_dead(struct cfn_nhg *g)
{
	size_t kept = 0;

	if (g->group_id && !nh_alive(g->group_id))
		g->group_id = 0;
	for (size_t i = 0; i < g->count; i++)
		if (nh_alive(g->members[i].id))
			g->members[kept++] = g->members[i];
	g->count = kept;
	g->suspect = false;
}

static void destroy(struct cfn_nhg *g)
{
	/* the SID's route goes with its group */
	if (g->group_id)
		nh_delete(g->group_id);
	for (size_t i = 0; i < g->count; i++)
		nh_delete(g->members[i].id);
	listnode_delete(groups, g);
	XFREE(MTYPE_CFN_NHG, g);
}

bool cfn_nhg_install(const struct prefix *sid,
		     const struct cfn_nhg_request *req)
{
	struct cfn_nhg *old = find(sid), next = {.sid = *sid};
	int err;

	if (!supported || !req->count)
		return false;
	if (old && old->suspect)
		forget_dead(old);
	err = try_install(&next, old, req);
	if (err && old) {
		/* the kernel may have deleted part of it since: once more */
		forget_dead(old);
		next = (struct cfn_nhg){.sid = *sid};
		err = try_install(&next, old, req);
	}
	if (err) {
		zlog_warn("CFN: %pFX: resilient nexthop group: %s", sid,
			  safe_strerror(-err));
		if (old)
			destroy(old);
		return false;
	}
	if (old)
		delete_members(old, &next);
	else {
		old = XCALLOC(MTYPE_CFN_NHG, sizeof(*old));
		listnode_add(groups, old);
	}
	*old = next;
	return true;
}

bool cfn_nhg_unsettled(const struct prefix *sid)
{
	const struct cfn_nhg *g = nl ? find(sid) : NULL;

	for (size_t i = 0; g && i < g->count; i++)
		if (g->members[i].retired)
			return true;
	return g && g->incomplete;
}

void cfn_nhg_remove(const struct prefix *sid)
{
	struct cfn_nhg *g = nl ? find(sid) : NULL;

	if (g)
		destroy(g);
}

/*
 * The end of a takeover: groups that no selection was installed over go,
 * and members of the previous bgpd's leave like any other from now on.
 */
static void end_takeover(struct cfn_event *t)
{
	struct listnode *node, *next;
	struct cfn_nhg *g;

	for (ALL_LIST_ELEMENTS(groups, node, next, g)) {
		if (g->adopted) {
			zlog_info(
				"CFN: %pFX: removed the group of a previous bgpd: no selection for it",
				&g->sid);
			destroy(g);
			continue;
		}
		for (size_t i = 0; i < g->count; i++)
			g->members[i].inherited = false;
	}
}

/* -- taking over what a previous bgpd left ----------------------------- */

struct kernel_nh {
	uint32_t id;
	bool is_group;
	bool kept; /* part of a group taken over */
	struct prefix gateway;
	uint32_t ifindex;
	size_t n_group;
	struct nexthop_grp group[CFN_NHG_MEMBERS_MAX];
};

struct kernel_route {
	struct prefix sid;
	uint32_t group_id;
};

struct kernel_state {
	struct kernel_nh *nhs; /* the module's nexthops, by ID once read */
	size_t n_nhs, cap_nhs;
	struct kernel_route *routes; /* the module's routes */
	size_t n_routes, cap_routes;
};

static void *grow(void *items, size_t size, size_t count, size_t *cap)
{
	if (count < *cap)
		return items;
	*cap = *cap ? 2 * *cap : 64;
	return XREALLOC(MTYPE_TMP, items, *cap * size);
}

static void read_gateway(const struct nlattr *attr, uint8_t family,
			 struct prefix *gw)
{
	size_t len = family == AF_INET ? 4 : 16;

	if (mnl_attr_get_payload_len(attr) != len)
		return;
	gw->family = family;
	gw->prefixlen = len * 8;
	memcpy(&gw->u.prefix, mnl_attr_get_payload(attr), len);
}

static int read_nexthop(const struct nlmsghdr *nlh, void *data)
{
	const struct nhmsg *nhm = mnl_nlmsg_get_payload(nlh);
	struct kernel_state *ks = data;
	struct kernel_nh *nh;
	struct nlattr *attr;

	if (nhm->nh_protocol != CFN_RTPROT)
		return MNL_CB_OK;
	ks->nhs = grow(ks->nhs, sizeof(*nh), ks->n_nhs, &ks->cap_nhs);
	nh = memset(&ks->nhs[ks->n_nhs++], 0, sizeof(*nh));
	mnl_attr_for_each(attr, nlh, sizeof(*nhm))
	{
		switch (mnl_attr_get_type(attr)) {
		case NHA_ID:
			nh->id = mnl_attr_get_u32(attr);
			break;
		case NHA_OIF:
			nh->ifindex = mnl_attr_get_u32(attr);
			break;
		case NHA_GATEWAY:
			read_gateway(attr, nhm->nh_family, &nh->gateway);
			break;
		case NHA_GROUP:
			nh->is_group = true;
			nh->n_group = MIN(mnl_attr_get_payload_len(attr) /
						  sizeof(*nh->group),
					  CFN_NHG_MEMBERS_MAX);
			memcpy(nh->group, mnl_attr_get_payload(attr),
			       nh->n_group * sizeof(*nh->group));
			break;
		}
	}
	return MNL_CB_OK;
}

static int read_route(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct kernel_state *ks = data;
	struct kernel_route *r;
	struct nlattr *attr;

	if (rtm->rtm_protocol != CFN_RTPROT ||
	    rtm->rtm_table != CFN_ROUTE_TABLE)
		return MNL_CB_OK;
	ks->routes =
		grow(ks->routes, sizeof(*r), ks->n_routes, &ks->cap_routes);
	r = memset(&ks->routes[ks->n_routes++], 0, sizeof(*r));
	r->sid.family = rtm->rtm_family;
	r->sid.prefixlen = rtm->rtm_dst_len;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm))
	{
		if (mnl_attr_get_type(attr) == RTA_NH_ID)
			r->group_id = mnl_attr_get_u32(attr);
		else if (mnl_attr_get_type(attr) == RTA_DST)
			memcpy(&r->sid.u.prefix, mnl_attr_get_payload(attr),
			       MIN(mnl_attr_get_payload_len(attr),
				   sizeof(r->sid.u.prefix6)));
	}
	return MNL_CB_OK;
}

static int nh_id_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct kernel_nh *)a)->id;
	uint32_t y = ((const struct kernel_nh *)b)->id;

	return x < y ? -1 : x > y;
}

static struct kernel_nh *kernel_nh_find(struct kernel_state *ks, uint32_t id)
{
	struct kernel_nh key = {.id = id};

	return bsearch(&key, ks->nhs, ks->n_nhs, sizeof(key), nh_id_cmp);
}

/* Read the module's nexthops and routes; false if netlink failed. */
static bool kernel_read(struct kernel_state *ks)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	nlh = nh_header(buf, RTM_GETNEXTHOP, NLM_F_DUMP, AF_UNSPEC);
	if (nl_talk(nlh, read_nexthop, ks) < 0)
		return false;
	if (ks->n_nhs)
		qsort(ks->nhs, ks->n_nhs, sizeof(*ks->nhs), nh_id_cmp);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_UNSPEC;
	return nl_talk(nlh, read_route, ks) == 0;
}

/* The group of a route of the module, as the SID's group; false if the
 * route does not go through a group of the module's. */
static bool adopt(struct kernel_state *ks, const struct kernel_route *r)
{
	struct kernel_nh *group = kernel_nh_find(ks, r->group_id);
	struct cfn_nhg *g;

	if (!group || !group->is_group || group->kept || find(&r->sid))
		return false;
	g = XCALLOC(MTYPE_CFN_NHG, sizeof(*g));
	g->sid = r->sid;
	g->group_id = group->id;
	g->adopted = true;
	group->kept = true;
	for (size_t i = 0; i < group->n_group; i++) {
		struct kernel_nh *nh = kernel_nh_find(ks, group->group[i].id);
		struct cfn_nhg_member hop;

		if (!nh || nh->is_group || nh->kept)
			continue;
		nh->kept = true;
		hop = (struct cfn_nhg_member){nh->gateway, nh->ifindex};
		g->members[g->count++] = (struct cfn_nhg_slot){
			.gateway = nh->gateway,
			.ifindex = nh->ifindex,
			.id = nh->id,
			.weight = group->group[i].weight + 1,
			.twin = slot_of(g, &hop, false) != NULL,
			.inherited = true,
		};
	}
	listnode_add(groups, g);
	return true;
}

/*
 * What a previous bgpd left: the groups its routes go through are taken
 * over; any other nexthop of the module is deleted, groups first (the
 * routes through them go with them).
 */
static void take_over(void)
{
	struct kernel_state ks = {};
	size_t adopted = 0, removed = 0;

	if (kernel_read(&ks)) {
		for (size_t i = 0; i < ks.n_routes; i++)
			adopted += adopt(&ks, &ks.routes[i]);
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < ks.n_nhs; i++)
				if (!ks.nhs[i].kept &&
				    ks.nhs[i].is_group == (pass == 0)) {
					nh_delete(ks.nhs[i].id);
					removed++;
				}
	}
	if (removed)
		zlog_info("CFN: removed %zu nexthops left by a previous bgpd",
			  removed);
	if (adopted) {
		zlog_info(
			"CFN: took over %zu resilient groups of a previous bgpd for %u s",
			adopted, CFN_NHG_ADOPT_GRACE_S);
		event_add_timer(nhg_master, end_takeover, NULL,
				CFN_NHG_ADOPT_GRACE_S, &t_adopted);
	}
	XFREE(MTYPE_TMP, ks.nhs);
	XFREE(MTYPE_TMP, ks.routes);
}

/* -- interface and address events ------------------------------------ */

static void resync(struct cfn_event *t)
{
	struct listnode *node, *next;
	struct cfn_nhg *g;

	for (ALL_LIST_ELEMENTS(groups, node, next, g)) {
		struct prefix sid = g->sid;

		if (!g->suspect && !g->incomplete)
			continue;
		forget_dead(g);
		resync_fn(&sid); /* may replace or remove g */
	}
}

/* Groups with a member on the interface (any, for 0), or lacking one. */
static void suspect_interface(uint32_t ifindex)
{
	struct listnode *node;
	struct cfn_nhg *g;
	bool any = false;

	for (ALL_LIST_ELEMENTS_RO(groups, node, g)) {
		for (size_t i = 0; i < g->count; i++)
			if (!ifindex || g->members[i].ifindex == ifindex)
				g->suspect = true;
		any |= g->suspect || g->incomplete;
	}
	if (any)
		event_add_timer_msec(nhg_master, resync, NULL, 10, &t_resync);
}

static int interface_event(const struct nlmsghdr *nlh, void *data)
{
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		suspect_interface(
			((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))
				->ifi_index);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		suspect_interface(
			((struct ifaddrmsg *)mnl_nlmsg_get_payload(nlh))
				->ifa_index);
		break;
	}
	return MNL_CB_OK;
}

static void monitor_read(struct cfn_event *t)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	while ((n = mnl_socket_recvfrom(monitor, buf, sizeof(buf))) > 0)
		mnl_cb_run(buf, (size_t)n, 0, 0, interface_event, NULL);
	if (n < 0 && errno == ENOBUFS)
		suspect_interface(0); /* events were lost: check everything */
	event_add_read(nhg_master, monitor_read, NULL,
		       mnl_socket_get_fd(monitor), &t_monitor);
}

/* A route netlink socket, subscribed to the (legacy) event groups. */
static struct mnl_socket *nl_open(unsigned int events, int flags)
{
	struct mnl_socket *sock = NULL;

	frr_with_privs (&bgpd_privs) {
		sock = mnl_socket_open2(NETLINK_ROUTE, flags);
		if (sock && mnl_socket_bind(sock, events, MNL_SOCKET_AUTOPID)) {
			mnl_socket_close(sock);
			sock = NULL;
		}
	}
	return sock;
}

static void monitor_open(void)
{
	unsigned int events =
		RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;

	monitor = nl_open(events, SOCK_NONBLOCK);
	if (!monitor) {
		zlog_warn(
			"CFN: no netlink monitor (%s): groups are checked every second only",
			safe_strerror(errno));
		return;
	}
	event_add_read(nhg_master, monitor_read, NULL,
		       mnl_socket_get_fd(monitor), &t_monitor);
}

void cfn_nhg_init(struct cfn_event_loop *master, cfn_nhg_resync_fn resync)
{
	nhg_master = master;
	resync_fn = resync;
	groups = list_new();
	nl = nl_open(0, 0);
	if (!nl) {
		zlog_warn(
			"CFN: no netlink socket (%s): flow affinity unavailable, weighted ECMP instead",
			safe_strerror(errno));
		return;
	}
	take_over();
	monitor_open();
	/* known when the first group is made: a probe would leave zebra
	 * holding copies of its nexthops (see CFN_NHG_SPACE) */
	supported = true;
}

void cfn_nhg_fini(void)
{
	struct cfn_nhg *g;

	EVENT_OFF(t_monitor);
	EVENT_OFF(t_resync);
	EVENT_OFF(t_adopted);
	while (groups && (g = listnode_head(groups)))
		destroy(g);
	if (groups)
		list_delete(&groups);
	if (monitor)
		mnl_socket_close(monitor);
	if (nl)
		mnl_socket_close(nl);
	monitor = nl = NULL;
}

/* The buckets of each next hop: a twin's count with its next hop's. */
bool cfn_nhg_distribution(const struct prefix *sid, uint32_t *group_id,
			  struct cfn_nhg_bucket_count *counts, size_t *count)
{
	const struct cfn_nhg *g = nl ? find(sid) : NULL;
	struct bucket_tally tally;

	if (!g || !g->group_id || !tally_group(g, 0, &tally))
		return false;
	*group_id = g->group_id;
	*count = 0;
	for (size_t i = 0; i < g->count; i++) {
		const struct cfn_nhg_slot *s = &g->members[i];
		size_t k = 0;

		while (k < *count &&
		       !(counts[k].ifindex == s->ifindex &&
			 prefix_same(&counts[k].gateway, &s->gateway)))
			k++;
		if (k == *count)
			counts[(*count)++] = (struct cfn_nhg_bucket_count){
				.gateway = s->gateway,
				.ifindex = s->ifindex,
			};
		counts[k].weight = MAX(counts[k].weight, s->weight);
		counts[k].buckets += tally.counts[i];
	}
	return true;
}
