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

const uint8_t *cfn_transit_find(const struct attr *attr, uint8_t type,
				size_t *len)
{
	const struct transit *transit = bgp_attr_get_transit(attr);
	size_t pos = 0, end;

	if (!transit)
		return NULL;
	end = (size_t)transit->length;
	while (pos + 3 <= end) {
		uint8_t flags = transit->val[pos];
		uint8_t code = transit->val[pos + 1];
		size_t hdr = (flags & BGP_ATTR_FLAG_EXTLEN) ? 4 : 3;
		size_t vlen;

		if (pos + hdr > end)
			break;
		vlen = hdr == 4 ? (size_t)transit->val[pos + 2] << 8 |
					  transit->val[pos + 3]
				: transit->val[pos + 2];
		if (pos + hdr + vlen > end)
			break;
		if (code == type) {
			*len = vlen;
			return &transit->val[pos + hdr];
		}
		pos += hdr + vlen;
	}
	return NULL;
}

struct transit *cfn_transit_new(uint8_t type, const uint8_t *value, size_t len)
{
	struct transit *transit = XCALLOC(MTYPE_TRANSIT, sizeof(*transit));
	uint8_t flags = BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANS;
	size_t hdr = len > 255 ? 4 : 3;

	if (hdr == 4)
		flags |= BGP_ATTR_FLAG_EXTLEN;
	transit->length = (int)(hdr + len);
	transit->val = XMALLOC(MTYPE_TRANSIT_VAL, hdr + len);
	transit->val[0] = flags;
	transit->val[1] = type;
	if (hdr == 4) {
		transit->val[2] = (uint8_t)(len >> 8);
		transit->val[3] = (uint8_t)len;
	} else {
		transit->val[2] = (uint8_t)len;
	}
	memcpy(transit->val + hdr, value, len);
	return transit;
}
