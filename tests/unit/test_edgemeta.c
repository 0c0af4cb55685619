/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Edge Metadata codec: the draft's sub-TLVs, and malformed values refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cfn_edgemeta.h"

/* Site Preference 80, Site-ID 0x0102 at 75 %, capability 300, then an
 * AS-Scope sub-TLV the model skips; sub-TLV header: type (2), length (1). */
static const uint8_t sample[] = {
	0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x50, /* site preference */
	0x00, 0x02, 0x03, 0x01, 0x02, 0x4b,	  /* site availability */
	0x00, 0x05, 0x04, 0x00, 0x00, 0x01, 0x2c, /* service capability */
	0x00, 0x07, 0x04, 0x00, 0x00, 0xfd, 0xe8, /* AS scope */
};

static void decodes_the_used_subtlvs(void **state)
{
	struct cfn_edgemeta meta;

	assert_int_equal(cfn_edgemeta_decode(sample, sizeof(sample), &meta),
			 CFN_EDGEMETA_OK);
	assert_int_equal(meta.present, CFN_EDGEMETA_HAS_PREFERENCE |
					       CFN_EDGEMETA_HAS_AVAILABILITY |
					       CFN_EDGEMETA_HAS_CAPABILITY);
	assert_int_equal(meta.site_preference, 80);
	assert_int_equal(meta.site_id, 0x0102);
	assert_int_equal(meta.availability, 75);
	assert_int_equal(meta.capability, 300);
	assert_int_equal(meta.n_skipped, 1);
}

static void encodes_what_it_decodes(void **state)
{
	uint8_t buf[64];
	struct cfn_edgemeta meta;
	size_t len;

	assert_int_equal(cfn_edgemeta_decode(sample, sizeof(sample), &meta),
			 CFN_EDGEMETA_OK);
	len = cfn_edgemeta_encode(&meta, buf, sizeof(buf));
	/* the skipped AS-Scope sub-TLV is not re-encoded */
	assert_int_equal(len, sizeof(sample) - 7);
	assert_memory_equal(buf, sample, len);
	assert_int_equal(cfn_edgemeta_encode(&meta, buf, len - 1), 0);
}

static void expect_error(const uint8_t *data, size_t len,
			 enum cfn_edgemeta_error error)
{
	struct cfn_edgemeta meta;

	assert_int_equal(cfn_edgemeta_decode(data, len, &meta), error);
	assert_int_equal(meta.present, 0);
}

static void refuses_malformed_values(void **state)
{
	static const uint8_t short_header[] = {0x00, 0x01};
	static const uint8_t past_end[] = {0x00, 0x01, 0x04, 0x00, 0x00};
	static const uint8_t wrong_size[] = {0x00, 0x05, 0x02, 0x00, 0x01};
	static const uint8_t percent[] = {0x00, 0x02, 0x03, 0x00, 0x01, 101};
	static const uint8_t twice[] = {0x00, 0x05, 0x04, 0, 0, 0, 1,
					0x00, 0x05, 0x04, 0, 0, 0, 2};
	static const uint8_t only_skipped[] = {0x00, 0x03, 0x01, 0x07};
	static uint8_t huge[CFN_EDGEMETA_MAX_LEN + 1];

	expect_error(short_header, sizeof(short_header),
		     CFN_EDGEMETA_TRUNCATED);
	expect_error(past_end, sizeof(past_end), CFN_EDGEMETA_TRUNCATED);
	expect_error(wrong_size, sizeof(wrong_size), CFN_EDGEMETA_BAD_LENGTH);
	expect_error(percent, sizeof(percent), CFN_EDGEMETA_BAD_PERCENT);
	expect_error(twice, sizeof(twice), CFN_EDGEMETA_DUPLICATE);
	expect_error(only_skipped, sizeof(only_skipped), CFN_EDGEMETA_EMPTY);
	expect_error(NULL, 0, CFN_EDGEMETA_EMPTY);
	expect_error(huge, sizeof(huge), CFN_EDGEMETA_TOO_LONG);
	assert_string_equal(cfn_edgemeta_error_name(CFN_EDGEMETA_BAD_LENGTH),
			    "bad-length");
	/* optional non-transitive, Extended Length allowed */
	assert_true(cfn_edgemeta_flags_valid(0x80));
	assert_true(cfn_edgemeta_flags_valid(0x90));
	assert_false(cfn_edgemeta_flags_valid(0xc0));
	assert_false(cfn_edgemeta_flags_valid(0x40));
	assert_false(cfn_edgemeta_flags_valid(0x00));
}

static void maps_to_an_egress_without_instances(void **state)
{
	struct cfn_edgemeta meta = {.present = CFN_EDGEMETA_HAS_AVAILABILITY |
					       CFN_EDGEMETA_HAS_CAPABILITY,
				    .availability = 75,
				    .capability = 300};
	struct cfn_attr attr;

	cfn_edgemeta_to_attr(&meta, 0x0a000002, &attr);
	assert_int_equal(attr.node_id, 0x0a000002);
	assert_int_equal(attr.scores.l2, 8); /* 75 % to the nearest tenth */
	assert_int_equal(attr.scores.l1[0], CFN_SCORE_NONE);
	assert_int_equal(attr.capacity, 300);
	assert_int_equal(attr.n_instances, 0);
	assert_true(attr.site_level);

	meta.present = CFN_EDGEMETA_HAS_PREFERENCE;
	meta.site_preference = 1000; /* beyond 100: the best score */
	cfn_edgemeta_to_attr(&meta, 1, &attr);
	assert_int_equal(attr.scores.l2, CFN_SCORE_MAX);
	assert_int_equal(attr.capacity, 0);
}

static void maps_from_a_cfn_egress(void **state)
{
	struct cfn_attr attr = {
		.node_id = 0x0a000003, .scores = {.l2 = 6}, .capacity = 250};
	struct cfn_edgemeta meta, back;
	uint8_t buf[32];
	size_t len;

	cfn_edgemeta_from_attr(&attr, &meta);
	assert_int_equal(meta.site_id, 3);
	assert_int_equal(meta.availability, 60);
	assert_int_equal(meta.capability, 250);
	len = cfn_edgemeta_encode(&meta, buf, sizeof(buf));
	assert_int_equal(cfn_edgemeta_decode(buf, len, &back), CFN_EDGEMETA_OK);
	assert_true(cfn_edgemeta_equal(&meta, &back));

	attr.scores.l2 = CFN_SCORE_NONE; /* nothing measured: not available */
	cfn_edgemeta_from_attr(&attr, &meta);
	assert_int_equal(meta.availability, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decodes_the_used_subtlvs),
		cmocka_unit_test(encodes_what_it_decodes),
		cmocka_unit_test(refuses_malformed_values),
		cmocka_unit_test(maps_to_an_egress_without_instances),
		cmocka_unit_test(maps_from_a_cfn_egress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
