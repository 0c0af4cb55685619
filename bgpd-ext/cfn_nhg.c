/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resilient nexthop groups through netlink (libmnl); see cfn_nhg.h.
 * Each SID with affinity gets a block of 32 nexthop IDs: the group, then
 * its members, one per (gateway, interface), kept for as long as that
 * next hop stays in the group so that its buckets (and flows) stay put.
 */
#include <zebra.h>

#include <libmnl/libmnl.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>

#include "log.h"
#include "privs.h"

#include "cfn_module.h"
#include "cfn_nhg.h"

DEFINE_MTYPE_STATIC(CFN, CFN_NHG, "CFN resilient nexthop group");

#define CFN_NHG_BASE 0x0cf00000u /* far above zebra's nexthop IDs */
#define CFN_NHG_BLOCK 32
#define CFN_ROUTE_METRIC 10 /* ahead of zebra's routes (20) */
#define CFN_NHG_PROBE (CFN_NHG_BASE - 2)

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

static int nh_member(uint32_t id, const struct prefix *gw, uint32_t ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nh_header(
		buf, RTM_NEWNEXTHOP, NLM_F_CREATE | NLM_F_REPLACE, gw->family);

	mnl_attr_put_u32(nlh, NHA_ID, id);
	mnl_attr_put_u32(nlh, NHA_OIF, ifindex);
	mnl_attr_put(nlh, NHA_GATEWAY, gw->family == AF_INET ? 4 : 16,
		     &gw->u.prefix);
	return nl_talk(nlh, NULL, NULL);
}

static int nh_group(uint32_t id, const struct nexthop_grp *grp, size_t n,
		    uint16_t buckets, uint32_t idle_timer_s)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nh_header(
		buf, RTM_NEWNEXTHOP, NLM_F_CREATE | NLM_F_REPLACE, AF_UNSPEC);
	struct nlattr *res;

	mnl_attr_put_u32(nlh, NHA_ID, id);
	mnl_attr_put(nlh, NHA_GROUP, n * sizeof(*grp), grp);
	mnl_attr_put_u16(nlh, NHA_GROUP_TYPE, NEXTHOP_GRP_TYPE_RES);
	res = mnl_attr_nest_start(nlh, NHA_RES_GROUP);
	mnl_attr_put_u16(nlh, NHA_RES_GROUP_BUCKETS, buckets);
	/* clock_t, in USER_HZ (100) ticks */
	mnl_attr_put_u32(nlh, NHA_RES_GROUP_IDLE_TIMER, idle_timer_s * 100);
	mnl_attr_nest_end(nlh, res);
	return nl_talk(nlh, NULL, NULL);
}

/* The SID's kernel route: through the group, or (group 0) deleted. */
static int route_via_group(const struct prefix *sid, uint32_t group_id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = group_id ? RTM_NEWROUTE : RTM_DELROUTE;
	nlh->nlmsg_flags =
		NLM_F_REQUEST | (group_id ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = sid->family;
	rtm->rtm_dst_len = sid->prefixlen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = CFN_RTPROT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, sid->family == AF_INET ? 4 : 16,
		     &sid->u.prefix);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, CFN_ROUTE_METRIC);
	if (group_id)
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

/* 0 when the kernel takes a resilient group, else -errno. */
static int probe(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nh_header(buf, RTM_NEWNEXTHOP, NLM_F_CREATE,
					 AF_INET); /* a blackhole has one */
	struct nexthop_grp member = {.id = CFN_NHG_PROBE};
	int err;

	mnl_attr_put_u32(nlh, NHA_ID, CFN_NHG_PROBE);
	mnl_attr_put(nlh, NHA_BLACKHOLE, 0, NULL);
	err = nl_talk(nlh, NULL, NULL);
	if (err)
		return err;
	err = nh_group(CFN_NHG_PROBE + 1, &member, 1, 8, 1);
	nh_delete(CFN_NHG_PROBE + 1);
	nh_delete(CFN_NHG_PROBE);
	return err;
}

void cfn_nhg_init(void)
{
	int err;

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
	err = probe();
	supported = err == 0;
	if (!supported)
		zlog_warn(
			"CFN: this kernel lacks resilient nexthop groups (%s): flow affinity falls back to weighted ECMP",
			safe_strerror(-err));
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

static uint32_t free_block(void)
{
	for (uint32_t block = 0;; block++) {
		uint32_t id = CFN_NHG_BASE + block * CFN_NHG_BLOCK;
		struct listnode *node;
		struct cfn_nhg *g;
		bool used = false;

		for (ALL_LIST_ELEMENTS_RO(groups, node, g))
			used |= g->group_id == id;
		if (!used)
			return id;
	}
}

static bool member_id_used(const struct cfn_nhg *g, uint32_t id)
{
	for (size_t i = 0; i < g->count; i++)
		if (g->members[i].id == id)
			return true;
	return false;
}

/* The member for a next hop: the one it already has, or a new ID. */
static uint32_t member_id(const struct cfn_nhg *g, const struct cfn_nhg *old,
			  const struct cfn_nhg_member *m)
{
	uint32_t id;

	for (size_t i = 0; old && i < old->count; i++)
		if (prefix_same(&old->members[i].gateway, &m->gateway) &&
		    old->members[i].ifindex == m->ifindex)
			return old->members[i].id;
	for (id = g->group_id + 1;; id++)
		if (!member_id_used(g, id) &&
		    (!old || !member_id_used(old, id)))
			return id;
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

bool cfn_nhg_install(const struct prefix *sid,
		     const struct cfn_nhg_member *members, size_t count,
		     uint16_t buckets, uint32_t idle_timer_s)
{
	struct cfn_nhg *old = find(sid), next = {};
	struct nexthop_grp grp[CFN_NHG_MEMBERS_MAX];
	int err = 0;

	if (!supported || !count)
		return false;
	next.sid = *sid;
	next.group_id = old ? old->group_id : free_block();
	for (size_t i = 0; i < count && i < CFN_NHG_MEMBERS_MAX; i++) {
		next.members[i].gateway = members[i].gateway;
		next.members[i].ifindex = members[i].ifindex;
		next.members[i].weight = members[i].weight;
		next.members[i].id = member_id(&next, old, &members[i]);
		next.count = i + 1;
		grp[i] = (struct nexthop_grp){.id = next.members[i].id,
					      .weight = members[i].weight - 1};
		/* an existing member is left alone: its buckets stay put */
		if (!old || !member_id_used(old, next.members[i].id))
			err = err
				      ?: nh_member(next.members[i].id,
						   &members[i].gateway,
						   members[i].ifindex);
	}
	keep_retiring(&next, old, grp, idle_timer_s);
	err = err
		      ?: nh_group(next.group_id, grp, next.count, buckets,
				  idle_timer_s);
	err = err ?: route_via_group(sid, next.group_id);
	if (err) {
		zlog_warn("CFN: %pFX: resilient nexthop group: %s", sid,
			  safe_strerror(-err));
		return false;
	}
	for (size_t i = 0; old && i < old->count; i++)
		if (!member_id_used(&next, old->members[i].id))
			nh_delete(old->members[i].id);
	if (!old) {
		old = XCALLOC(MTYPE_CFN_NHG, sizeof(*old));
		listnode_add(groups, old);
	}
	*old = next;
	return true;
}

static void destroy(struct cfn_nhg *g)
{
	/* explicitly: the kernel tells zebra of a deleted route, not of one
	 * that goes with its nexthop group */
	route_via_group(&g->sid, 0);
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
