/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t cfn_family_addrlen(uint8_t family)
{
	switch (family) {
	case CFN_FAMILY_IPV4:
		return 4;
	case CFN_FAMILY_IPV6:
		return 16;
	}
	return 0;
}

static bool parse_length(const char *str, unsigned int max, unsigned int *len)
{
	char *end;
	unsigned long value;

	if (*str < '0' || *str > '9')
		return false;
	errno = 0;
	value = strtoul(str, &end, 10);
	if (errno || *end || value > max)
		return false;
	*len = (unsigned int)value;
	return true;
}

static bool host_bits_clear(const struct cfn_prefix *prefix)
{
	size_t addrlen = cfn_family_addrlen(prefix->family);

	for (size_t bit = prefix->len; bit < addrlen * 8; bit++)
		if (prefix->addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

bool cfn_prefix_parse(const char *str, struct cfn_prefix *out, char *err,
		      size_t errlen)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(str, '/');
	size_t addrstrlen = slash ? (size_t)(slash - str) : strlen(str);
	struct cfn_prefix prefix = {};
	unsigned int len;

	if (addrstrlen >= sizeof(addr)) {
		snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 prefix",
			 str);
		return false;
	}
	memcpy(addr, str, addrstrlen);
	addr[addrstrlen] = '\0';

	if (inet_pton(AF_INET, addr, prefix.addr) == 1)
		prefix.family = CFN_FAMILY_IPV4;
	else if (inet_pton(AF_INET6, addr, prefix.addr) == 1)
		prefix.family = CFN_FAMILY_IPV6;
	else {
		snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 prefix",
			 str);
		return false;
	}

	len = cfn_family_addrlen(prefix.family) * 8;
	if (slash && !parse_length(slash + 1, len, &len)) {
		snprintf(err, errlen, "'%s': prefix length must be 0..%zu", str,
			 cfn_family_addrlen(prefix.family) * 8);
		return false;
	}
	prefix.len = (uint8_t)len;

	if (!host_bits_clear(&prefix)) {
		snprintf(err, errlen, "'%s' has host bits set beyond /%u", str,
			 len);
		return false;
	}
	*out = prefix;
	return true;
}

static void format_ipv4(const uint8_t *addr, char *out, size_t outlen)
{
	snprintf(out, outlen, "%u.%u.%u.%u", addr[0], addr[1], addr[2],
		 addr[3]);
}

/* The longest run of two or more zero groups, the first of equals. */
static void longest_zero_run(const uint16_t groups[8], size_t *start,
			     size_t *len)
{
	*start = 8;
	*len = 0;
	for (size_t i = 0; i < 8;) {
		size_t run = 0;

		while (i + run < 8 && groups[i + run] == 0)
			run++;
		if (run >= 2 && run > *len) {
			*start = i;
			*len = run;
		}
		i += run ? run : 1;
	}
}

/*
 * RFC 5952 text: lower-case hex without leading zeros, "::" for the
 * longest run of zero groups, IPv4-mapped addresses as ::ffff:a.b.c.d.
 * Written out rather than left to inet_ntop, since bgpd links libfrr,
 * whose inet_ntop replaces libc's and prints ::ffff:a09:301.
 */
static void format_ipv6(const uint8_t *addr, char *out, size_t outlen)
{
	static const uint8_t mapped_prefix[12] = {[10] = 0xff, [11] = 0xff};
	uint16_t groups[8];
	size_t run_start, run_len, pos = 0;

	if (memcmp(addr, mapped_prefix, sizeof(mapped_prefix)) == 0) {
		char ipv4[INET_ADDRSTRLEN];

		format_ipv4(addr + 12, ipv4, sizeof(ipv4));
		snprintf(out, outlen, "::ffff:%s", ipv4);
		return;
	}
	for (size_t i = 0; i < 8; i++)
		groups[i] = (uint16_t)(addr[2 * i] << 8 | addr[2 * i + 1]);
	longest_zero_run(groups, &run_start, &run_len);
	out[0] = '\0';
	for (size_t i = 0; i < 8 && pos < outlen; i++) {
		if (i == run_start) {
			pos += (size_t)snprintf(out + pos, outlen - pos, "::");
			i += run_len - 1;
		} else {
			bool colon = i > 0 && out[pos - 1] != ':';

			pos += (size_t)snprintf(out + pos, outlen - pos, "%s%x",
						colon ? ":" : "", groups[i]);
		}
	}
}

static bool prefix_covers(const struct cfn_prefix *net,
			  const struct cfn_prefix *addr)
{
	size_t whole = net->len / 8;
	unsigned int rest = net->len % 8;
	uint8_t mask = (uint8_t)(0xff00 >> rest);

	return net->family == addr->family &&
	       memcmp(net->addr, addr->addr, whole) == 0 &&
	       (!rest || ((net->addr[whole] ^ addr->addr[whole]) & mask) == 0);
}

/* Addresses that cannot name an instance; the first match tells why. */
static const struct non_host {
	struct cfn_prefix net;
	const char *what;
} non_hosts[] = {
	{{CFN_FAMILY_IPV4, 8, {0}}, "unspecified (0.0.0.0/8)"},
	{{CFN_FAMILY_IPV4, 8, {127}}, "loopback"},
	{{CFN_FAMILY_IPV4, 16, {169, 254}}, "link-local"},
	{{CFN_FAMILY_IPV4, 4, {224}}, "multicast"},
	{{CFN_FAMILY_IPV4, 32, {255, 255, 255, 255}}, "limited broadcast"},
	{{CFN_FAMILY_IPV4, 4, {240}}, "reserved (240.0.0.0/4)"},
	{{CFN_FAMILY_IPV6, 128, {0}}, "unspecified"},
	{{CFN_FAMILY_IPV6, 128, {[15] = 1}}, "loopback"},
	{{CFN_FAMILY_IPV6, 96, {[10] = 0xff, [11] = 0xff}},
	 "IPv4-mapped (give the IPv4 address)"},
	{{CFN_FAMILY_IPV6, 10, {0xfe, 0x80}}, "link-local"},
	{{CFN_FAMILY_IPV6, 8, {0xff}}, "multicast"},
};

bool cfn_bid_valid(const struct cfn_prefix *bid, const char **why)
{
	const char *reason = NULL;

	if (bid->len != cfn_family_addrlen(bid->family) * 8)
		reason = "a prefix (give no length, /32 or /128)";
	for (size_t i = 0;
	     !reason && i < sizeof(non_hosts) / sizeof(*non_hosts); i++)
		if (prefix_covers(&non_hosts[i].net, bid))
			reason = non_hosts[i].what;
	if (why)
		*why = reason;
	return !reason;
}

bool cfn_bid_parse(const char *str, struct cfn_prefix *out, char *err,
		   size_t errlen)
{
	struct cfn_prefix bid;
	const char *why;

	if (!cfn_prefix_parse(str, &bid, err, errlen))
		return false;
	if (!cfn_bid_valid(&bid, &why)) {
		snprintf(err, errlen, "'%s' is not a host address: %s", str,
			 why);
		return false;
	}
	*out = bid;
	return true;
}

char *cfn_prefix_format(const struct cfn_prefix *prefix, char *buf,
			size_t buflen)
{
	char addr[INET6_ADDRSTRLEN];

	if (prefix->family == CFN_FAMILY_IPV6)
		format_ipv6(prefix->addr, addr, sizeof(addr));
	else
		format_ipv4(prefix->addr, addr, sizeof(addr));
	snprintf(buf, buflen, "%s/%u", addr, prefix->len);
	return buf;
}

int cfn_prefix_cmp(const struct cfn_prefix *a, const struct cfn_prefix *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->addr, b->addr, cfn_family_addrlen(a->family));
}

bool cfn_prefix_equal(const struct cfn_prefix *a, const struct cfn_prefix *b)
{
	return cfn_prefix_cmp(a, b) == 0;
}
