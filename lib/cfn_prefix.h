/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IPv4/IPv6 prefixes as the CFN core sees them: service IDs (SIDs) are
 * anycast prefixes, binding IDs (BIDs) are host addresses.
 */
#ifndef CFN_PREFIX_H
#define CFN_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cfn_family {
	CFN_FAMILY_IPV4 = 4,
	CFN_FAMILY_IPV6 = 6,
};

struct cfn_prefix {
	uint8_t family; /* enum cfn_family */
	uint8_t len;	/* prefix length in bits */
	uint8_t addr[16];
};

/* "2001:db8::1/128" is 43 characters; leave room for a terminator. */
#define CFN_PREFIX_STRLEN 44

/*
 * Parse "ADDR/LEN" or a bare "ADDR" (a host prefix). Host bits must be
 * zero: an operator who typed 192.0.2.1/24 almost certainly meant
 * something else, and silently masking would hide the mistake.
 * On failure returns false and writes the reason into err.
 */
bool cfn_prefix_parse(const char *str, struct cfn_prefix *out, char *err,
		      size_t errlen);

/*
 * Whether a prefix can be a binding ID: a host prefix (/32, /128) of an
 * address that can name one instance behind this node. Refused: the
 * unspecified address and 0.0.0.0/8, loopback, link-local, multicast,
 * 240.0.0.0/4 (limited broadcast included) and IPv4-mapped IPv6. The
 * network and broadcast addresses of a subnet are not: the node does not
 * know the instance's subnet, and in a /31 or a wider subnet they may be
 * hosts. On false, *why (if not NULL) says what the address is.
 */
bool cfn_bid_valid(const struct cfn_prefix *bid, const char **why);

/*
 * Parse a binding ID, "ADDR" or "ADDR/32" ("ADDR/128"), and check it
 * with cfn_bid_valid. On failure returns false with the reason in err.
 */
bool cfn_bid_parse(const char *str, struct cfn_prefix *out, char *err,
		   size_t errlen);

/* Format as "ADDR/LEN"; returns buf. */
char *cfn_prefix_format(const struct cfn_prefix *prefix, char *buf,
			size_t buflen);

int cfn_prefix_cmp(const struct cfn_prefix *a, const struct cfn_prefix *b);
bool cfn_prefix_equal(const struct cfn_prefix *a, const struct cfn_prefix *b);

/* Address length in bytes of a family (4 or 16), 0 when unknown. */
size_t cfn_family_addrlen(uint8_t family);

#endif /* CFN_PREFIX_H */
