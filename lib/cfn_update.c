/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_update.h"

#include <string.h>

#define ATTR_FLAG_EXTLEN 0x10
#define ATTR_MP_REACH 14
#define ATTR_MP_UNREACH 15
#define AFI_IPV6 2
#define SAFI_UNICAST 1

static uint16_t load16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Does a run of prefixes of family end exactly where it should? */
static bool prefixes_valid(const uint8_t *p, size_t len, uint8_t family)
{
	size_t max_bits = family == CFN_FAMILY_IPV6 ? 128 : 32;

	while (len) {
		size_t bytes = (p[0] + 7u) / 8;

		if (p[0] > max_bits || len < 1 + bytes)
			return false;
		p += 1 + bytes;
		len -= 1 + bytes;
	}
	return true;
}

static bool set_block(struct cfn_update *out, enum cfn_update_block_id id,
		      const uint8_t *data, size_t len, uint8_t family)
{
	if (!prefixes_valid(data, len, family))
		return false;
	out->blocks[id] = (struct cfn_update_block){data, len, family};
	return true;
}

/* The IPv6 unicast prefixes of an MP_REACH_NLRI or MP_UNREACH_NLRI. */
static bool mp_block(struct cfn_update *out, uint8_t type, const uint8_t *v,
		     size_t len)
{
	size_t skip = 3; /* AFI, SAFI */

	if (len < skip)
		return false;
	if (load16(v) != AFI_IPV6 || v[2] != SAFI_UNICAST)
		return true; /* another family: not ours to read */
	if (type == ATTR_MP_UNREACH)
		return set_block(out, CFN_UPDATE_MP_UNREACH, v + skip,
				 len - skip, CFN_FAMILY_IPV6);
	if (len < skip + 1 || len < skip + 1 + v[skip] + 1)
		return false;
	skip += 1 + v[skip] + 1; /* next hop length, next hop, reserved */
	return set_block(out, CFN_UPDATE_MP_REACH, v + skip, len - skip,
			 CFN_FAMILY_IPV6);
}

static bool scan_attributes(const uint8_t *p, size_t len, uint8_t attr_type,
			    struct cfn_update *out)
{
	while (len) {
		uint8_t flags, type;
		size_t hdr, vlen;

		if (len < 3)
			return false;
		flags = p[0];
		type = p[1];
		hdr = flags & ATTR_FLAG_EXTLEN ? 4 : 3;
		if (len < hdr)
			return false;
		vlen = hdr == 4 ? load16(p + 2) : p[2];
		if (len - hdr < vlen)
			return false;
		if (type == attr_type) {
			out->attr_value = p + hdr;
			out->attr_len = vlen;
			out->attr_flags = flags;
		} else if ((type == ATTR_MP_REACH || type == ATTR_MP_UNREACH) &&
			   !mp_block(out, type, p + hdr, vlen)) {
			return false;
		}
		p += hdr + vlen;
		len -= hdr + vlen;
	}
	return true;
}

enum cfn_update_error cfn_update_scan(const uint8_t *body, size_t len,
				      uint8_t attr_type, struct cfn_update *out)
{
	size_t withdrawn, attrs;

	memset(out, 0, sizeof(*out));
	if (len < 2 || (withdrawn = load16(body)) > len - 2 ||
	    len - 2 - withdrawn < 2)
		goto malformed;
	attrs = load16(body + 2 + withdrawn);
	if (attrs > len - 4 - withdrawn)
		goto malformed;
	if (!set_block(out, CFN_UPDATE_WITHDRAWN, body + 2, withdrawn,
		       CFN_FAMILY_IPV4) ||
	    !scan_attributes(body + 4 + withdrawn, attrs, attr_type, out) ||
	    !set_block(out, CFN_UPDATE_NLRI, body + 4 + withdrawn + attrs,
		       len - 4 - withdrawn - attrs, CFN_FAMILY_IPV4))
		goto malformed;
	return CFN_UPDATE_OK;

malformed:
	memset(out, 0, sizeof(*out));
	return CFN_UPDATE_MALFORMED;
}

void cfn_update_prefixes(const struct cfn_update *update,
			 cfn_update_prefix_fn fn, void *arg)
{
	for (int id = 0; id < CFN_UPDATE_BLOCK_COUNT; id++) {
		const struct cfn_update_block *block = &update->blocks[id];
		const uint8_t *p = block->data;
		size_t left = block->len;

		while (left) {
			struct cfn_prefix prefix = {.family = block->family,
						    .len = p[0]};
			size_t bytes = (p[0] + 7u) / 8;

			memcpy(prefix.addr, p + 1, bytes);
			fn(arg, &prefix,
			   id == CFN_UPDATE_WITHDRAWN ||
				   id == CFN_UPDATE_MP_UNREACH);
			p += 1 + bytes;
			left -= 1 + bytes;
		}
	}
}
