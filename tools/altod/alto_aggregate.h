/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Multi-domain aggregation (seed 000 R4, seed 002 R9): cfn-altod follows
 * the network and property maps of other CFN nodes' cfn-altod through
 * their update streams (RFC 8895) and merges them, with this node's own,
 * into one view whose PIDs are qualified by their domain ("DOMAIN:PID").
 * Plain HTTP/1.0 to each peer: aggregation runs over the operator's own
 * network; the aggregate is served with this daemon's TLS and
 * authentication.
 */
#ifndef ALTO_AGGREGATE_H
#define ALTO_AGGREGATE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "alto_config.h"

/* Follow every configured domain; changed() after each of its events. */
bool alto_aggregate_start(const struct alto_config *config,
			  void (*changed)(void));
void alto_aggregate_stop(void);

/*
 * The aggregated {"network-map": ...} and {"property-map": ...} (without
 * meta), from this node's maps (local, its domain name) and each
 * domain's latest.
 */
json_object *alto_aggregate_networkmap(json_object *local, const char *domain);
json_object *alto_aggregate_propmap(json_object *local, const char *domain);

/*
 * A peer's stream body (text/event-stream) through the parser, the merge
 * patches and the aggregation, without a connection: the fuzz target's.
 */
void alto_aggregate_feed(const char *body, size_t len);

#endif /* ALTO_AGGREGATE_H */
