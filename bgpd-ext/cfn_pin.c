/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Connection pinning through conntrack marks; see cfn_pin.h. */
#include <zebra.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/rtnetlink.h>
#include <nftables/libnftables.h>

#include "log.h"
#include "privs.h"

#include "cfn_module.h"
#include "cfn_nhg.h"
#include "cfn_pin.h"

/*
 * The marks of the pins, which are also the IDs of their tables: a range
 * of their own, so that the prerouting rule copies no other mark.
 */
#define CFN_PIN_MARK_BASE 0x0cf00000u
#define CFN_PIN_MARK_MASK 0xfff00000u
#define CFN_PINS_MAX 256

DEFINE_MTYPE_STATIC(CFN, CFN_PIN, "CFN nftables script");

extern struct zebra_privs_t bgpd_privs;

struct cfn_pin {
	struct cfn_pin_hop hop;
	bool used;
};

static struct cfn_pin pins[CFN_PINS_MAX];
static struct nft_ctx *nft;
static struct mnl_socket *ct; /* conntrack, to count pinned connections */

static uint32_t pin_mark(size_t index)
{
	return CFN_PIN_MARK_BASE + 1 + (uint32_t)index;
}

static const uint8_t families[] = {AF_INET, AF_INET6};

/* A rule of the module: fwmark (if any) -> table. */
static int rule_talk(uint16_t type, uint8_t family, uint32_t pref,
		     uint32_t fwmark, uint32_t table)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags =
		NLM_F_REQUEST |
		(type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = family;
	frh->action = FR_ACT_TO_TBL;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, pref);
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, CFN_RTPROT);
	if (fwmark) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, fwmark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, UINT32_MAX);
	}
	return cfn_nhg_talk(nlh);
}

/* The pin's table: its default route is its next hop. */
static int pin_route(uint16_t type, const struct cfn_pin_hop *hop,
		     uint32_t table)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	uint8_t family = hop->gateway.family;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags =
		NLM_F_REQUEST |
		(type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	rtm->rtm_protocol = CFN_RTPROT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	mnl_attr_put(nlh, RTA_GATEWAY, family == AF_INET ? 4 : 16,
		     &hop->gateway.u.prefix);
	mnl_attr_put_u32(nlh, RTA_OIF, hop->ifindex);
	return cfn_nhg_talk(nlh);
}

static void pin_add(size_t i)
{
	uint32_t mark = pin_mark(i);
	int err = pin_route(RTM_NEWROUTE, &pins[i].hop, mark);

	if (!err)
		err = rule_talk(RTM_NEWRULE, pins[i].hop.gateway.family,
				CFN_RULE_PREF_PIN, mark, mark);
	if (err && err != -EEXIST)
		zlog_warn("CFN: pin of next hop %pFX: %s", &pins[i].hop.gateway,
			  safe_strerror(-err));
}

static void pin_delete(size_t i)
{
	uint32_t mark = pin_mark(i);

	rule_talk(RTM_DELRULE, pins[i].hop.gateway.family, CFN_RULE_PREF_PIN,
		  mark, mark);
	pin_route(RTM_DELROUTE, &pins[i].hop, mark);
	pins[i].used = false;
}

static bool same_pin_hop(const struct cfn_pin_hop *a,
			 const struct cfn_pin_hop *b)
{
	return a->ifindex == b->ifindex &&
	       prefix_same(&a->gateway, &b->gateway);
}

/* The hop's pin, made if new; -1 if every pin is taken. */
static ssize_t pin_of(const struct cfn_pin_hop *hop)
{
	ssize_t free_slot = -1;

	for (size_t i = 0; i < CFN_PINS_MAX; i++) {
		if (pins[i].used && same_pin_hop(&pins[i].hop, hop))
			return (ssize_t)i;
		if (!pins[i].used && free_slot < 0)
			free_slot = (ssize_t)i;
	}
	if (free_slot >= 0) {
		pins[free_slot] = (struct cfn_pin){.hop = *hop, .used = true};
		pin_add((size_t)free_slot);
	}
	return free_slot;
}

/* -- nftables ---------------------------------------------------------- */

struct script {
	char *text;
	size_t len, size;
};

/* The table last applied: a sync that would change nothing is skipped. */
static struct script applied;

static void say(struct script *s, const char *fmt, ...) PRINTFRR(2, 3);
static void say(struct script *s, const char *fmt, ...)
{
	va_list ap;
	char *piece;
	size_t n;

	va_start(ap, fmt);
	piece = vasprintfrr(MTYPE_TMP, fmt, ap);
	va_end(ap);
	n = strlen(piece);
	if (s->len + n + 1 > s->size) {
		s->size = MAX(2 * s->size, s->len + n + 1);
		s->text = XREALLOC(MTYPE_CFN_PIN, s->text, s->size);
	}
	memcpy(s->text + s->len, piece, n + 1);
	s->len += n;
	XFREE(MTYPE_TMP, piece);
}

static void say_sids(struct script *s, const char *name, uint8_t family,
		     const struct prefix *sids, size_t n)
{
	const char *sep = " elements = { ";

	say(s, "set %s { type %s; flags interval;", name,
	    family == AF_INET ? "ipv4_addr" : "ipv6_addr");
	for (size_t i = 0; i < n; i++)
		if (sids[i].family == family) {
			say(s, "%s%pFX", sep, &sids[i]);
			sep = ", ";
		}
	say(s, "%s }\n", *sep == ',' ? " }" : "");
}

static void say_hops(struct script *s, const char *name, uint8_t family)
{
	const char *sep = " elements = { ";

	say(s, "map %s { type %s : mark;", name,
	    family == AF_INET ? "ipv4_addr" : "ipv6_addr");
	for (size_t i = 0; i < CFN_PINS_MAX; i++)
		if (pins[i].used && pins[i].hop.gateway.family == family) {
			say(s, "%s%pFXh : 0x%x", sep, &pins[i].hop.gateway,
			    pin_mark(i));
			sep = ", ";
		}
	say(s, "%s }\n", *sep == ',' ? " }" : "");
}

static bool nft_run(const char *script)
{
	int err = -1;

	frr_with_privs (&bgpd_privs) {
		err = nft_run_cmd_from_buffer(nft, script);
	}
	if (err)
		zlog_warn("CFN: nftables table inet cfn: %s",
			  nft_ctx_get_error_buffer(nft));
	return err == 0;
}

/*
 * The whole table, replaced in one transaction. A new connection's mark
 * is its next hop once routed (postrouting); later packets of the
 * connection carry the mark to the routing decision (prerouting).
 */
static bool nft_apply(const struct prefix *sids, size_t n_sids)
{
	struct script s = {};

	say(&s, "table inet cfn {}\ndelete table inet cfn\n");
	if (n_sids) {
		say(&s, "table inet cfn {\n");
		say_sids(&s, "sids4", AF_INET, sids, n_sids);
		say_sids(&s, "sids6", AF_INET6, sids, n_sids);
		say_hops(&s, "hops4", AF_INET);
		say_hops(&s, "hops6", AF_INET6);
		say(&s,
		    "chain pin { type filter hook postrouting priority mangle;\n"
		    "ct state new ip daddr @sids4 ct mark set rt ip nexthop map @hops4\n"
		    "ct state new ip6 daddr @sids6 ct mark set rt ip6 nexthop map @hops6\n}\n"
		    "chain follow { type filter hook prerouting priority mangle;\n"
		    "ct direction original ip daddr @sids4 ct mark and 0x%x == 0x%x meta mark set ct mark\n"
		    "ct direction original ip6 daddr @sids6 ct mark and 0x%x == 0x%x meta mark set ct mark\n}\n"
		    "}\n",
		    CFN_PIN_MARK_MASK, CFN_PIN_MARK_BASE, CFN_PIN_MARK_MASK,
		    CFN_PIN_MARK_BASE);
	}
	if (applied.text && !strcmp(applied.text, s.text)) {
		XFREE(MTYPE_CFN_PIN, s.text);
		return true;
	}
	XFREE(MTYPE_CFN_PIN, applied.text);
	applied = s;
	if (nft_run(s.text))
		return true;
	XFREE(MTYPE_CFN_PIN, applied.text); /* try again at the next sync */
	return false;
}

/* -- pinned connections -------------------------------------------------- */

struct ct_count {
	const struct prefix *sid;
	long count;
};

/* The original destination of a conntrack entry, into dst. */
static bool ct_destination(const struct nlattr *entry, uint8_t family,
			   struct prefix *dst)
{
	const struct nlattr *tuple, *ip;
	uint16_t want = family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST;
	size_t len = family == AF_INET ? 4 : 16;

	mnl_attr_for_each_nested(tuple, entry)
	{
		if (mnl_attr_get_type(tuple) != CTA_TUPLE_IP)
			continue;
		mnl_attr_for_each_nested(ip, tuple)
		{
			if (mnl_attr_get_type(ip) != want ||
			    mnl_attr_get_payload_len(ip) != len)
				continue;
			dst->family = family;
			dst->prefixlen = len * 8;
			memcpy(&dst->u.prefix, mnl_attr_get_payload(ip), len);
			return true;
		}
	}
	return false;
}

static int ct_count_entry(const struct nlmsghdr *nlh, void *data)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct ct_count *c = data;
	struct nlattr *attr;
	struct prefix dst;

	mnl_attr_for_each(attr, nlh, sizeof(*nfg))
	{
		if (mnl_attr_get_type(attr) == CTA_TUPLE_ORIG &&
		    ct_destination(attr, nfg->nfgen_family, &dst) &&
		    prefix_match(c->sid, &dst))
			c->count++;
	}
	return MNL_CB_OK;
}

long cfn_pin_connections(const struct prefix *sid,
			 const struct cfn_pin_hop *hop)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct ct_count c = {sid, 0};
	ssize_t pin = -1;

	for (size_t i = 0; pin < 0 && i < CFN_PINS_MAX; i++)
		if (pins[i].used && same_pin_hop(&pins[i].hop, hop))
			pin = (ssize_t)i;
	if (!ct || pin < 0)
		return -1;
	/* the kernel filters the dump by mark */
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = sid->family;
	nfg->version = NFNETLINK_V0;
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(pin_mark((size_t)pin)));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(UINT32_MAX));
	return cfn_nl_talk(ct, nlh, ct_count_entry, &c) ? -1 : c.count;
}

void cfn_pin_adopt(uint32_t table, const struct cfn_pin_hop *hop)
{
	uint32_t index = table - pin_mark(0);

	if (table >= pin_mark(0) && index < CFN_PINS_MAX && !pins[index].used)
		pins[index] = (struct cfn_pin){.hop = *hop, .used = true};
}

bool cfn_pin_active(void)
{
	return nft != NULL;
}

void cfn_pin_sync(const struct prefix *sids, size_t n_sids,
		  const struct cfn_pin_hop *hops, size_t n_hops)
{
	bool seen[CFN_PINS_MAX] = {};

	if (!nft)
		return;
	for (size_t i = 0; i < n_hops; i++) {
		ssize_t pin = pin_of(&hops[i]);

		if (pin >= 0)
			seen[pin] = true;
	}
	for (size_t i = 0; i < CFN_PINS_MAX; i++)
		if (pins[i].used && !seen[i])
			pin_delete(i);
	nft_apply(sids, n_sids);
}

void cfn_pin_init(void)
{
	for (size_t f = 0; f < array_size(families); f++) {
		int err = rule_talk(RTM_NEWRULE, families[f],
				    CFN_RULE_PREF_GROUP, 0, CFN_GROUP_TABLE);

		if (err && err != -EEXIST)
			zlog_warn("CFN: rule to the group table: %s",
				  safe_strerror(-err));
	}
	ct = cfn_nl_open(NETLINK_NETFILTER, 0, 0);
	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (nft)
		nft_ctx_buffer_error(nft);
	/* a previous bgpd's table stays until the first sync, so that its
	 * connections keep their next hops */
	if (!nft || !nft_run("table inet cfn {}")) {
		zlog_warn(
			"CFN: no nftables: connections are not pinned, a next hop that leaves a group keeps its busy buckets instead");
		if (nft)
			nft_ctx_free(nft);
		nft = NULL;
	}
}

void cfn_pin_fini(void)
{
	for (size_t i = 0; i < CFN_PINS_MAX; i++)
		if (pins[i].used)
			pin_delete(i);
	if (nft) {
		nft_apply(NULL, 0);
		XFREE(MTYPE_CFN_PIN, applied.text);
		nft_ctx_free(nft);
		nft = NULL;
	}
	for (size_t f = 0; f < array_size(families); f++)
		rule_talk(RTM_DELRULE, families[f], CFN_RULE_PREF_GROUP, 0,
			  CFN_GROUP_TABLE);
	if (ct)
		mnl_socket_close(ct);
	ct = NULL;
}
