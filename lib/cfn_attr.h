/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CFN BGP path attribute: what an egress advertises with a SID route.
 * Wire format: doc/wire-format.md. Encoder and decoder are bounds-checked
 * and the decoder accepts nothing it cannot fully validate.
 */
#ifndef CFN_ATTR_H
#define CFN_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfn_metric.h"
#include "cfn_prefix.h"

#define CFN_ATTR_VERSION 1
#define CFN_ATTR_TYPE_DEFAULT 255 /* RFC 2042: reserved for development */
/*
 * Limits, one set for encoder and decoder (doc/wire-format.md, section
 * 2). A value of at most CFN_ATTR_MAX_LEN octets leaves 1020 octets of a
 * 4096-octet UPDATE to the other attributes and the NLRI, so that every
 * speaker on the way passes it on, with or without RFC 8654 extended
 * messages. CFN_ATTR_MAX_INSTANCES instances always fit in it with their
 * scores (checked at compile time in cfn_attr.c); their L0 metrics may
 * not, and the egress then leaves those out.
 */
#define CFN_ATTR_MAX_LEN 3072
#define CFN_ATTR_MAX_INSTANCES 64

enum cfn_tlv_type {
	CFN_TLV_EGRESS = 1,
	CFN_TLV_INSTANCE = 2,
};

enum cfn_subtlv_type {
	CFN_SUBTLV_METRIC = 1,
};

/* Instance flags (the octet after the AFI in the Instance TLV). */
#define CFN_INSTANCE_STALE 0x80	   /* no metric report for too long */
#define CFN_INSTANCE_DRAINING 0x40 /* takes no new flows */

/* Attribute flags (the octet after the version): older nodes ignore them. */
#define CFN_ATTR_DRAINING 0x80 /* the whole egress takes no new flows */

struct cfn_instance_info {
	struct cfn_prefix bid; /* a host prefix */
	uint8_t flags;
	struct cfn_scores scores;
	uint32_t capacity;
	/* Exactly the values received: every node keeps an instance per
	 * SID/BID binding, most with one or two metrics of the eight
	 * allowed, so the values are stored after the attribute's
	 * instances (cfn_attr_alloc_instances), not in a set of eight. */
	struct cfn_metric_list metrics;
};

struct cfn_attr {
	uint8_t flags;	   /* CFN_ATTR_*; unknown bits are kept, not used */
	uint32_t node_id;  /* the egress's router ID, host byte order */
	uint32_t sequence; /* bumped by the egress on every update it sends */
	struct cfn_scores scores;
	uint32_t capacity;
	/* The data describes the site as a whole and it has no instance
	 * data (Edge Metadata, cfn_edgemeta.h): it serves without any. */
	bool site_level;
	uint16_t n_instances;
	/* sorted by BID after decode; their L0 values follow them in the
	 * same allocation */
	struct cfn_instance_info *instances;
};

enum cfn_decode_error {
	CFN_DECODE_OK = 0,
	CFN_DECODE_TRUNCATED,
	CFN_DECODE_BAD_VERSION,
	CFN_DECODE_BAD_LENGTH,
	CFN_DECODE_MISSING_EGRESS,
	CFN_DECODE_DUPLICATE_EGRESS,
	CFN_DECODE_BAD_FAMILY,
	CFN_DECODE_BAD_SCORE,
	CFN_DECODE_BAD_METRIC,
	CFN_DECODE_DUPLICATE_INSTANCE,
	CFN_DECODE_DUPLICATE_METRIC,
	CFN_DECODE_TOO_MANY,
	CFN_DECODE_TOO_LONG,
	CFN_DECODE_NOMEM,
	CFN_DECODE_ERROR_COUNT
};

/* Short names for counters and logs, e.g. "truncated". */
const char *cfn_decode_error_name(enum cfn_decode_error error);

/*
 * Decode an attribute value. On success *out owns its instances (free
 * with cfn_attr_free); on error *out is left empty.
 */
enum cfn_decode_error cfn_attr_decode(const uint8_t *data, size_t len,
				      struct cfn_attr *out);

/*
 * Encode into buf. with_metrics false leaves the L0 values out (scores
 * only). Returns the length, or 0 when buflen is too small or the
 * attribute would exceed the limits above.
 */
size_t cfn_attr_encode(const struct cfn_attr *attr, bool with_metrics,
		       uint8_t *buf, size_t buflen);

/*
 * Is sequence number a a newer report than b? RFC 1982 serial number
 * arithmetic, so that an egress's counter may wrap around; two numbers
 * 2^31 apart are not comparable and neither is newer.
 */
bool cfn_sequence_newer(uint32_t a, uint32_t b);

/*
 * Room for n_instances (> 0) zeroed instances and n_metrics L0 values in
 * one allocation, which cfn_attr_free frees; sets attr->instances and
 * attr->n_instances. Returns where the values go (see
 * cfn_instance_store_metrics), or NULL when out of memory (attr is then
 * unchanged).
 */
struct cfn_metric_value *cfn_attr_alloc_instances(struct cfn_attr *attr,
						  size_t n_instances,
						  size_t n_metrics);
/* Copy metrics to *pool for the instance; returns the next free place. */
struct cfn_metric_value *
cfn_instance_store_metrics(struct cfn_instance_info *inst,
			   const struct cfn_metric_list *metrics,
			   struct cfn_metric_value *pool);

void cfn_attr_free(struct cfn_attr *attr);
bool cfn_attr_equal(const struct cfn_attr *a, const struct cfn_attr *b);
/* Deep copy, in one allocation; false when out of memory (dst is then
 * empty). */
bool cfn_attr_copy(struct cfn_attr *dst, const struct cfn_attr *src);

#endif /* CFN_ATTR_H */
