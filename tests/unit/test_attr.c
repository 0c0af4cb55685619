/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The CFN attribute codec: round trips, and every malformation refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cfn_attr.h"

static struct cfn_prefix host(const char *str)
{
	struct cfn_prefix prefix;
	char err[64];

	assert_true(cfn_prefix_parse(str, &prefix, err, sizeof(err)));
	return prefix;
}

static struct cfn_instance_info instances[3];
static const struct cfn_metric_value metrics0[] = {
	{CFN_METRIC_CPU_UTIL, CFN_STAT_MEAN, 6000},
	{CFN_METRIC_QUEUE_DEPTH, CFN_STAT_CURRENT, 12}};
static const struct cfn_metric_value metrics2[] = {
	{CFN_METRIC_PROC_DELAY, CFN_STAT_MAX, 2500}};

static struct cfn_attr sample(void)
{
	struct cfn_attr attr = {
		.node_id = 0x0a000001,
		.sequence = 7,
		.scores = {.l2 = 6, .l1 = {5, CFN_SCORE_NONE, 8}},
		.capacity = 300,
		.n_instances = 3,
		.instances = instances,
	};

	memset(instances, 0, sizeof(instances));
	instances[0] = (struct cfn_instance_info){
		.bid = host("10.1.0.11"),
		.capacity = 100,
		.scores = {.l2 = 4, .l1 = {4, CFN_SCORE_NONE, 5}},
		.metrics = {.count = 2, .values = metrics0},
	};
	instances[1] = (struct cfn_instance_info){
		.bid = host("10.1.0.12"),
		.flags = CFN_INSTANCE_STALE,
		.capacity = 200,
		.scores = {.l2 = 7, .l1 = {7, CFN_SCORE_NONE, CFN_SCORE_NONE}},
	};
	instances[2] = (struct cfn_instance_info){
		.bid = host("2001:db8::12"),
		.capacity = 0,
		.scores = {.l2 = 10,
			   .l1 = {CFN_SCORE_NONE, CFN_SCORE_NONE,
				  CFN_SCORE_NONE}},
		.metrics = {.count = 1, .values = metrics2},
	};
	return attr;
}

static void test_roundtrip(void **state)
{
	struct cfn_attr in = sample(), out;
	uint8_t buf[CFN_ATTR_MAX_LEN];
	size_t len = cfn_attr_encode(&in, true, buf, sizeof(buf));

	/* header 2 + egress 3+16 + inst 3+10+4+2*11 + 3+10+4 + 3+10+16+11 */
	assert_int_equal(len, 2 + 19 + 39 + 17 + 40);
	assert_int_equal(cfn_attr_decode(buf, len, &out), CFN_DECODE_OK);
	assert_true(cfn_attr_equal(&in, &out));
	assert_int_equal(out.node_id, 0x0a000001);
	assert_int_equal(out.sequence, 7);
	assert_int_equal(out.instances[2].bid.family, CFN_FAMILY_IPV6);
	assert_int_equal(out.instances[2].bid.len, 128);
	assert_int_equal(out.instances[1].flags, CFN_INSTANCE_STALE);
	assert_int_equal(out.instances[0].flags, 0);
	cfn_attr_free(&out);
	assert_null(out.instances);
}

static void test_roundtrip_without_metrics(void **state)
{
	struct cfn_attr in = sample(), out;
	uint8_t buf[CFN_ATTR_MAX_LEN];
	size_t len = cfn_attr_encode(&in, false, buf, sizeof(buf));

	assert_int_equal(len, 2 + 19 + 17 + 17 + 29);
	assert_int_equal(cfn_attr_decode(buf, len, &out), CFN_DECODE_OK);
	assert_int_equal(out.n_instances, 3);
	assert_int_equal(out.instances[0].metrics.count, 0);
	assert_int_equal(out.instances[0].scores.l2, 4);
	cfn_attr_free(&out);
}

static void test_drain_flags_roundtrip(void **state)
{
	struct cfn_attr in = sample(), out;
	uint8_t buf[CFN_ATTR_MAX_LEN];
	size_t len;

	in.flags = CFN_ATTR_DRAINING;
	instances[0].flags = CFN_INSTANCE_DRAINING | CFN_INSTANCE_STALE;
	len = cfn_attr_encode(&in, true, buf, sizeof(buf));
	assert_int_equal(buf[1], CFN_ATTR_DRAINING); /* the header's flags */
	assert_int_equal(cfn_attr_decode(buf, len, &out), CFN_DECODE_OK);
	assert_true(cfn_attr_equal(&in, &out));
	assert_int_equal(out.flags, CFN_ATTR_DRAINING);
	assert_int_equal(out.instances[0].flags,
			 CFN_INSTANCE_DRAINING | CFN_INSTANCE_STALE);
	/* a flag is a change: the receiver's view takes it */
	out.flags = 0;
	assert_false(cfn_attr_equal(&in, &out));
	cfn_attr_free(&out);
}

static void test_decoder_sorts_instances(void **state)
{
	struct cfn_attr in = sample(), out;
	struct cfn_instance_info swap = instances[0];
	uint8_t buf[CFN_ATTR_MAX_LEN];
	size_t len;

	instances[0] = instances[2];
	instances[2] = swap;
	len = cfn_attr_encode(&in, true, buf, sizeof(buf));
	assert_int_equal(cfn_attr_decode(buf, len, &out), CFN_DECODE_OK);
	assert_int_equal(out.instances[0].bid.family, CFN_FAMILY_IPV4);
	assert_int_equal(out.instances[0].bid.addr[3], 11);
	assert_int_equal(out.instances[2].bid.family, CFN_FAMILY_IPV6);
	cfn_attr_free(&out);
}

static void test_encode_buffer_too_small(void **state)
{
	struct cfn_attr in = sample();
	uint8_t buf[CFN_ATTR_MAX_LEN];
	size_t full = cfn_attr_encode(&in, true, buf, sizeof(buf));

	for (size_t len = 0; len < full; len++)
		assert_int_equal(cfn_attr_encode(&in, true, buf, len), 0);
	assert_int_equal(cfn_attr_encode(&in, true, buf, full), full);
}

static void test_every_truncation_refused(void **state)
{
	struct cfn_attr in = sample(), out;
	uint8_t buf[CFN_ATTR_MAX_LEN];
	size_t full = cfn_attr_encode(&in, true, buf, sizeof(buf));

	/* no prefix of a valid attribute is valid, except TLV boundaries
	 * that cut whole instance TLVs off (that is a smaller attribute) */
	for (size_t len = 0; len < full; len++) {
		enum cfn_decode_error error = cfn_attr_decode(buf, len, &out);

		if (error == CFN_DECODE_OK) {
			assert_true(out.n_instances < 3);
			cfn_attr_free(&out);
			continue;
		}
		assert_null(out.instances);
		assert_int_equal(out.n_instances, 0);
	}
}

/* Builders for hand-made attributes. */
struct bytes {
	uint8_t b[512];
	size_t len;
};

static void put(struct bytes *x, const void *data, size_t n)
{
	memcpy(x->b + x->len, data, n);
	x->len += n;
}

#define PUT(x, ...)                                                            \
	put(x, (uint8_t[]){__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__}))

static void header(struct bytes *x)
{
	x->len = 0;
	PUT(x, CFN_ATTR_VERSION, 0);
}

static void egress(struct bytes *x, uint8_t l2)
{
	PUT(x, CFN_TLV_EGRESS, 0, 16, 10, 0, 0, 2, 0, 0, 0, 1, l2, 5, 255, 5, 0,
	    0, 1, 0);
}

static void instance4(struct bytes *x, uint8_t last_octet, uint8_t l2)
{
	PUT(x, CFN_TLV_INSTANCE, 0, 14, 1, 0, l2, 5, 255, 5, 0, 0, 0, 10, 10, 1,
	    0, last_octet);
}

static enum cfn_decode_error decode(const struct bytes *x)
{
	struct cfn_attr out;
	enum cfn_decode_error error = cfn_attr_decode(x->b, x->len, &out);

	if (error == CFN_DECODE_OK)
		cfn_attr_free(&out);
	else
		assert_null(out.instances);
	return error;
}

static void test_minimal_valid(void **state)
{
	struct bytes x;
	struct cfn_attr out;

	header(&x);
	egress(&x, 9);
	instance4(&x, 11, 3);
	assert_int_equal(cfn_attr_decode(x.b, x.len, &out), CFN_DECODE_OK);
	assert_int_equal(out.node_id, 0x0a000002);
	assert_int_equal(out.sequence, 1);
	assert_int_equal(out.scores.l2, 9);
	assert_int_equal(out.capacity, 256);
	assert_int_equal(out.n_instances, 1);
	assert_int_equal(out.instances[0].capacity, 10);
	assert_int_equal(out.instances[0].bid.addr[3], 11);
	cfn_attr_free(&out);
}

static void test_unknown_tlvs_skipped(void **state)
{
	struct bytes x;
	struct cfn_attr out;

	header(&x);
	PUT(&x, 200, 0, 3, 1, 2, 3); /* unknown TLV before the egress */
	egress(&x, 9);
	/* instance with an unknown sub-TLV and an unknown metric type */
	PUT(&x, CFN_TLV_INSTANCE, 0, 14 + 5 + 11 + 11, 1, 0, 3, 5, 255, 5, 0, 0,
	    0, 10, 10, 1, 0, 11, 77, 0, 2, 0xaa, 0xbb, CFN_SUBTLV_METRIC, 0, 8,
	    0x01, 0x00, 0, 0, 0, 0, 0, 1, CFN_SUBTLV_METRIC, 0, 8, 0,
	    CFN_METRIC_CPU_UTIL, 1, 0, 0, 0, 0x13, 0x88);
	PUT(&x, 201, 0, 0); /* empty unknown TLV at the end */
	assert_int_equal(cfn_attr_decode(x.b, x.len, &out), CFN_DECODE_OK);
	assert_int_equal(out.n_instances, 1);
	assert_int_equal(out.instances[0].metrics.count, 1);
	assert_int_equal(out.instances[0].metrics.values[0].raw, 5000);
	cfn_attr_free(&out);
}

static void test_egress_trailing_octets_accepted(void **state)
{
	struct bytes x;

	header(&x);
	PUT(&x, CFN_TLV_EGRESS, 0, 18, 10, 0, 0, 2, 0, 0, 0, 1, 9, 5, 255, 5, 0,
	    0, 1, 0, 0xee, 0xee);
	assert_int_equal(decode(&x), CFN_DECODE_OK);
}

static void test_malformed(void **state)
{
	struct bytes x;

	x.len = 0;
	assert_int_equal(decode(&x), CFN_DECODE_TRUNCATED);
	PUT(&x, CFN_ATTR_VERSION);
	assert_int_equal(decode(&x), CFN_DECODE_TRUNCATED);

	header(&x);
	x.b[0] = 2;
	egress(&x, 9);
	assert_int_equal(decode(&x), CFN_DECODE_BAD_VERSION);

	header(&x);
	assert_int_equal(decode(&x), CFN_DECODE_MISSING_EGRESS);
	instance4(&x, 1, 1);
	assert_int_equal(decode(&x), CFN_DECODE_MISSING_EGRESS);

	header(&x);
	egress(&x, 9);
	egress(&x, 9);
	assert_int_equal(decode(&x), CFN_DECODE_DUPLICATE_EGRESS);

	header(&x);
	egress(&x, 11); /* L2 above 10 */
	assert_int_equal(decode(&x), CFN_DECODE_BAD_SCORE);
	header(&x);
	egress(&x, 255); /* L2 cannot be "none" */
	assert_int_equal(decode(&x), CFN_DECODE_BAD_SCORE);

	header(&x);
	PUT(&x, CFN_TLV_EGRESS, 0, 11, 10, 0, 0, 2, 0, 0, 0, 1, 9, 5, 255);
	assert_int_equal(decode(&x), CFN_DECODE_BAD_LENGTH);

	header(&x); /* TLV length runs past the end */
	PUT(&x, CFN_TLV_EGRESS, 0, 17, 10, 0, 0, 2, 0, 0, 0, 1, 9, 5, 255, 5, 0,
	    0, 1, 0);
	assert_int_equal(decode(&x), CFN_DECODE_TRUNCATED);

	header(&x); /* TLV header cut */
	egress(&x, 9);
	PUT(&x, CFN_TLV_INSTANCE, 0);
	assert_int_equal(decode(&x), CFN_DECODE_TRUNCATED);
}

static void test_malformed_instances(void **state)
{
	struct bytes x;

	header(&x);
	egress(&x, 9);
	instance4(&x, 11, 3);
	instance4(&x, 11, 4);
	assert_int_equal(decode(&x), CFN_DECODE_DUPLICATE_INSTANCE);

	header(&x);
	egress(&x, 9);
	instance4(&x, 11, 12);
	assert_int_equal(decode(&x), CFN_DECODE_BAD_SCORE);

	header(&x);
	egress(&x, 9);
	PUT(&x, CFN_TLV_INSTANCE, 0, 14, 3, 0, 3, 5, 255, 5, 0, 0, 0, 10, 10, 1,
	    0, 11); /* address family 3 */
	assert_int_equal(decode(&x), CFN_DECODE_BAD_FAMILY);

	header(&x);
	egress(&x, 9);
	PUT(&x, CFN_TLV_INSTANCE, 0, 14, 2, 0, 3, 5, 255, 5, 0, 0, 0, 10, 10, 1,
	    0, 11); /* IPv6 with a 4-octet address */
	assert_int_equal(decode(&x), CFN_DECODE_BAD_LENGTH);

	header(&x);
	egress(&x, 9);
	PUT(&x, CFN_TLV_INSTANCE, 0, 9, 1, 0, 3, 5, 255, 5, 0, 0, 0);
	assert_int_equal(decode(&x), CFN_DECODE_BAD_LENGTH);

	header(&x); /* utilisation 100.01 % */
	egress(&x, 9);
	PUT(&x, CFN_TLV_INSTANCE, 0, 25, 1, 0, 3, 5, 255, 5, 0, 0, 0, 10, 10, 1,
	    0, 11, CFN_SUBTLV_METRIC, 0, 8, 0, CFN_METRIC_CPU_UTIL, 0, 0, 0, 0,
	    0x27, 0x11);
	assert_int_equal(decode(&x), CFN_DECODE_BAD_METRIC);

	header(&x); /* metric sub-TLV of the wrong length */
	egress(&x, 9);
	PUT(&x, CFN_TLV_INSTANCE, 0, 24, 1, 0, 3, 5, 255, 5, 0, 0, 0, 10, 10, 1,
	    0, 11, CFN_SUBTLV_METRIC, 0, 7, 0, CFN_METRIC_CPU_UTIL, 0, 0, 0, 0,
	    1);
	assert_int_equal(decode(&x), CFN_DECODE_BAD_LENGTH);

	header(&x); /* the same metric and statistic twice */
	egress(&x, 9);
	PUT(&x, CFN_TLV_INSTANCE, 0, 36, 1, 0, 3, 5, 255, 5, 0, 0, 0, 10, 10, 1,
	    0, 11, CFN_SUBTLV_METRIC, 0, 8, 0, CFN_METRIC_CPU_UTIL, 0, 0, 0, 0,
	    0, 1, CFN_SUBTLV_METRIC, 0, 8, 0, CFN_METRIC_CPU_UTIL, 0, 0, 0, 0,
	    0, 2);
	assert_int_equal(decode(&x), CFN_DECODE_DUPLICATE_METRIC);

	header(&x); /* sub-TLV runs past its instance */
	egress(&x, 9);
	PUT(&x, CFN_TLV_INSTANCE, 0, 17, 1, 0, 3, 5, 255, 5, 0, 0, 0, 10, 10, 1,
	    0, 11, CFN_SUBTLV_METRIC, 0, 8);
	assert_int_equal(decode(&x), CFN_DECODE_TRUNCATED);
}

static void test_too_many_instances(void **state)
{
	static uint8_t buf[CFN_ATTR_MAX_INSTANCES * 17 + 64];
	struct bytes x;
	size_t len;

	header(&x);
	egress(&x, 9);
	memcpy(buf, x.b, x.len);
	len = x.len;
	for (unsigned int i = 0; i <= CFN_ATTR_MAX_INSTANCES; i++) {
		x.len = 0;
		instance4(&x, (uint8_t)i, 3);
		x.b[x.len - 2] = (uint8_t)(i >> 8);
		memcpy(buf + len, x.b, x.len);
		len += x.len;
	}
	struct cfn_attr out;

	assert_int_equal(cfn_attr_decode(buf, len, &out), CFN_DECODE_TOO_MANY);
	assert_int_equal(cfn_attr_decode(buf, len - 17, &out), CFN_DECODE_OK);
	assert_int_equal(out.n_instances, CFN_ATTR_MAX_INSTANCES);
	cfn_attr_free(&out);
}

/* CFN_ATTR_MAX_LEN octets decode; one more is malformed (too-long). */
static void test_length_limit(void **state)
{
	static uint8_t buf[CFN_ATTR_MAX_LEN + 1];
	struct bytes x;
	size_t pad;
	struct cfn_attr out;

	header(&x);
	egress(&x, 9);
	memcpy(buf, x.b, x.len);
	/* the rest: one unknown TLV, which a receiver skips */
	pad = CFN_ATTR_MAX_LEN - x.len - 3;
	buf[x.len] = 99;
	buf[x.len + 1] = (uint8_t)(pad >> 8);
	buf[x.len + 2] = (uint8_t)pad;
	assert_int_equal(cfn_attr_decode(buf, CFN_ATTR_MAX_LEN, &out),
			 CFN_DECODE_OK);
	cfn_attr_free(&out);
	buf[x.len + 2] = (uint8_t)(pad + 1);
	assert_int_equal(cfn_attr_decode(buf, CFN_ATTR_MAX_LEN + 1, &out),
			 CFN_DECODE_TOO_LONG);
	assert_string_equal(cfn_decode_error_name(CFN_DECODE_TOO_LONG),
			    "too-long");
}

/* n instances, each a 16-octet BID with 8 metric values (types 1-8). */
static struct cfn_attr largest(struct cfn_instance_info *inst, size_t n)
{
	static struct cfn_metric_value every[CFN_METRICS_MAX];
	struct cfn_attr attr = {.node_id = 1, .sequence = 1};

	for (uint16_t m = 0; m < CFN_METRICS_MAX; m++)
		every[m] = (struct cfn_metric_value){(uint16_t)(m + 1),
						     CFN_STAT_CURRENT, 1};
	for (size_t i = 0; i < n; i++) {
		inst[i] = (struct cfn_instance_info){.bid = host("2001:db8::")};
		inst[i].bid.addr[14] = (uint8_t)(i >> 8);
		inst[i].bid.addr[15] = (uint8_t)i;
		inst[i].metrics.values = every;
		inst[i].metrics.count = CFN_METRICS_MAX;
	}
	attr.instances = inst;
	attr.n_instances = (uint16_t)n;
	return attr;
}

/*
 * The encoder keeps to the same limits: the most instances fit without
 * their metrics, never with; one more instance does not fit at all.
 */
static void test_encoder_limits(void **state)
{
	static struct cfn_instance_info inst[CFN_ATTR_MAX_INSTANCES + 1];
	static uint8_t buf[65536];
	struct cfn_attr attr = largest(inst, CFN_ATTR_MAX_INSTANCES), out;
	size_t len;

	assert_int_equal(cfn_attr_encode(&attr, true, buf, sizeof(buf)), 0);
	len = cfn_attr_encode(&attr, false, buf, sizeof(buf));
	assert_int_equal(len, 2 + 19 + CFN_ATTR_MAX_INSTANCES * 29);
	assert_int_equal(cfn_attr_decode(buf, len, &out), CFN_DECODE_OK);
	assert_int_equal(out.n_instances, CFN_ATTR_MAX_INSTANCES);
	cfn_attr_free(&out);

	attr = largest(inst, CFN_ATTR_MAX_INSTANCES + 1);
	assert_int_equal(cfn_attr_encode(&attr, false, buf, sizeof(buf)), 0);
}

static void test_error_names(void **state)
{
	assert_string_equal(cfn_decode_error_name(CFN_DECODE_TRUNCATED),
			    "truncated");
	assert_string_equal(cfn_decode_error_name(CFN_DECODE_BAD_METRIC),
			    "bad-metric-value");
	for (int e = 0; e < CFN_DECODE_ERROR_COUNT; e++)
		assert_non_null(cfn_decode_error_name(e));
	assert_string_equal(cfn_decode_error_name(CFN_DECODE_ERROR_COUNT),
			    "unknown");
}

static void test_equal_and_copy(void **state)
{
	const struct cfn_metric_value cpu = {CFN_METRIC_CPU_UTIL, 0, 1};
	struct cfn_attr a = sample(), copy;

	assert_true(cfn_attr_copy(&copy, &a));
	assert_ptr_not_equal(copy.instances, a.instances);
	/* the copy's values are its own, right after its instances */
	assert_ptr_equal(copy.instances[0].metrics.values,
			 (const void *)&copy.instances[3]);
	assert_ptr_equal(copy.instances[2].metrics.values,
			 copy.instances[0].metrics.values + 2);
	assert_true(cfn_attr_equal(&a, &copy));
	copy.instances[1].metrics = (struct cfn_metric_list){&cpu, 1};
	assert_false(cfn_attr_equal(&a, &copy));
	copy.instances[1].metrics.count = 0;
	assert_true(cfn_attr_equal(&a, &copy));
	copy.sequence++;
	assert_false(cfn_attr_equal(&a, &copy));
	cfn_attr_free(&copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_roundtrip_without_metrics),
		cmocka_unit_test(test_drain_flags_roundtrip),
		cmocka_unit_test(test_decoder_sorts_instances),
		cmocka_unit_test(test_encode_buffer_too_small),
		cmocka_unit_test(test_every_truncation_refused),
		cmocka_unit_test(test_minimal_valid),
		cmocka_unit_test(test_unknown_tlvs_skipped),
		cmocka_unit_test(test_egress_trailing_octets_accepted),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_instances),
		cmocka_unit_test(test_too_many_instances),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_encoder_limits),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_equal_and_copy),
	};

	return cmocka_run_group_tests_name("attr", tests, NULL, NULL);
}
