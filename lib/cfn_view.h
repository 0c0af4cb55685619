/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-service view every node keeps: for each SID, the egresses that
 * advertise it with CFN data, their instances and metrics, and the IGP
 * cost to reach each of them.
 */
#ifndef CFN_VIEW_H
#define CFN_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfn_attr.h"
#include "cfn_error.h"
#include "cfn_prefix.h"
#include "cfn_trust.h"
#include "cfn_vec.h"

#define CFN_SOURCE_LEN 48
#define CFN_HOPS_MAX 8	  /* resolved next hops of one egress */
#define CFN_SELECT_MAX 16 /* egresses one selection may use */

/* A next hop the FIB can use: gateway and outgoing interface. */
struct cfn_hop {
	struct cfn_prefix gateway;
	uint32_t ifindex;
};

struct cfn_egress {
	uint32_t node_id;	   /* from the attribute: the key */
	struct cfn_prefix nexthop; /* BGP next hop */
	uint32_t igp_metric;
	bool reachable; /* next hop resolved by the IGP */
	uint8_t n_hops; /* how the IGP reaches the next hop */
	/* n_hops of them, owned (cfn_egress_set_hops): most egresses are
	 * reached over one, and the view holds one egress per SID and
	 * egress, so no room for CFN_HOPS_MAX in each */
	struct cfn_hop *hops;
	char source[CFN_SOURCE_LEN]; /* the peer of the report in attr */
	uint64_t updated_ms;	     /* when its CFN data last changed */
	struct cfn_attr attr;
	/* Receive damping (cfn_trust.h): the candidate carries the limit
	 * of its neighbour, the view egress the count of changes. */
	uint32_t max_changes, window_s;
	struct cfn_change_rate rx_rate;
	bool damped; /* set on a candidate whose change was held back */
	bool seen;   /* scratch for cfn_view_update */
};

struct cfn_choice {
	uint32_t node_id;
	uint8_t weight; /* 1..255 */
};

/* Where new flows for a SID go (cfn_select.h decides). */
struct cfn_selection {
	uint8_t count;
	bool fallback; /* nothing eligible: least loaded */
	/* count of them, owned: exactly as many as chosen, as most SIDs
	 * have one or a few of the CFN_SELECT_MAX a selection may use */
	struct cfn_choice *chosen;
	uint64_t changes; /* how often the choice or weights changed */
	uint64_t changed_ms;
};

struct cfn_sid_view {
	struct cfn_prefix sid;
	struct cfn_vec egresses; /* struct cfn_egress *, by node_id */
	uint64_t changed_ms;	 /* last change of any kind */
	struct cfn_selection selection;
};

struct cfn_view {
	struct cfn_vec sids; /* struct cfn_sid_view *, by SID */
};

/* What cfn_view_update changed. */
enum cfn_view_change {
	CFN_VIEW_EGRESSES = 1 << 0, /* an egress appeared or went away */
	CFN_VIEW_DATA = 1 << 1,	    /* an egress's CFN data changed */
	CFN_VIEW_PATH = 1 << 2,	    /* next hop, IGP cost or reachability */
};

void cfn_view_init(struct cfn_view *view);
void cfn_view_fini(struct cfn_view *view);

struct cfn_sid_view *cfn_view_find(const struct cfn_view *view,
				   const struct cfn_prefix *sid);

/*
 * Replace what is known of a SID by the egresses of its current BGP
 * paths. Candidates with the same node ID (the same egress reached over
 * several sessions, or a graceful-restart stale path) count once: the
 * next hop, IGP cost and hops of the most usable path (reachable, then
 * the lowest IGP cost), the data of the newest report (sequence number,
 * RFC 1982) among the paths as reachable as that one, so that neither
 * the order of bgpd's paths nor an unreachable path's data decides.
 * The view takes every candidate's attribute and hops, kept or not. With no
 * candidates the SID leaves the view. *changes says what changed.
 * On CFN_ERR_NOMEM nothing changes.
 */
enum cfn_err cfn_view_update(struct cfn_view *view,
			     const struct cfn_prefix *sid,
			     struct cfn_egress *candidates, size_t count,
			     uint64_t now_ms, unsigned int *changes);

size_t cfn_view_instance_count(const struct cfn_sid_view *sv);

/* Does an egress of the SID have its data from source (a peer)? */
bool cfn_sid_view_has_source(const struct cfn_sid_view *sv, const char *source);
/* How many SIDs, other than except, have data from source. */
size_t cfn_view_sids_from(const struct cfn_view *view, const char *source,
			  const struct cfn_prefix *except);

/* Give the egress (a candidate) its own copy of n (<= CFN_HOPS_MAX)
 * hops; false when out of memory (it then has none). */
bool cfn_egress_set_hops(struct cfn_egress *egress, const struct cfn_hop *hops,
			 size_t n);
/* Free what a candidate owns: its attribute and hops. */
void cfn_egress_release(struct cfn_egress *egress);

/* Can the egress serve the SID at all: reachable, with instances (or
 * describing its site as a whole)? */
bool cfn_egress_serves(const struct cfn_egress *egress);

#endif /* CFN_VIEW_H */
