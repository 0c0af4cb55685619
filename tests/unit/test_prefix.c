/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <stdio.h>

#include <cmocka.h>

#include "cfn_prefix.h"

/*
 * bgpd links libfrr, whose inet_ntop replaces libc's and prints no mixed
 * notation: this stand-in is as unhelpful (every group, in hex), so the
 * formatter is tested as it runs in bgpd.
 */
const char *inet_ntop(int af, const void *src, char *dst, socklen_t size)
{
	const uint8_t *a = src;

	if (af == AF_INET)
		snprintf(dst, size, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	else
		snprintf(dst, size, "%x:%x:%x:%x:%x:%x:%x:%x", a[0] << 8 | a[1],
			 a[2] << 8 | a[3], a[4] << 8 | a[5], a[6] << 8 | a[7],
			 a[8] << 8 | a[9], a[10] << 8 | a[11],
			 a[12] << 8 | a[13], a[14] << 8 | a[15]);
	return dst;
}

static void assert_roundtrip(const char *in, const char *expected)
{
	struct cfn_prefix prefix;
	char err[128] = "";
	char out[CFN_PREFIX_STRLEN];

	assert_true(cfn_prefix_parse(in, &prefix, err, sizeof(err)));
	assert_string_equal(cfn_prefix_format(&prefix, out, sizeof(out)),
			    expected);
}

static void assert_rejected(const char *in, const char *reason_part)
{
	struct cfn_prefix prefix = {.family = 99};
	char err[128] = "";

	assert_false(cfn_prefix_parse(in, &prefix, err, sizeof(err)));
	assert_non_null(strstr(err, reason_part));
	assert_int_equal(prefix.family, 99); /* output untouched */
}

static void test_parse_ipv4(void **state)
{
	assert_roundtrip("198.51.100.10/32", "198.51.100.10/32");
	assert_roundtrip("10.0.0.0/8", "10.0.0.0/8");
	assert_roundtrip("0.0.0.0/0", "0.0.0.0/0");
	assert_roundtrip("192.0.2.7", "192.0.2.7/32");
}

static void test_parse_ipv6(void **state)
{
	assert_roundtrip("2001:db8::1/128", "2001:db8::1/128");
	assert_roundtrip("2001:db8:100::/48", "2001:db8:100::/48");
	assert_roundtrip("2001:db8::5", "2001:db8::5/128");
}

/* RFC 5952: mixed notation for IPv4-mapped, "::" for the longest run. */
static void test_format_rfc5952(void **state)
{
	assert_roundtrip("::ffff:10.9.3.1", "::ffff:10.9.3.1/128");
	assert_roundtrip("::ffff:a09:301", "::ffff:10.9.3.1/128");
	assert_roundtrip("::/0", "::/0");
	assert_roundtrip("::1", "::1/128");
	assert_roundtrip("2001:db8::", "2001:db8::/128");
	assert_roundtrip("2001:0db8:0:0:1:0:0:1", "2001:db8::1:0:0:1/128");
	assert_roundtrip("2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::/128");
	assert_roundtrip("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1/128");
	assert_roundtrip("2001:DB8:AB::C", "2001:db8:ab::c/128");
	assert_roundtrip("fe80:1:2:3:4:5:6:7", "fe80:1:2:3:4:5:6:7/128");
	assert_roundtrip("::ffff:0:0/96", "::ffff:0.0.0.0/96");
	assert_roundtrip("255.255.255.255", "255.255.255.255/32");
}

static void test_parse_rejects(void **state)
{
	assert_rejected("198.51.100.10/33", "prefix length must be 0..32");
	assert_rejected("2001:db8::/129", "prefix length must be 0..128");
	assert_rejected("198.51.100.10/", "prefix length");
	assert_rejected("198.51.100.10/-1", "prefix length");
	assert_rejected("198.51.100.10/3x", "prefix length");
	assert_rejected("192.0.2.1/24", "host bits set beyond /24");
	assert_rejected("2001:db8::1/64", "host bits set");
	assert_rejected("video", "not an IPv4 or IPv6 prefix");
	assert_rejected("", "not an IPv4 or IPv6 prefix");
	assert_rejected("1.2.3.4.5/32", "not an IPv4 or IPv6 prefix");
	assert_rejected("11111111111111111111111111111111111111111111111/8",
			"not an IPv4 or IPv6 prefix");
}

static void test_compare(void **state)
{
	struct cfn_prefix a, b, c;
	char err[64];

	assert_true(cfn_prefix_parse("10.0.0.0/8", &a, err, sizeof(err)));
	assert_true(cfn_prefix_parse("10.0.0.0/16", &b, err, sizeof(err)));
	assert_true(cfn_prefix_parse("::/8", &c, err, sizeof(err)));
	assert_true(cfn_prefix_cmp(&a, &b) < 0);
	assert_true(cfn_prefix_cmp(&b, &a) > 0);
	assert_true(cfn_prefix_cmp(&a, &c) < 0); /* IPv4 sorts first */
	assert_true(cfn_prefix_equal(&a, &a));
	assert_false(cfn_prefix_equal(&a, &b));
	assert_int_equal(cfn_family_addrlen(CFN_FAMILY_IPV4), 4);
	assert_int_equal(cfn_family_addrlen(CFN_FAMILY_IPV6), 16);
	assert_int_equal(cfn_family_addrlen(0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ipv4),
		cmocka_unit_test(test_parse_ipv6),
		cmocka_unit_test(test_format_rfc5952),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_compare),
	};

	return cmocka_run_group_tests_name("prefix", tests, NULL, NULL);
}
