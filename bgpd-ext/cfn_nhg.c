/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resilient nexthop groups through netlink (libmnl); see cfn_nhg.h.
 * Each SID with affinity gets a group and one member per (gateway,
 * interface), kept for as long as that next hop stays in the group so
 * that its buckets (and flows) stay put.
 */
#include <zebra.h>

#include <libmnl/libmnl.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>

#include "log.h"
#include "privs.h"
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
#define CFN_ROUTE_METRIC 10

extern struct zebra_privs_t bgpd_privs;

struct cfn_nhg {
	struct prefix sid;
	uint32_t group_id;
	size_t count;
	struct {
		struct prefix gateway;
		uint32_t ifindex;
		uint32_t id;
		uint8_t weight;
		bool retired; /* left the selection; kept for its flows */
	} members[CFN_NHG_MEMBERS_MAX];
};

static struct mnl_socket *nl;
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
	struct nlmsghdr *nlh = nh_header(
		buf, RTM_NEWNEXTHOP, NLM_F_CREATE | NLM_F_EXCL, gw->family);

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
	struct nlmsghdr *nlh =
		nh_header(buf, RTM_NEWNEXTHOP,
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
static int claim(int (*create)(uint32_t id, const void *arg),
		 const void *arg, uint32_t *id)
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

/* -- sweeping what a previous bgpd left ------------------------------ */

struct ours {
	uint32_t ids[4096];
	bool group[4096];
	size_t count;
};

static int collect_ours(const struct nlmsghdr *nlh, void *data)
{
	const struct nhmsg *nhm = mnl_nlmsg_get_payload(nlh);
	struct ours *ours = data;
	struct nlattr *attr;
	uint32_t id = 0;
	bool group = false;

	if (nhm->nh_protocol != CFN_RTPROT || ours->count == 4096)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*nhm))
	{
		if (mnl_attr_get_type(attr) == NHA_ID)
			id = mnl_attr_get_u32(attr);
		else if (mnl_attr_get_type(attr) == NHA_GROUP)
			group = true;
	}
	ours->group[ours->count] = group;
	ours->ids[ours->count++] = id;
	return MNL_CB_OK;
}

/* Groups first: deleting them also deletes the routes through them. */
static void sweep(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh =
		nh_header(buf, RTM_GETNEXTHOP, NLM_F_DUMP, AF_UNSPEC);
	static struct ours ours;

	ours.count = 0;
	if (nl_talk(nlh, collect_ours, &ours) < 0)
		return;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < ours.count; i++)
			if (ours.group[i] == (pass == 0))
				nh_delete(ours.ids[i]);
	if (ours.count)
		zlog_info("CFN: removed %zu nexthops left by a previous bgpd",
			  ours.count);
}

void cfn_nhg_init(void)
{
	groups = list_new();
	frr_with_privs (&bgpd_privs) {
		nl = mnl_socket_open(NETLINK_ROUTE);
		if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
			mnl_socket_close(nl);
			nl = NULL;
		}
	}
	if (!nl) {
		zlog_warn(
			"CFN: no netlink socket (%s): flow affinity unavailable, weighted ECMP instead",
			safe_strerror(errno));
		return;
	}
	sweep();
	/* known when the first group is made: a probe would leave zebra
	 * holding copies of its nexthops (see CFN_NHG_SPACE) */
	supported = true;
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

static bool member_id_used(const struct cfn_nhg *g, uint32_t id)
{
	for (size_t i = 0; i < g->count; i++)
		if (g->members[i].id == id)
			return true;
	return false;
}

/* The ID of the next hop's member in the old group; 0 if it had none. */
static uint32_t member_id(const struct cfn_nhg *old,
			  const struct cfn_nhg_member *m)
{
	for (size_t i = 0; old && i < old->count; i++)
		if (prefix_same(&old->members[i].gateway, &m->gateway) &&
		    old->members[i].ifindex == m->ifindex)
			return old->members[i].id;
	return 0;
}

static bool in_group(const struct cfn_nhg *g, const struct prefix *gw,
		     uint32_t ifindex)
{
	for (size_t i = 0; i < g->count; i++)
		if (prefix_same(&g->members[i].gateway, gw) &&
		    g->members[i].ifindex == ifindex)
			return true;
	return false;
}

/*
 * Next hops no longer selected stay in the group at weight 1 while any of
 * their buckets carried traffic within the idle timer: the kernel moves a
 * bucket of a removed member at once, so an active flow would move.
 */
static void keep_retiring(struct cfn_nhg *next, const struct cfn_nhg *old,
			  struct nexthop_grp *grp, uint32_t idle_timer_s)
{
	struct bucket_tally tally;
	bool tallied = old && tally_group(old, idle_timer_s, &tally);

	for (size_t i = 0; old && i < old->count; i++) {
		bool leaving_now = !old->members[i].retired;

		if (next->count == CFN_NHG_MEMBERS_MAX ||
		    in_group(next, &old->members[i].gateway,
			     old->members[i].ifindex) ||
		    (!leaving_now && tallied && !tally.busy[i]))
			continue;
		next->members[next->count] = old->members[i];
		next->members[next->count].weight = 1;
		next->members[next->count].retired = true;
		grp[next->count] = (struct nexthop_grp){
			.id = old->members[i].id, .weight = 0};
		next->count++;
	}
}

bool cfn_nhg_retiring(const struct prefix *sid)
{
	const struct cfn_nhg *g = nl ? find(sid) : NULL;

	for (size_t i = 0; g && i < g->count; i++)
		if (g->members[i].retired)
			return true;
	return false;
}

/* next's members: those old has for the same next hop, or new ones. */
static int make_members(struct cfn_nhg *next, const struct cfn_nhg *old,
			const struct cfn_nhg_member *members, size_t count,
			struct nexthop_grp *grp)
{
	int err = 0;

	for (size_t i = 0; !err && i < count && i < CFN_NHG_MEMBERS_MAX; i++) {
		uint32_t id = member_id(old, &members[i]);

		/* an existing member is left alone: its buckets stay put */
		if (!id)
			err = claim(nh_member, &members[i], &id);
		if (err)
			break;
		next->members[i].gateway = members[i].gateway;
		next->members[i].ifindex = members[i].ifindex;
		next->members[i].weight = members[i].weight;
		next->members[i].id = id;
		next->count = i + 1;
		grp[i] = (struct nexthop_grp){.id = id,
					      .weight = members[i].weight - 1};
	}
	return err;
}

/* Deletes the members of g that other has not. */
static void delete_members(const struct cfn_nhg *g, const struct cfn_nhg *other)
{
	for (size_t i = 0; i < g->count; i++)
		if (!other || !member_id_used(other, g->members[i].id))
			nh_delete(g->members[i].id);
}

/* The group: updated in place (buckets stay), or made. */
static int make_group(struct cfn_nhg *next, const struct cfn_nhg *old,
		      const struct nexthop_grp *grp, uint16_t buckets,
		      uint32_t idle_timer_s)
{
	struct group_request req = {grp, next->count, buckets, idle_timer_s,
				    old != NULL};
	int err;

	if (old) {
		next->group_id = old->group_id;
		return nh_group(old->group_id, &req);
	}
	err = claim(nh_group, &req, &next->group_id);
	if (err == -EINVAL || err == -EOPNOTSUPP) {
		supported = false;
		zlog_warn(
			"CFN: this kernel lacks resilient nexthop groups (%s): flow affinity falls back to weighted ECMP",
			safe_strerror(-err));
	}
	return err;
}

bool cfn_nhg_install(const struct prefix *sid,
		     const struct cfn_nhg_member *members, size_t count,
		     uint16_t buckets, uint32_t idle_timer_s)
{
	struct cfn_nhg *old = find(sid), next = {.sid = *sid};
	struct nexthop_grp grp[CFN_NHG_MEMBERS_MAX];
	int err;

	if (!supported || !count)
		return false;
	err = make_members(&next, old, members, count, grp);
	if (!err) {
		keep_retiring(&next, old, grp, idle_timer_s);
		err = make_group(&next, old, grp, buckets, idle_timer_s);
	}
	if (!err)
		err = route_via_group(sid, next.group_id);
	if (err) {
		zlog_warn("CFN: %pFX: resilient nexthop group: %s", sid,
			  safe_strerror(-err));
		if (!old && next.group_id)
			nh_delete(next.group_id);
		delete_members(&next, old);
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

static void destroy(struct cfn_nhg *g)
{
	/* the SID's route goes with its group */
	nh_delete(g->group_id);
	for (size_t i = 0; i < g->count; i++)
		nh_delete(g->members[i].id);
	listnode_delete(groups, g);
	XFREE(MTYPE_CFN_NHG, g);
}

void cfn_nhg_remove(const struct prefix *sid)
{
	struct cfn_nhg *g = nl ? find(sid) : NULL;

	if (g)
		destroy(g);
}

void cfn_nhg_fini(void)
{
	struct cfn_nhg *g;

	while (groups && (g = listnode_head(groups)))
		destroy(g);
	if (groups)
		list_delete(&groups);
	if (nl)
		mnl_socket_close(nl);
	nl = NULL;
}

bool cfn_nhg_distribution(const struct prefix *sid, uint32_t *group_id,
			  struct cfn_nhg_bucket_count *counts, size_t *count)
{
	const struct cfn_nhg *g = nl ? find(sid) : NULL;
	struct bucket_tally tally;

	if (!g || !tally_group(g, 0, &tally))
		return false;
	*group_id = g->group_id;
	*count = g->count;
	for (size_t i = 0; i < g->count; i++)
		counts[i] = (struct cfn_nhg_bucket_count){
			.gateway = g->members[i].gateway,
			.ifindex = g->members[i].ifindex,
			.weight = g->members[i].weight,
			.buckets = tally.counts[i],
		};
	return true;
}
