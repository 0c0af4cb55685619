/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Linux resilient nexthop groups for flow affinity. zebra 8.4 cannot
 * create them, so the module owns them through netlink: per SID one group
 * of nexthop objects and a kernel route to the SID through it, with its
 * own protocol number and a metric ahead of zebra's. When a group's
 * weights change, the kernel moves only idle buckets: established flows
 * stay on their egress until idle for the group's idle timer.
 */
#ifndef CFN_NHG_H
#define CFN_NHG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prefix.h"

#include "cfn_frr_compat.h"

#define CFN_NHG_MEMBERS_MAX 31
#define CFN_RTPROT 207 /* kernel route/nexthop protocol of the module */

struct cfn_nhg_member {
	struct prefix gateway;
	uint32_t ifindex;
	uint8_t weight; /* 1..255 */
};

/* What a SID's group is to hold. */
struct cfn_nhg_request {
	const struct cfn_nhg_member *members; /* the selection, weighted */
	size_t count;
	/*
	 * Next hops of the egresses that still serve the SID. One of them
	 * that leaves the selection stays in the group with weight 1 while
	 * its buckets carry flows (for at most idle_timer_s once idle), so
	 * that established flows finish there; any other next hop leaves at
	 * once, since nobody is left there to answer its flows.
	 */
	const struct cfn_nhg_member *serving; /* weights unused */
	size_t n_serving;
	uint16_t buckets;
	uint32_t idle_timer_s;
};

/* Install again the group of a SID whose next hops the kernel changed. */
typedef void (*cfn_nhg_resync_fn)(const struct prefix *sid);


/*
 * Open netlink, remove what a previous bgpd left behind, and watch
 * interfaces and addresses: the kernel deletes the nexthops of an
 * interface that goes down without telling, so their groups are checked
 * and handed to resync. Kernel support for resilient groups is learnt
 * from the first group made.
 */
void cfn_nhg_init(struct cfn_event_loop *master, cfn_nhg_resync_fn resync);
void cfn_nhg_fini(void);
bool cfn_nhg_supported(void);

/*
 * Install or update the SID's group; false (and logged) on error, and
 * then the SID has no group: a stale one would shadow zebra's route.
 * A selected next hop that cannot be made a member now (its interface
 * is down, say) is left out until an interface or address event or the
 * next cfn_nhg_unsettled() round.
 */
bool cfn_nhg_install(const struct prefix *sid,
		     const struct cfn_nhg_request *request);
/* Does the SID's group hold next hops on their way out, or lack some? */
bool cfn_nhg_unsettled(const struct prefix *sid);
void cfn_nhg_remove(const struct prefix *sid);

/* The SID's group: its ID and how many buckets each member holds. */
struct cfn_nhg_bucket_count {
	struct prefix gateway;
	uint32_t ifindex;
	uint8_t weight;
	uint16_t buckets;
};
bool cfn_nhg_distribution(const struct prefix *sid, uint32_t *group_id,
			  struct cfn_nhg_bucket_count *counts, size_t *count);

#endif /* CFN_NHG_H */
