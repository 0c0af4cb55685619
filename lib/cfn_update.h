/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A read-only walk over the body of a BGP UPDATE message (RFC 4271,
 * RFC 4760 for IPv6 unicast): which unicast prefixes it withdraws and
 * announces, and the value of one path attribute. The module uses it
 * for attributes bgpd drops unread (optional non-transitive ones, such
 * as Edge Metadata). Without ADD-PATH path identifiers.
 */
#ifndef CFN_UPDATE_H
#define CFN_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfn_prefix.h"

enum cfn_update_error {
	CFN_UPDATE_OK = 0,
	CFN_UPDATE_MALFORMED, /* bgpd itself deals with such an UPDATE */
};

/* A run of prefixes of one family in the message. */
struct cfn_update_block {
	const uint8_t *data;
	size_t len;
	uint8_t family; /* enum cfn_family */
};

enum cfn_update_block_id {
	CFN_UPDATE_WITHDRAWN,  /* IPv4, Withdrawn Routes */
	CFN_UPDATE_MP_UNREACH, /* IPv6 unicast, MP_UNREACH_NLRI */
	CFN_UPDATE_MP_REACH,   /* IPv6 unicast, MP_REACH_NLRI */
	CFN_UPDATE_NLRI,       /* IPv4, Network Layer Reachability Info */
	CFN_UPDATE_BLOCK_COUNT
};

struct cfn_update {
	struct cfn_update_block blocks[CFN_UPDATE_BLOCK_COUNT];
	/* the value of the attribute asked for, or NULL */
	const uint8_t *attr_value;
	size_t attr_len;
	uint8_t attr_flags;
};

typedef void (*cfn_update_prefix_fn)(void *arg, const struct cfn_prefix *p,
				     bool withdrawn);

/*
 * Check the UPDATE's framing and find attribute attr_type in it; then
 * call fn for each IPv4 and IPv6 unicast prefix it withdraws or
 * announces. Nothing is called for a malformed UPDATE.
 */
enum cfn_update_error cfn_update_scan(const uint8_t *body, size_t len,
				      uint8_t attr_type,
				      struct cfn_update *out);
void cfn_update_prefixes(const struct cfn_update *update,
			 cfn_update_prefix_fn fn, void *arg);

#endif /* CFN_UPDATE_H */
