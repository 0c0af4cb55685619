/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What differs between the FRR releases the module builds against:
 * Debian 12's FRR 8.4 and Debian 13's FRR 10.3 (configure refuses
 * others and sets CFN_FRR_VERSION_MAJOR). The rest of bgpd-ext is
 * written once, in FRR 10's names; doc/frr-versions.md lists the
 * differences as operators see them.
 *
 * Include after FRR's headers: it maps names only for the module's code.
 */
#ifndef CFN_FRR_COMPAT_H
#define CFN_FRR_COMPAT_H

#include "debug.h"
#include "libfrr.h"
#include "memory.h"
#include "zclient.h"

/* 8.4's vtysh/extract.pl preprocesses the CLI files without our flags */
#if !defined(CFN_FRR_VERSION_MAJOR) && defined(VTYSH_EXTRACT_PL)
#define CFN_FRR_VERSION_MAJOR 8
#endif
#ifndef CFN_FRR_VERSION_MAJOR
#error "CFN_FRR_VERSION_MAJOR is set by configure"
#endif

#define CFN_FRR_10 (CFN_FRR_VERSION_MAJOR >= 10)

/*
 * The event loop: FRR 9 renamed thread_master/struct thread to
 * event_loop/struct event. The module writes struct cfn_event[_loop],
 * because "event" alone cannot be a macro on 8.4 (its thread_add_event
 * expands to a token "event").
 */
#if CFN_FRR_10
#include "frrevent.h"
#define cfn_event event
#define cfn_event_loop event_loop
#else
#include "thread.h"
#define cfn_event thread
#define cfn_event_loop thread_master
#define event_add_read(...) thread_add_read(__VA_ARGS__)
#define event_add_write(...) thread_add_write(__VA_ARGS__)
#define event_add_timer(...) thread_add_timer(__VA_ARGS__)
#define event_add_timer_msec(...) thread_add_timer_msec(__VA_ARGS__)
#define event_add_event(...) thread_add_event(__VA_ARGS__)
#define EVENT_ARG(t) THREAD_ARG(t)
#define EVENT_OFF(t) THREAD_OFF(t)
#endif

/* bgpd's run directory: /run/frr, or /run/frr/<ns> with -N. */
#if CFN_FRR_10
#define cfn_frr_rundir frr_runstatedir
#else
#define cfn_frr_rundir frr_vtydir
#endif

/*
 * The module's own zebra client. FRR 10 has "auxiliary" clients, which
 * libfrr's common handlers (interfaces, VRFs, NHT) leave alone, as bgpd
 * does for its own second client.
 */
#if CFN_FRR_10
#define CFN_ZCLIENT_OPTIONS (&zclient_options_auxiliary)
#else
#define CFN_ZCLIENT_OPTIONS (&zclient_options_default)
#endif

/*
 * Queue a dest for best-path selection after pi was added or changed.
 * FRR 10 also takes the path, to sort it into the dest's ordered list.
 */
#if CFN_FRR_10
#define cfn_bgp_process_path(bgp, dest, pi, afi, safi)                         \
	bgp_process(bgp, dest, pi, afi, safi)
#else
#define cfn_bgp_process_path(bgp, dest, pi, afi, safi)                         \
	bgp_process(bgp, dest, afi, safi)
#endif

/* FRR 10 keeps a peer's session state in its connection. */
#if CFN_FRR_10
#define cfn_peer_established(peer) peer_established((peer)->connection)
#else
#define cfn_peer_established(peer) peer_established(peer)
#endif

/*
 * The attribute codes bgpd parses itself: a CFN attribute must use
 * another, or bgpd would never keep it as an unknown transitive one.
 * FRR 10 added 26 (AIGP) and dropped 21 (AS4_PATHLIMIT) and 51.
 */
#if CFN_FRR_10
#define CFN_BGPD_PARSED_ATTRS                                                  \
	{                                                                      \
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 22, 23, 25, \
			26, 32, 35, 40                                         \
	}
#else
#define CFN_BGPD_PARSED_ATTRS                                                  \
	{                                                                      \
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 21, 22, 23, \
			25, 32, 35, 40, 51                                     \
	}
#endif

/*
 * Debug switches. FRR 10 keeps a list of installed debugs that follows
 * "debug all", shows in "show debugging" and writes each one's conf line
 * to the configuration. FRR 8.4 has one set-all callback per daemon and
 * no configuration hook for modules: the module's lines are chained
 * behind bgpd's DEBUG_NODE writer so that they are saved with bgpd's.
 */
struct cfn_debug_switch {
	struct debug *debug;
	const char *conf; /* the command, as written to the configuration */
};

/*
 * The state of these shims lives in function-local statics so that the
 * header defines no variable in the files that do not use them.
 */
#if CFN_FRR_10
static inline void cfn_debug_register(const struct cfn_debug_switch *switches,
				      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switches[i].debug->conf = switches[i].conf;
		debug_install(switches[i].debug);
	}
}
#else
struct cfn_debug_state {
	const struct cfn_debug_switch *switches;
	size_t n;
	int (*bgp_config_write)(struct vty *vty);
};

static inline struct cfn_debug_state *cfn_debug_state(void)
{
	static struct cfn_debug_state state;

	return &state;
}

static inline void cfn_debug_set_all(uint32_t flags, bool set)
{
	const struct cfn_debug_state *s = cfn_debug_state();

	for (size_t i = 0; i < s->n; i++)
		DEBUG_FLAGS_SET(s->switches[i].debug, flags, set);
}

static inline int cfn_debug_config_write(struct vty *vty)
{
	const struct cfn_debug_state *s = cfn_debug_state();
	int written = s->bgp_config_write ? s->bgp_config_write(vty) : 0;

	for (size_t i = 0; i < s->n; i++)
		if (DEBUG_MODE_CHECK(s->switches[i].debug, DEBUG_MODE_CONF)) {
			vty_out(vty, "%s\n", s->switches[i].conf);
			written++;
		}
	return written;
}

static inline void cfn_debug_register(const struct cfn_debug_switch *switches,
				      size_t n)
{
	static struct debug_callbacks callbacks = {
		.debug_set_all = cfn_debug_set_all,
	};
	struct cfn_debug_state *s = cfn_debug_state();
	struct cmd_node *node = vector_lookup(cmdvec, DEBUG_NODE);

	s->switches = switches;
	s->n = n;
	if (node) {
		s->bgp_config_write = node->config_write;
		node->config_write = cfn_debug_config_write;
	}
	debug_init(&callbacks);
}
#endif

/*
 * Nexthop tracking: call changed() after bgpd has handled every nexthop
 * update from zebra (IGP cost or reachability changes). FRR 8.4 passes
 * the message to a handler table entry; FRR 10 decodes it in libfrr and
 * calls zclient->nexthop_update, and its table has no such entry (a
 * wrapped entry would compile and never be called).
 */
struct cfn_nht_state {
	void (*changed)(void);
#if CFN_FRR_10
	void (*bgp_nexthop_update)(struct vrf *vrf, struct prefix *match,
				   struct zapi_route *nhr);
#else
	zclient_handler *const *bgp_handlers;
	zclient_handler **handlers; /* a copy of bgpd's, with ours */
	zclient_handler *bgp_nexthop_update;
#endif
};

static inline struct cfn_nht_state *cfn_nht_state(void)
{
	static struct cfn_nht_state state;

	return &state;
}

#if CFN_FRR_10
static inline void cfn_nexthop_update(struct vrf *vrf, struct prefix *match,
				      struct zapi_route *nhr)
{
	struct cfn_nht_state *s = cfn_nht_state();

	s->bgp_nexthop_update(vrf, match, nhr);
	s->changed();
}

static inline bool cfn_nht_follow(struct zclient *zc, void (*changed)(void),
				  struct memtype *mtype)
{
	struct cfn_nht_state *s = cfn_nht_state();

	if (!zc || !zc->nexthop_update)
		return false;
	s->changed = changed;
	s->bgp_nexthop_update = zc->nexthop_update;
	zc->nexthop_update = cfn_nexthop_update;
	return true;
}

static inline void cfn_nht_unfollow(struct zclient *zc, struct memtype *mtype)
{
	struct cfn_nht_state *s = cfn_nht_state();

	if (zc && s->bgp_nexthop_update &&
	    zc->nexthop_update == cfn_nexthop_update)
		zc->nexthop_update = s->bgp_nexthop_update;
	s->bgp_nexthop_update = NULL;
}
#else
static inline int cfn_nexthop_update(ZAPI_CALLBACK_ARGS)
{
	struct cfn_nht_state *s = cfn_nht_state();
	int ret = s->bgp_nexthop_update(cmd, zclient, length, vrf_id);

	s->changed();
	return ret;
}

/* bgpd's handler table is const: follow through a copy of it. */
static inline bool cfn_nht_follow(struct zclient *zc, void (*changed)(void),
				  struct memtype *mtype)
{
	struct cfn_nht_state *s = cfn_nht_state();

	if (!zc || zc->n_handlers <= ZEBRA_NEXTHOP_UPDATE ||
	    !zc->handlers[ZEBRA_NEXTHOP_UPDATE])
		return false;
	s->changed = changed;
	s->handlers = XCALLOC(mtype, zc->n_handlers * sizeof(*s->handlers));
	memcpy(s->handlers, zc->handlers,
	       zc->n_handlers * sizeof(*s->handlers));
	s->bgp_handlers = zc->handlers;
	s->bgp_nexthop_update = s->handlers[ZEBRA_NEXTHOP_UPDATE];
	s->handlers[ZEBRA_NEXTHOP_UPDATE] = cfn_nexthop_update;
	zc->handlers = s->handlers;
	return true;
}

static inline void cfn_nht_unfollow(struct zclient *zc, struct memtype *mtype)
{
	struct cfn_nht_state *s = cfn_nht_state();

	if (!s->handlers)
		return;
	if (zc && zc->handlers == s->handlers)
		zc->handlers = s->bgp_handlers;
	XFREE(mtype, s->handlers);
}
#endif

#endif /* CFN_FRR_COMPAT_H */
