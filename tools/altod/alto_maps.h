/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ALTO resources of this node, built from the view model
 * (alto_view.h): network map, cost maps, entity property map, and the
 * answers to endpoint cost and filtered property map requests. Names:
 *  - PIDs: "clients" (this ingress's clients), "egress-ROUTERID" (each
 *    CFN egress: its router ID and the BIDs behind it), "sid-ADDR-LEN"
 *    (each SID's anycast prefix: a prefix belongs to one PID only);
 *  - cost metrics: routingcost, priv:cfn-score, priv:cfn-l2;
 *  - properties: alto_maps_property_known().
 * The mapping to CATS metrics is in doc/alto.md.
 */
#ifndef ALTO_MAPS_H
#define ALTO_MAPS_H

#include <json-c/json.h>

#include "alto_config.h"
#include "alto_request.h"

#define ALTO_NETWORKMAP_ID "networkmap"
#define ALTO_PID_CLIENTS "clients"

/* {"network-map": {...}} without meta: the caller adds the vtag. */
json_object *alto_networkmap(json_object *model,
			     const struct alto_config *config);

/* {"cost-map": {...}} of one metric and mode, without meta. */
json_object *alto_costmap(json_object *model, enum alto_metric metric,
			  enum alto_mode mode);

/* {"property-map": {...}} of every entity and property, without meta. */
json_object *alto_propmap(json_object *model);

/* The filtered property map (RFC 9240 section 7), without meta. */
json_object *alto_propmap_filtered(json_object *model,
				   const struct alto_propmap_params *params);

/*
 * The endpoint cost map (RFC 7285 section 11.5.1.6) with its meta:
 * costs to BIDs and SIDs, ranked (ordinal) as the node's selection ranks
 * their egresses.
 */
json_object *alto_endpointcost(json_object *model,
			       const struct alto_endpointcost_params *params);

/* Is this a property name the property maps serve? */
bool alto_maps_property_known(const char *property);

/* The property names, for the IRD's capabilities (a new array). */
json_object *alto_maps_property_names(void);

#endif /* ALTO_MAPS_H */
