/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_edgemeta.h"

#include <string.h>

/*
 * Sub-TLV header: Type 2 octets, Length 1 octet (doc/wire-format.md,
 * section 5, with the caveat recorded there about the draft's figures).
 */
#define SUBTLV_TYPE_LEN 2
#define SUBTLV_HEADER_LEN (SUBTLV_TYPE_LEN + 1)
#define PREFERENCE_LEN 4   /* Site Preference Index, uint32 */
#define AVAILABILITY_LEN 3 /* Site-ID (2), percentage (1) */
#define CAPABILITY_LEN 4   /* Service-Oriented Capability, uint32 */

static const char *const error_names[CFN_EDGEMETA_ERROR_COUNT] = {
	[CFN_EDGEMETA_OK] = "ok",
	[CFN_EDGEMETA_TRUNCATED] = "truncated",
	[CFN_EDGEMETA_BAD_LENGTH] = "bad-length",
	[CFN_EDGEMETA_BAD_PERCENT] = "bad-percentage",
	[CFN_EDGEMETA_DUPLICATE] = "duplicate-sub-tlv",
	[CFN_EDGEMETA_EMPTY] = "no-usable-sub-tlv",
	[CFN_EDGEMETA_TOO_LONG] = "too-long",
	[CFN_EDGEMETA_BAD_FLAGS] = "bad-flags",
};

const char *cfn_edgemeta_error_name(enum cfn_edgemeta_error error)
{
	return error < CFN_EDGEMETA_ERROR_COUNT ? error_names[error]
						: "unknown";
}

#define ATTR_FLAG_OPTIONAL 0x80
#define ATTR_FLAG_TRANSITIVE 0x40

bool cfn_edgemeta_flags_valid(uint8_t flags)
{
	return (flags & (ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE)) ==
	       ATTR_FLAG_OPTIONAL;
}

static uint32_t load_be(const uint8_t *p, size_t n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

static void store_be(uint8_t *p, uint32_t v, size_t n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

/* The length a sub-TLV the model uses must have, and its flag. */
static bool subtlv_used(uint16_t type, size_t *len, uint8_t *flag)
{
	switch (type) {
	case CFN_EDGEMETA_SITE_PREFERENCE:
		*len = PREFERENCE_LEN;
		*flag = CFN_EDGEMETA_HAS_PREFERENCE;
		return true;
	case CFN_EDGEMETA_SITE_AVAILABILITY:
		*len = AVAILABILITY_LEN;
		*flag = CFN_EDGEMETA_HAS_AVAILABILITY;
		return true;
	case CFN_EDGEMETA_SERVICE_CAPABILITY:
		*len = CAPABILITY_LEN;
		*flag = CFN_EDGEMETA_HAS_CAPABILITY;
		return true;
	default:
		return false;
	}
}

static enum cfn_edgemeta_error decode_used(uint8_t flag, const uint8_t *v,
					   struct cfn_edgemeta *out)
{
	if (out->present & flag)
		return CFN_EDGEMETA_DUPLICATE;
	out->present |= flag;
	switch (flag) {
	case CFN_EDGEMETA_HAS_PREFERENCE:
		out->site_preference = load_be(v, PREFERENCE_LEN);
		break;
	case CFN_EDGEMETA_HAS_AVAILABILITY:
		out->site_id = (uint16_t)load_be(v, 2);
		out->availability = v[2];
		if (out->availability > CFN_EDGEMETA_PERCENT_MAX)
			return CFN_EDGEMETA_BAD_PERCENT;
		break;
	case CFN_EDGEMETA_HAS_CAPABILITY:
		out->capability = load_be(v, CAPABILITY_LEN);
		break;
	}
	return CFN_EDGEMETA_OK;
}

static enum cfn_edgemeta_error decode_subtlvs(const uint8_t *data, size_t len,
					      struct cfn_edgemeta *out)
{
	size_t pos = 0;

	while (pos < len) {
		uint16_t type;
		size_t vlen, want;
		uint8_t flag;
		enum cfn_edgemeta_error error;

		if (len - pos < SUBTLV_HEADER_LEN)
			return CFN_EDGEMETA_TRUNCATED;
		type = (uint16_t)load_be(data + pos, SUBTLV_TYPE_LEN);
		vlen = data[pos + SUBTLV_TYPE_LEN];
		pos += SUBTLV_HEADER_LEN;
		if (len - pos < vlen)
			return CFN_EDGEMETA_TRUNCATED;
		if (!subtlv_used(type, &want, &flag)) {
			out->n_skipped++;
		} else if (vlen != want) {
			return CFN_EDGEMETA_BAD_LENGTH;
		} else {
			error = decode_used(flag, data + pos, out);
			if (error)
				return error;
		}
		pos += vlen;
	}
	return out->present ? CFN_EDGEMETA_OK : CFN_EDGEMETA_EMPTY;
}

enum cfn_edgemeta_error cfn_edgemeta_decode(const uint8_t *data, size_t len,
					    struct cfn_edgemeta *out)
{
	enum cfn_edgemeta_error error;

	memset(out, 0, sizeof(*out));
	if (len > CFN_EDGEMETA_MAX_LEN)
		return CFN_EDGEMETA_TOO_LONG;
	error = decode_subtlvs(data, len, out);
	if (error)
		memset(out, 0, sizeof(*out));
	return error;
}

static size_t put_subtlv(uint8_t *buf, size_t left, uint16_t type,
			 uint32_t value, size_t vlen)
{
	if (left < SUBTLV_HEADER_LEN + vlen)
		return 0;
	store_be(buf, type, SUBTLV_TYPE_LEN);
	buf[SUBTLV_TYPE_LEN] = (uint8_t)vlen;
	store_be(buf + SUBTLV_HEADER_LEN, value, vlen);
	return SUBTLV_HEADER_LEN + vlen;
}

size_t cfn_edgemeta_encode(const struct cfn_edgemeta *meta, uint8_t *buf,
			   size_t buflen)
{
	size_t len = 0, n;

	if (meta->present & CFN_EDGEMETA_HAS_PREFERENCE) {
		n = put_subtlv(buf, buflen, CFN_EDGEMETA_SITE_PREFERENCE,
			       meta->site_preference, PREFERENCE_LEN);
		if (!n)
			return 0;
		len += n;
	}
	if (meta->present & CFN_EDGEMETA_HAS_AVAILABILITY) {
		n = put_subtlv(
			buf + len, buflen - len, CFN_EDGEMETA_SITE_AVAILABILITY,
			(uint32_t)meta->site_id << 8 | meta->availability,
			AVAILABILITY_LEN);
		if (!n)
			return 0;
		len += n;
	}
	if (meta->present & CFN_EDGEMETA_HAS_CAPABILITY) {
		n = put_subtlv(buf + len, buflen - len,
			       CFN_EDGEMETA_SERVICE_CAPABILITY,
			       meta->capability, CAPABILITY_LEN);
		if (!n)
			return 0;
		len += n;
	}
	return len;
}

bool cfn_edgemeta_equal(const struct cfn_edgemeta *a,
			const struct cfn_edgemeta *b)
{
	return a->present == b->present &&
	       a->site_preference == b->site_preference &&
	       a->site_id == b->site_id && a->availability == b->availability &&
	       a->capability == b->capability;
}

void cfn_edgemeta_from_attr(const struct cfn_attr *attr,
			    struct cfn_edgemeta *out)
{
	memset(out, 0, sizeof(*out));
	out->present =
		CFN_EDGEMETA_HAS_AVAILABILITY | CFN_EDGEMETA_HAS_CAPABILITY;
	/* The draft's Site-ID is 16 bits: the low half of the router ID
	 * tells the sites of one operator apart in the usual numbering. */
	out->site_id = (uint16_t)attr->node_id;
	out->availability =
		attr->scores.l2 > CFN_SCORE_MAX
			? 0
			: (uint8_t)(attr->scores.l2 * CFN_EDGEMETA_PERCENT_MAX /
				    CFN_SCORE_MAX);
	out->capability = attr->capacity;
}

/* Percent (0-100) to a CATS score (0-10), to the nearest. */
static uint8_t score_from_percent(uint32_t percent)
{
	if (percent > CFN_EDGEMETA_PERCENT_MAX)
		percent = CFN_EDGEMETA_PERCENT_MAX;
	return (uint8_t)((percent * CFN_SCORE_MAX +
			  CFN_EDGEMETA_PERCENT_MAX / 2) /
			 CFN_EDGEMETA_PERCENT_MAX);
}

void cfn_edgemeta_to_attr(const struct cfn_edgemeta *meta, uint32_t node_id,
			  struct cfn_attr *out)
{
	memset(out, 0, sizeof(*out));
	out->node_id = node_id;
	out->site_level = true;
	for (size_t i = 0; i < CFN_CATEGORY_COUNT; i++)
		out->scores.l1[i] = CFN_SCORE_NONE;
	if (meta->present & CFN_EDGEMETA_HAS_AVAILABILITY)
		out->scores.l2 = score_from_percent(meta->availability);
	else if (meta->present & CFN_EDGEMETA_HAS_PREFERENCE)
		out->scores.l2 = score_from_percent(meta->site_preference);
	else
		out->scores.l2 = CFN_SCORE_NONE;
	if (meta->present & CFN_EDGEMETA_HAS_CAPABILITY)
		out->capacity = meta->capability;
}
