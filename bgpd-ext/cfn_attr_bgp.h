/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CFN attribute in bgpd's storage of unknown optional transitive
 * attributes ("transit"): bgpd neither parses nor changes it, and
 * re-advertises it verbatim.
 */
#ifndef CFN_ATTR_BGP_H
#define CFN_ATTR_BGP_H

#include <stddef.h>
#include <stdint.h>

struct attr;
struct transit;

/* Attribute codes bgpd 8.4 parses itself: the CFN attribute cannot use
 * them (255 is free: bgpd parses it only with ENABLE_BGP_VNC_ATTR). */
bool cfn_attr_type_usable(unsigned int type);

/* The value of attribute `type` in attr's transit storage, or NULL. */
const uint8_t *cfn_transit_find(const struct attr *attr, uint8_t type,
				size_t *len);

/* A transit holding one optional transitive attribute (not interned). */
struct transit *cfn_transit_new(uint8_t type, const uint8_t *value, size_t len);

/* Append an attribute with the given flags to a transit not interned. */
void cfn_transit_add(struct transit *transit, uint8_t flags, uint8_t type,
		     const uint8_t *value, size_t len);

/*
 * A copy of transit, not interned, without the attributes whose codes
 * are listed in drop (an empty transit if nothing is left or transit is
 * NULL). Route-map set rules edit such copies: bgpd interns them.
 */
struct transit *cfn_transit_without(const struct transit *transit,
				    const uint8_t *drop, size_t n_drop);

/* Free a transit that is not interned (refcnt 0). */
void cfn_transit_free(struct transit *transit);

#endif /* CFN_ATTR_BGP_H */
