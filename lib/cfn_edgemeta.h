/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The IETF Edge Metadata Path Attribute
 * (draft-ietf-idr-5g-edge-service-metadata): optional non-transitive,
 * IANA temporary code 42, a list of sub-TLVs describing the edge site
 * behind the anycast prefix of the route. It carries no per-instance
 * data. Wire layout and its mapping onto the CFN model: doc/wire-format.md,
 * section 5.
 */
#ifndef CFN_EDGEMETA_H
#define CFN_EDGEMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfn_attr.h"

#define CFN_EDGEMETA_ATTR_TYPE 42 /* IANA temporary, until 2027-04-23 */
#define CFN_EDGEMETA_MAX_LEN 4000 /* fits any UPDATE with its NLRI */
#define CFN_EDGEMETA_PERCENT_MAX 100

enum cfn_edgemeta_subtlv {
	CFN_EDGEMETA_SITE_PREFERENCE = 1,
	CFN_EDGEMETA_SITE_AVAILABILITY = 2,
	CFN_EDGEMETA_DELAY_PREDICTION = 3,
	CFN_EDGEMETA_RAW_MEASUREMENT = 4,
	CFN_EDGEMETA_SERVICE_CAPABILITY = 5,
	CFN_EDGEMETA_AVAILABLE_RESOURCE = 6,
	CFN_EDGEMETA_AS_SCOPE = 7,
};

/* Which of the sub-TLVs the CFN model uses were present. */
#define CFN_EDGEMETA_HAS_PREFERENCE (1u << 0)
#define CFN_EDGEMETA_HAS_AVAILABILITY (1u << 1)
#define CFN_EDGEMETA_HAS_CAPABILITY (1u << 2)

struct cfn_edgemeta {
	uint8_t present; /* CFN_EDGEMETA_HAS_* */
	uint32_t site_preference;
	uint16_t site_id;
	uint8_t availability; /* percent of the site in service, 0-100 */
	uint32_t capability;
	/* Well-formed sub-TLVs the CFN model has no use for (delay
	 * prediction, raw measurement, available resource, AS scope and
	 * types this code does not know): skipped, counted. */
	uint16_t n_skipped;
};

enum cfn_edgemeta_error {
	CFN_EDGEMETA_OK = 0,
	CFN_EDGEMETA_TRUNCATED,	  /* a sub-TLV runs past the value */
	CFN_EDGEMETA_BAD_LENGTH,  /* fixed-size sub-TLV of another size */
	CFN_EDGEMETA_BAD_PERCENT, /* availability above 100 % */
	CFN_EDGEMETA_DUPLICATE,	  /* a sub-TLV the model uses, twice */
	CFN_EDGEMETA_EMPTY,	  /* nothing the model can use */
	CFN_EDGEMETA_TOO_LONG,	  /* beyond CFN_EDGEMETA_MAX_LEN */
	CFN_EDGEMETA_BAD_FLAGS,	  /* not optional non-transitive */
	CFN_EDGEMETA_ERROR_COUNT
};

/* Short names for counters and logs, e.g. "bad-length". */
const char *cfn_edgemeta_error_name(enum cfn_edgemeta_error error);

/* Attribute flags (RFC 4271 4.3): optional and not transitive? */
bool cfn_edgemeta_flags_valid(uint8_t flags);

/* Decode an attribute value; *out is zeroed first, and stays so on error. */
enum cfn_edgemeta_error cfn_edgemeta_decode(const uint8_t *data, size_t len,
					    struct cfn_edgemeta *out);

/*
 * Encode the sub-TLVs present in meta into buf. Returns the length, or 0
 * when buflen is too small.
 */
size_t cfn_edgemeta_encode(const struct cfn_edgemeta *meta, uint8_t *buf,
			   size_t buflen);

bool cfn_edgemeta_equal(const struct cfn_edgemeta *a,
			const struct cfn_edgemeta *b);

/*
 * The Edge Metadata of a CFN egress: availability from its L2 score,
 * service capability from its capacity, Site-ID from its router ID.
 */
void cfn_edgemeta_from_attr(const struct cfn_attr *attr,
			    struct cfn_edgemeta *out);

/*
 * A CFN egress without instances from Edge Metadata; node_id identifies
 * the egress (the BGP next hop). L2 from availability, or else from the
 * site preference; capacity from the service capability.
 */
void cfn_edgemeta_to_attr(const struct cfn_edgemeta *meta, uint32_t node_id,
			  struct cfn_attr *out);

#endif /* CFN_EDGEMETA_H */
