/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The UPDATE walk: prefixes withdrawn and announced, one attribute found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cfn_update.h"

/* Withdraws 10.9.0.0/16; ORIGIN, Edge Metadata (flags 0x80, code 42,
 * 4 octets), MP_UNREACH of 2001:db8:1::/48, MP_REACH of 2001:db8::/32;
 * announces 198.51.100.20/32 and 203.0.113.0/24. */
static const uint8_t update[] = {
	0x00, 0x03, 16,	  10,	9,		  /* withdrawn */
	0x00, 53,				  /* attrs */
	0x40, 1,    1,	  0,			  /* ORIGIN */
	0x80, 42,   4,	  0xde, 0xad, 0xbe, 0xef, /* type 42 */
	0x80, 15,   10,	  0x00, 0x02, 1,    48,	  0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x01, 0x80, 14,	26,   0x00, 0x02, 1,	16,   0xfe, 0x80,
	0,    0,    0,	  0,	0,    0,    0,	  0,	0,    0,    0,
	0,    0,    1,	  0,	32,   0x20, 0x01, 0x0d, 0xb8, /* MP_REACH */
	32,   198,  51,	  100,	20,   24,   203,  0,	113,  /* NLRI */
};

struct seen {
	char text[8][64];
	int count;
};

static void record(void *arg, const struct cfn_prefix *p, bool withdrawn)
{
	struct seen *seen = arg;
	char buf[CFN_PREFIX_STRLEN];

	cfn_prefix_format(p, buf, sizeof(buf));
	snprintf(seen->text[seen->count++], sizeof(seen->text[0]), "%s %s",
		 withdrawn ? "-" : "+", buf);
}

static void walks_prefixes_and_finds_the_attribute(void **state)
{
	struct cfn_update u;
	struct seen seen = {};

	assert_int_equal(cfn_update_scan(update, sizeof(update), 42, &u),
			 CFN_UPDATE_OK);
	assert_int_equal(u.attr_len, 4);
	assert_int_equal(u.attr_flags, 0x80);
	assert_memory_equal(u.attr_value, "\xde\xad\xbe\xef", 4);
	cfn_update_prefixes(&u, record, &seen);
	assert_int_equal(seen.count, 5);
	assert_string_equal(seen.text[0], "- 10.9.0.0/16");
	assert_string_equal(seen.text[1], "- 2001:db8:1::/48");
	assert_string_equal(seen.text[2], "+ 2001:db8::/32");
	assert_string_equal(seen.text[3], "+ 198.51.100.20/32");
	assert_string_equal(seen.text[4], "+ 203.0.113.0/24");

	assert_int_equal(cfn_update_scan(update, sizeof(update), 99, &u),
			 CFN_UPDATE_OK);
	assert_null(u.attr_value);
}

static void refuses_broken_framing(void **state)
{
	uint8_t copy[sizeof(update)];
	struct cfn_update u;

	/* every truncation is refused, and leaves nothing to walk */
	for (size_t len = 0; len < sizeof(update) - 9; len++)
		assert_int_equal(cfn_update_scan(update, len, 42, &u),
				 CFN_UPDATE_MALFORMED);
	memcpy(copy, update, sizeof(copy));
	copy[2] = 33; /* an IPv4 prefix longer than 32 bits */
	assert_int_equal(cfn_update_scan(copy, sizeof(copy), 42, &u),
			 CFN_UPDATE_MALFORMED);
	memcpy(copy, update, sizeof(copy));
	copy[13] = 200; /* type 42's length runs past the attributes */
	assert_int_equal(cfn_update_scan(copy, sizeof(copy), 42, &u),
			 CFN_UPDATE_MALFORMED);
	assert_null(u.attr_value);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(walks_prefixes_and_finds_the_attribute),
		cmocka_unit_test(refuses_broken_framing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
