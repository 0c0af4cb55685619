/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Connection pinning: each connection to a SID with flow affinity keeps
 * the next hop it started on, from conntrack, so that a next hop leaving
 * a SID's resilient group (drained, deselected) leaves it at once while
 * its established connections keep going there.
 *
 * nftables (table inet cfn, owned by the module) stores the next hop a
 * new connection to a SID was routed to in its conntrack mark, and copies
 * the mark of a marked connection to its packets; per pinned next hop, an
 * ip rule sends packets with its mark to a table whose default route is
 * that next hop. The SIDs' group routes live in CFN_GROUP_TABLE, looked
 * up by a rule right after those: a new connection follows the group.
 */
#ifndef CFN_PIN_H
#define CFN_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prefix.h"

/*
 * The table of the SIDs' routes through their groups. zebra ignores it
 * (it reads no route of the unused "compat" table 252), so it neither
 * counts those routes as users of a group nor restores a group the
 * module changes or deletes.
 */
#define CFN_GROUP_TABLE 252
#define CFN_RULE_PREF_PIN 10
#define CFN_RULE_PREF_GROUP 11

struct cfn_pin_hop {
	struct prefix gateway;
	uint32_t ifindex;
};

/* The group table's rules; nftables if it can be used. */
void cfn_pin_init(void);
/* Connections to the SID pinned to the hop, from conntrack; -1 if the
 * hop has no pin or conntrack cannot tell. */
long cfn_pin_connections(const struct prefix *sid,
			 const struct cfn_pin_hop *hop);
/*
 * The pin of a previous bgpd (a default route of the module in the table
 * of a pin), taken over with its mark, which its connections still carry.
 * The first cfn_pin_sync() removes it if no group uses it.
 */
void cfn_pin_adopt(uint32_t table, const struct cfn_pin_hop *hop);
/* Remove the rules, the pins and the nftables table. */
void cfn_pin_fini(void);
/* Can connections be pinned (nftables and conntrack work)? */
bool cfn_pin_active(void);
/*
 * Pin the connections to the SIDs to the next hops they start on, and
 * keep pinned those of the hops listed: the next hops of every group
 * and those that left one but still serve its SID.
 */
void cfn_pin_sync(const struct prefix *sids, size_t n_sids,
		  const struct cfn_pin_hop *hops, size_t n_hops);

#endif /* CFN_PIN_H */
