/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The view client: a thread that holds a Watch on bgpd's API socket and
 * keeps this node's view and selection as a JSON model, reconnecting
 * when bgpd goes away. The model:
 *   {"connected": bool, "error": "why not", "routerId": "A.B.C.D",
 *    "sequence": N, "sids": {"SID": {"sid", "service", "mode",
 *    "fallback", "changes", "egresses": [{"nodeId", "nexthop",
 *    "igpMetric", "reachable", "l2", "l1": {CATEGORY: score},
 *    "capacity", "networkScore", "score", "verdict", "weight",
 *    "instances": [{"bid", "l2", "l1", "capacity", "stale",
 *    "metrics": [{"name", "value", "unit", "statistic"}]}]}]}}}
 */
#ifndef ALTO_VIEW_H
#define ALTO_VIEW_H

#include <json-c/json.h>
#include <stdbool.h>

#include "cfn_api.pb-c.h"

/* Called from the view thread with each new model (not to be kept). */
typedef void (*alto_view_changed_fn)(json_object *model);

bool alto_view_start(const char *api_socket, alto_view_changed_fn changed);
void alto_view_stop(void);

/* Apply one Watch event to a model (the view thread's; for tests too). */
void alto_view_apply(json_object *model, const Cfn__Event *event);

#endif /* ALTO_VIEW_H */
