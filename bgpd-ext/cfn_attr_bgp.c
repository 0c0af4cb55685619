/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <zebra.h>

#include "memory.h"

#include "bgpd/bgpd.h"
#include "bgpd/bgp_attr.h"
#include "bgpd/bgp_memory.h"

#include "cfn_attr_bgp.h"
#include "cfn_frr_compat.h"

bool cfn_attr_type_usable(unsigned int type)
{
	static const uint8_t parsed[] = CFN_BGPD_PARSED_ATTRS;

	if (type == 0 || type > 255)
		return false;
	for (size_t i = 0; i < sizeof(parsed); i++)
		if (parsed[i] == type)
			return false;
	return true;
}

/* One attribute of a transit: its header and value. */
struct cfn_transit_attr {
	const uint8_t *start; /* the flags octet */
	size_t size;	      /* header and value */
	uint8_t type;
	const uint8_t *value;
	size_t len;
};

/* The attribute at *pos of transit, and *pos past it; false at the end. */
static bool cfn_transit_next(const struct transit *transit, size_t *pos,
			     struct cfn_transit_attr *a)
{
	size_t end = (size_t)transit->length, hdr;
	const uint8_t *p = transit->val + *pos;

	if (*pos + 3 > end)
		return false;
	hdr = (p[0] & BGP_ATTR_FLAG_EXTLEN) ? 4 : 3;
	if (*pos + hdr > end)
		return false;
	a->len = hdr == 4 ? (size_t)p[2] << 8 | p[3] : p[2];
	if (*pos + hdr + a->len > end)
		return false;
	a->start = p;
	a->size = hdr + a->len;
	a->type = p[1];
	a->value = p + hdr;
	*pos += a->size;
	return true;
}

const uint8_t *cfn_transit_find(const struct attr *attr, uint8_t type,
				size_t *len)
{
	const struct transit *transit = bgp_attr_get_transit(attr);
	struct cfn_transit_attr a;
	size_t pos = 0;

	while (transit && cfn_transit_next(transit, &pos, &a))
		if (a.type == type) {
			*len = a.len;
			return a.value;
		}
	return NULL;
}

static bool cfn_type_listed(uint8_t type, const uint8_t *types, size_t n)
{
	return memchr(types, type, n) != NULL;
}

struct transit *cfn_transit_without(const struct transit *transit,
				    const uint8_t *drop, size_t n_drop)
{
	struct transit *copy = XCALLOC(MTYPE_TRANSIT, sizeof(*copy));
	struct cfn_transit_attr a;
	size_t pos = 0;

	if (!transit)
		return copy;
	copy->val = XMALLOC(MTYPE_TRANSIT_VAL, (size_t)transit->length);
	while (cfn_transit_next(transit, &pos, &a))
		if (!cfn_type_listed(a.type, drop, n_drop)) {
			memcpy(copy->val + copy->length, a.start, a.size);
			copy->length += (int)a.size;
		}
	return copy;
}

void cfn_transit_free(struct transit *transit)
{
	XFREE(MTYPE_TRANSIT_VAL, transit->val);
	XFREE(MTYPE_TRANSIT, transit);
}

void cfn_transit_add(struct transit *transit, uint8_t flags, uint8_t type,
		     const uint8_t *value, size_t len)
{
	size_t hdr = len > 255 ? 4 : 3;
	uint8_t *p;

	if (hdr == 4)
		flags |= BGP_ATTR_FLAG_EXTLEN;
	transit->val = XREALLOC(MTYPE_TRANSIT_VAL, transit->val,
				(size_t)transit->length + hdr + len);
	p = transit->val + transit->length;
	transit->length += (int)(hdr + len);
	p[0] = flags;
	p[1] = type;
	if (hdr == 4) {
		p[2] = (uint8_t)(len >> 8);
		p[3] = (uint8_t)len;
	} else {
		p[2] = (uint8_t)len;
	}
	memcpy(p + hdr, value, len);
}

struct transit *cfn_transit_new(uint8_t type, const uint8_t *value, size_t len)
{
	struct transit *transit = XCALLOC(MTYPE_TRANSIT, sizeof(*transit));

	cfn_transit_add(transit, BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANS,
			type, value, len);
	return transit;
}
