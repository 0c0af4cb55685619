/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Edge Metadata received per peer and prefix (cfn_edgemeta_bgp.c). */
#ifndef CFN_EDGEMETA_BGP_H
#define CFN_EDGEMETA_BGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfn_edgemeta.h"

struct attr;
struct bgp;
struct peer;
struct prefix;
struct transit;

void cfn_edgemeta_init(void);
void cfn_edgemeta_fini(void);

/* The Edge Metadata peer sent with its route to p, if any. */
bool cfn_edgemeta_find(const struct peer *peer, const struct prefix *p,
		       struct cfn_edgemeta *meta);

/*
 * Append to transit the Edge Metadata (optional non-transitive, code 42)
 * that stands for the CFN attribute value cfn_value; false, and transit
 * unchanged, if that value does not decode.
 */
bool cfn_edgemeta_append(struct transit *transit, const uint8_t *cfn_value,
			 size_t cfn_len);

/*
 * Sending ("cfn edge-metadata send"): add the Edge Metadata of the CFN
 * attribute value cfn_value to the transit of an originated SID route,
 * if bgp sends it. bgpd sends the transit to every neighbour that gets
 * the route; "set cfn export" in an outbound route-map (cfn_export_bgp.c)
 * chooses per neighbour.
 */
void cfn_edgemeta_add_sent(const struct bgp *bgp, struct transit *transit,
			   const uint8_t *cfn_value, size_t cfn_len);
/* "cfn edge-metadata send" in bgp? */
bool cfn_edgemeta_sending(const struct bgp *bgp);
/* Does attr carry Edge Metadata exactly when bgp sends it? */
bool cfn_edgemeta_sent_as_configured(const struct bgp *bgp,
				     const struct attr *attr);

#endif /* CFN_EDGEMETA_BGP_H */
