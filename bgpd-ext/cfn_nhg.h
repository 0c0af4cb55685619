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

#define CFN_NHG_MEMBERS_MAX 31
#define CFN_RTPROT 207 /* kernel route/nexthop protocol of the module */

struct cfn_nhg_member {
	struct prefix gateway;
	uint32_t ifindex;
	uint8_t weight; /* 1..255 */
};

/* Open netlink and remove what a previous bgpd left behind; kernel
 * support for resilient groups is learnt from the first group made. */
void cfn_nhg_init(void);
void cfn_nhg_fini(void);
bool cfn_nhg_supported(void);

/*
 * Install or update the SID's group; false (and logged) on error. A next
 * hop that leaves the group stays in it with weight 1 for idle_timer_s,
 * so that the flows it carries can finish there.
 */
bool cfn_nhg_install(const struct prefix *sid,
		     const struct cfn_nhg_member *members, size_t count,
		     uint16_t buckets, uint32_t idle_timer_s);
/* Does the SID's group hold next hops on their way out? */
bool cfn_nhg_retiring(const struct prefix *sid);
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
