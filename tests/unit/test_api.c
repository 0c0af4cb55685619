/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Service notification API: every request, and every bad input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfn_alloc.h"
#include "cfn_api.h"
#include "cfn_api.pb-c.h"
#include "budget_alloc.h"

static struct cfn_service_table table;
static struct cfn_api_limits limits;
static struct cfn_api_outcome outcome;

static int setup(void **state)
{
	struct cfn_prefix sid;
	char err[64];

	cfn_service_table_init(&table);
	cfn_api_limits_default(&limits);
	assert_true(
		cfn_prefix_parse("198.51.100.10/32", &sid, err, sizeof(err)));
	assert_int_equal(cfn_service_set(&table, "video", &sid, NULL), CFN_OK);
	return 0;
}

static int teardown(void **state)
{
	cfn_service_table_fini(&table);
	return 0;
}

/* Send a request; return its reply (free with cfn_api_reply_free). */
static Cfn__Reply *call_raw(const uint8_t *payload, size_t len, uint64_t now_ms)
{
	uint8_t *frame = NULL;
	size_t flen = cfn_api_handle(&table, &limits, "test-client", now_ms,
				     payload, len, &frame, &outcome);
	Cfn__Reply *reply;

	assert_true(flen > CFN_API_FRAME_HEADER);
	assert_int_equal(cfn_api_frame_length(frame),
			 flen - CFN_API_FRAME_HEADER);
	reply = cfn_api_reply_decode(frame + CFN_API_FRAME_HEADER,
				     flen - CFN_API_FRAME_HEADER);
	cfn_free(frame);
	assert_non_null(reply);
	return reply;
}

static Cfn__Reply *call(Cfn__Request *req, uint64_t now_ms)
{
	uint8_t buf[4096];
	size_t len = cfn__request__pack(req, buf);

	return call_raw(buf, len, now_ms);
}

static Cfn__Metric metric(const char *name, double value, const char *stat)
{
	Cfn__Metric m = CFN__METRIC__INIT;

	m.name = (char *)name;
	m.value = value;
	m.statistic = (char *)stat;
	return m;
}

/* Register bid with the given metrics; returns the reply status. */
static Cfn__Status reg(const char *service, const char *bid,
		       Cfn__Metric *metrics, size_t n, char *error,
		       size_t errlen)
{
	Cfn__Request req = CFN__REQUEST__INIT;
	Cfn__Register body = CFN__REGISTER__INIT;
	Cfn__Metric *ptrs[16];
	Cfn__Reply *reply;
	Cfn__Status status;

	for (size_t i = 0; i < n; i++)
		ptrs[i] = &metrics[i];
	body.service = (char *)service;
	body.bid = (char *)bid;
	body.has_capacity = true;
	body.capacity = 8;
	body.n_metrics = n;
	body.metrics = ptrs;
	req.id = 7;
	req.body_case = CFN__REQUEST__BODY_REGISTER;
	req.register_ = &body;
	reply = call(&req, 1000);
	assert_int_equal(reply->id, 7);
	status = reply->status;
	if (error) {
		const char *why = reply->error ? reply->error : "";
		size_t len = strnlen(why, errlen - 1);

		memcpy(error, why, len);
		error[len] = '\0';
	}
	assert_true(status == CFN__STATUS__OK || reply->error);
	cfn_api_reply_free(reply);
	return status;
}

static struct cfn_service *video(void)
{
	return cfn_service_find(&table, "video");
}

static void test_register(void **state)
{
	Cfn__Metric m[] = {metric("cpu-utilization", 35.5, "mean"),
			   metric("queue-depth", 4, NULL)};
	struct cfn_local_instance *inst;

	assert_int_equal(reg("video", "10.1.0.11", m, 2, NULL, 0),
			 CFN__STATUS__OK);
	assert_int_equal(outcome.change, CFN_API_INSTANCES);
	assert_ptr_equal(outcome.service, video());
	inst = cfn_instance_at(video(), 0);
	assert_true(inst->dynamic);
	assert_int_equal(inst->capacity, 8);
	assert_int_equal(inst->hold_time_s, 30);
	assert_int_equal(inst->last_seen_ms, 1000);
	assert_string_equal(inst->client, "test-client");
	assert_int_equal(inst->metrics.count, 2);
	assert_int_equal(inst->metrics.values[0].raw, 3550);
	/* the same again changes nothing; by SID works too */
	assert_int_equal(reg("198.51.100.10/32", "10.1.0.11", m, 2, NULL, 0),
			 CFN__STATUS__OK);
	assert_int_equal(outcome.change, CFN_API_UNCHANGED);
	m[0].value = 80;
	assert_int_equal(reg("video", "10.1.0.11", m, 2, NULL, 0),
			 CFN__STATUS__OK);
	assert_int_equal(outcome.change, CFN_API_METRICS);
	assert_int_equal(video()->instances.count, 1);
}

static void expect_refused(const char *service, const char *bid, Cfn__Metric *m,
			   size_t n, Cfn__Status status, const char *reason)
{
	char error[200];
	size_t before = video()->instances.count;
	struct cfn_metric_set metrics = {};

	if (before)
		metrics = cfn_instance_at(video(), 0)->metrics;
	assert_int_equal(reg(service, bid, m, n, error, sizeof(error)), status);
	assert_non_null(strstr(error, reason));
	assert_int_equal(outcome.change, CFN_API_UNCHANGED);
	assert_null(outcome.service);
	assert_int_equal(video()->instances.count, before);
	if (before)
		assert_true(cfn_metric_set_equal(
			&cfn_instance_at(video(), 0)->metrics, &metrics));
}

static void test_bad_input_changes_nothing(void **state)
{
	Cfn__Metric ok = metric("cpu-utilization", 20, NULL);
	Cfn__Metric nan = metric("cpu-utilization", NAN, NULL);
	Cfn__Metric neg = metric("active-sessions", -1, NULL);
	Cfn__Metric big = metric("cpu-utilization", 101, NULL);
	Cfn__Metric inf = metric("processing-delay", INFINITY, NULL);
	Cfn__Metric unknown = metric("temperature", 1, NULL);
	Cfn__Metric badstat = metric("cpu-utilization", 1, "median");
	Cfn__Metric mixed[] = {ok, big};
	Cfn__Metric many[9];

	assert_int_equal(reg("video", "10.1.0.11", &ok, 1, NULL, 0),
			 CFN__STATUS__OK);
	expect_refused("radio", "10.1.0.12", &ok, 1, CFN__STATUS__NOT_FOUND,
		       "no service 'radio'");
	expect_refused("video", "10.1.0.0/24", &ok, 1, CFN__STATUS__INVALID,
		       "not a host address");
	expect_refused("video", "instance-1", &ok, 1, CFN__STATUS__INVALID,
		       "binding ID");
	expect_refused("video", "10.1.0.11", &nan, 1, CFN__STATUS__INVALID,
		       "cpu-utilization must be a number from 0 to 100");
	expect_refused("video", "10.1.0.11", &neg, 1, CFN__STATUS__INVALID,
		       "active-sessions must be a number");
	expect_refused("video", "10.1.0.11", &big, 1, CFN__STATUS__INVALID,
		       "from 0 to 100 percent");
	expect_refused("video", "10.1.0.11", &inf, 1, CFN__STATUS__INVALID,
		       "processing-delay");
	expect_refused("video", "10.1.0.11", &unknown, 1, CFN__STATUS__INVALID,
		       "unknown metric 'temperature'");
	expect_refused("video", "10.1.0.11", &badstat, 1, CFN__STATUS__INVALID,
		       "unknown statistic 'median'");
	/* one bad value refuses the whole message */
	expect_refused("video", "10.1.0.11", mixed, 2, CFN__STATUS__INVALID,
		       "from 0 to 100");
	for (int i = 0; i < 9; i++)
		many[i] = metric(cfn_metric_desc(1 + i % 8)->name, 1,
				 i < 8 ? "current" : "max");
	expect_refused("video", "10.1.0.11", many, 9, CFN__STATUS__LIMIT,
		       "at most 8 metric values");
}

/* Issue 12 item 9: only unicast host addresses are binding IDs. */
static void test_bid_must_be_unicast_host(void **state)
{
	static const char *const refused[][2] = {
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"127.0.0.1", "loopback"},
		{"169.254.1.1", "link-local"},
		{"224.0.0.1", "multicast"},
		{"239.255.1.1", "multicast"},
		{"255.255.255.255", "limited broadcast"},
		{"240.0.0.1", "reserved"},
		{"::", "unspecified"},
		{"::1", "loopback"},
		{"::ffff:10.1.0.1", "IPv4-mapped"},
		{"fe80::1", "link-local"},
		{"ff02::1", "multicast"},
		{"10.1.0.1/31", "host bits"},
		{"10.1.0.0/24", "not a host address"},
		{"2001:db8::/64", "not a host address"},
	};
	static const char *const accepted[] = {
		"10.1.0.1",    "10.1.0.2/32",	  "10.1.0.0", "10.1.0.255",
		"2001:db8::5", "2001:db8::6/128", "fd00::1",
	};
	struct cfn_prefix bid;
	char err[128];

	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		expect_refused("video", refused[i][0], NULL, 0,
			       CFN__STATUS__INVALID, refused[i][1]);
		/* the configuration's commands share the rule */
		assert_false(
			cfn_bid_parse(refused[i][0], &bid, err, sizeof(err)));
		assert_non_null(strstr(err, refused[i][1]));
	}
	assert_true(cfn_prefix_parse("127.0.0.1", &bid, err, sizeof(err)));
	assert_int_equal(cfn_instance_set(video(), &bid, 1), CFN_ERR_BAD_BID);
	for (size_t i = 0; i < sizeof(accepted) / sizeof(*accepted); i++)
		assert_int_equal(reg("video", accepted[i], NULL, 0, NULL, 0),
				 CFN__STATUS__OK);
	assert_int_equal(video()->instances.count,
			 sizeof(accepted) / sizeof(*accepted));
}

/* Append protobuf field `number` with the len-octet value (wire type 2). */
static size_t put_bytes(uint8_t *buf, size_t pos, unsigned int number,
			const void *value, size_t len)
{
	assert_true(number < 16 && len < 128);
	buf[pos++] = (uint8_t)(number << 3 | 2);
	buf[pos++] = (uint8_t)len;
	memcpy(buf + pos, value, len);
	return pos + len;
}

/* A Register request, id 9, built octet by octet. */
static Cfn__Reply *raw_register(const char *service, size_t service_len,
				const char *bid, size_t bid_len,
				const char *metric_name, size_t metric_len)
{
	uint8_t body[256], metric[64], request[300];
	size_t n = put_bytes(body, 0, 1, service, service_len), m;

	n = put_bytes(body, n, 2, bid, bid_len);
	if (metric_name) {
		m = put_bytes(metric, 0, 1, metric_name, metric_len);
		metric[m++] = 2 << 3 | 1; /* value: double 1.0 */
		memcpy(metric + m, "\0\0\0\0\0\0\xf0\x3f", 8);
		n = put_bytes(body, n, 5, metric, m + 8);
	}
	request[0] = 1 << 3; /* id */
	request[1] = 9;
	return call_raw(request, put_bytes(request, 2, 2, body, n), 1000);
}

static void expect_raw_refused(Cfn__Reply *reply, const char *reason)
{
	assert_int_equal(reply->id, 9);
	assert_int_equal(reply->status, CFN__STATUS__INVALID);
	assert_non_null(strstr(reply->error, reason));
	assert_true(outcome.refused);
	assert_null(outcome.service);
	assert_int_equal(video()->instances.count, 0);
	cfn_api_reply_free(reply);
}

/* Issue 12 item 10: a NUL does not cut a string short; it refuses it. */
static void test_strings_with_nul_refused(void **state)
{
	static const char service[] = "video\0junk", bid[] = "10.1.0.1\0x";
	static const char name[] = "queue-depth\0x";
	Cfn__Reply *reply;

	expect_raw_refused(raw_register(service, sizeof(service) - 1,
					"10.1.0.1", 8, NULL, 0),
			   "Register.service: a string must not contain NUL");
	expect_raw_refused(
		raw_register("video", 5, bid, sizeof(bid) - 1, NULL, 0),
		"Register.bid");
	expect_raw_refused(
		raw_register("video", 5, "10.1.0.1", 8, name, sizeof(name) - 1),
		"Metric.name");
	/* the same without the NULs is fine */
	reply = raw_register("video", 5, "10.1.0.1", 8, name, sizeof(name) - 3);
	assert_int_equal(reply->status, CFN__STATUS__OK);
	cfn_api_reply_free(reply);
	assert_int_equal(video()->instances.count, 1);
}

/* Error texts quote the request, but are valid UTF-8 without controls. */
static void test_error_text_sanitised(void **state)
{
	static const char bad[] =
		"\xff\x1b[2Jvid\xc3\xa9o\xc3\xe2\x82\xc2\x85x";
	Cfn__Reply *reply =
		raw_register(bad, sizeof(bad) - 1, "10.1.0.1", 8, NULL, 0);

	assert_int_equal(reply->status, CFN__STATUS__NOT_FOUND);
	assert_non_null(strstr(reply->error,
			       "no service '\?\?[2Jvid\xc3\xa9o\?\?\?\?\?x'"));
	cfn_api_reply_free(reply);
	reply = raw_register("video", 5, "\xed\xa0\x80\xf4\x90\x80\x80", 7,
			     NULL, 0);
	assert_int_equal(reply->status, CFN__STATUS__INVALID);
	assert_non_null(strstr(reply->error, "'\?\?\?\?\?\?\?' is not"));
	cfn_api_reply_free(reply);
}

static void test_limits_and_hold_time(void **state)
{
	Cfn__Request req = CFN__REQUEST__INIT;
	Cfn__Register body = CFN__REGISTER__INIT;
	Cfn__Reply *reply;

	limits.max_instances = 2;
	assert_int_equal(reg("video", "10.1.0.1", NULL, 0, NULL, 0),
			 CFN__STATUS__OK);
	assert_int_equal(reg("video", "10.1.0.2", NULL, 0, NULL, 0),
			 CFN__STATUS__OK);
	expect_refused("video", "10.1.0.3", NULL, 0, CFN__STATUS__LIMIT,
		       "already has 2 instances");
	/* re-registering an existing one is not a new instance */
	assert_int_equal(reg("video", "10.1.0.2", NULL, 0, NULL, 0),
			 CFN__STATUS__OK);

	body.service = "video";
	body.bid = "10.1.0.1";
	body.has_hold_time = true;
	body.hold_time = 0;
	req.body_case = CFN__REQUEST__BODY_REGISTER;
	req.register_ = &body;
	reply = call(&req, 1000);
	assert_int_equal(reply->status, CFN__STATUS__INVALID);
	assert_non_null(strstr(reply->error, "hold time must be 1 to 86400"));
	cfn_api_reply_free(reply);
}

static void test_static_instance_conflict(void **state)
{
	struct cfn_prefix bid;
	char err[64];

	assert_true(cfn_prefix_parse("10.1.0.50", &bid, err, sizeof(err)));
	assert_int_equal(cfn_instance_set(video(), &bid, 4), CFN_OK);
	expect_refused("video", "10.1.0.50", NULL, 0, CFN__STATUS__CONFLICT,
		       "configured statically");
	assert_false(cfn_instance_at(video(), 0)->dynamic);
}

static Cfn__Reply *simple(Cfn__Request__BodyCase kind, const char *bid,
			  Cfn__Metric *m, size_t n, uint64_t now_ms)
{
	Cfn__Request req = CFN__REQUEST__INIT;
	Cfn__Update update = CFN__UPDATE__INIT;
	Cfn__Deregister dereg = CFN__DEREGISTER__INIT;
	Cfn__Heartbeat hb = CFN__HEARTBEAT__INIT;
	Cfn__Metric *ptrs[8];

	for (size_t i = 0; i < n; i++)
		ptrs[i] = &m[i];
	req.id = 9;
	req.body_case = kind;
	update.service = dereg.service = hb.service = "video";
	update.bid = dereg.bid = hb.bid = (char *)bid;
	update.n_metrics = n;
	update.metrics = ptrs;
	req.update = kind == CFN__REQUEST__BODY_UPDATE ? &update : NULL;
	if (kind == CFN__REQUEST__BODY_DEREGISTER)
		req.deregister = &dereg;
	if (kind == CFN__REQUEST__BODY_HEARTBEAT)
		req.heartbeat = &hb;
	return call(&req, now_ms);
}

static void test_update_heartbeat_deregister(void **state)
{
	Cfn__Metric first[] = {metric("cpu-utilization", 10, NULL),
			       metric("active-sessions", 5, NULL)};
	Cfn__Metric more = metric("active-sessions", 9, NULL);
	Cfn__Reply *reply;

	assert_int_equal(reg("video", "10.1.0.11", first, 2, NULL, 0),
			 CFN__STATUS__OK);
	reply = simple(CFN__REQUEST__BODY_UPDATE, "10.1.0.11", &more, 1, 2000);
	assert_int_equal(reply->status, CFN__STATUS__OK);
	assert_int_equal(outcome.change, CFN_API_METRICS);
	cfn_api_reply_free(reply);
	/* merged: cpu kept, sessions replaced */
	assert_int_equal(cfn_instance_at(video(), 0)->metrics.count, 2);
	assert_int_equal(cfn_instance_at(video(), 0)->last_seen_ms, 2000);

	/* a stale instance that reports again is advertised at once */
	cfn_instance_at(video(), 0)->stale = true;
	reply = simple(CFN__REQUEST__BODY_UPDATE, "10.1.0.11", &more, 1, 3000);
	assert_int_equal(outcome.change, CFN_API_INSTANCES);
	assert_false(cfn_instance_at(video(), 0)->stale);
	assert_int_equal(cfn_instance_at(video(), 0)->metrics_ms, 3000);
	cfn_api_reply_free(reply);

	reply = simple(CFN__REQUEST__BODY_HEARTBEAT, "10.1.0.11", NULL, 0,
		       5000);
	assert_int_equal(reply->status, CFN__STATUS__OK);
	assert_int_equal(outcome.change, CFN_API_UNCHANGED);
	assert_int_equal(cfn_instance_at(video(), 0)->last_seen_ms, 5000);
	assert_int_equal(cfn_instance_at(video(), 0)->metrics_ms, 3000);
	cfn_api_reply_free(reply);

	reply = simple(CFN__REQUEST__BODY_UPDATE, "10.1.0.99", &more, 1, 6000);
	assert_int_equal(reply->status, CFN__STATUS__NOT_FOUND);
	assert_non_null(strstr(reply->error, "no instance 10.1.0.99"));
	cfn_api_reply_free(reply);

	reply = simple(CFN__REQUEST__BODY_DEREGISTER, "10.1.0.11", NULL, 0,
		       7000);
	assert_int_equal(reply->status, CFN__STATUS__OK);
	assert_int_equal(outcome.change, CFN_API_INSTANCES);
	assert_int_equal(video()->instances.count, 0);
	cfn_api_reply_free(reply);
}

static Cfn__Reply *drain(const char *service, const char *bid, bool on)
{
	Cfn__Request req = CFN__REQUEST__INIT;
	Cfn__Drain body = CFN__DRAIN__INIT;

	body.service = (char *)service;
	body.bid = (char *)bid;
	body.has_draining = true;
	body.draining = on;
	req.id = 11;
	req.body_case = CFN__REQUEST__BODY_DRAIN;
	req.drain = &body;
	return call(&req, 4000);
}

static void test_drain(void **state)
{
	struct cfn_prefix bid;
	Cfn__Reply *reply;
	char err[64];

	assert_int_equal(reg("video", "10.1.0.11", NULL, 0, NULL, 0),
			 CFN__STATUS__OK);
	/* an instance: draining, advertised at once, kept alive */
	reply = drain("video", "10.1.0.11", true);
	assert_int_equal(reply->status, CFN__STATUS__OK);
	assert_int_equal(outcome.change, CFN_API_INSTANCES);
	assert_true(cfn_instance_at(video(), 0)->draining);
	assert_int_equal(cfn_instance_at(video(), 0)->last_seen_ms, 4000);
	cfn_api_reply_free(reply);
	/* again: nothing to advertise */
	reply = drain("video", "10.1.0.11", true);
	assert_int_equal(outcome.change, CFN_API_UNCHANGED);
	cfn_api_reply_free(reply);
	reply = drain("video", "10.1.0.11", false);
	assert_false(cfn_instance_at(video(), 0)->draining);
	cfn_api_reply_free(reply);
	/* the whole egress, by service name or SID */
	reply = drain("198.51.100.10/32", NULL, true);
	assert_int_equal(reply->status, CFN__STATUS__OK);
	assert_int_equal(outcome.change, CFN_API_INSTANCES);
	assert_true(video()->draining);
	cfn_api_reply_free(reply);
	/* refused, and nothing changes */
	reply = drain("nothing", NULL, false);
	assert_int_equal(reply->status, CFN__STATUS__NOT_FOUND);
	assert_true(video()->draining);
	cfn_api_reply_free(reply);
	reply = drain("video", "10.1.0.99", true);
	assert_int_equal(reply->status, CFN__STATUS__NOT_FOUND);
	cfn_api_reply_free(reply);
	reply = drain("video", "10.1.0.0/24", true);
	assert_int_equal(reply->status, CFN__STATUS__INVALID);
	cfn_api_reply_free(reply);
	assert_true(cfn_prefix_parse("10.1.0.50", &bid, err, sizeof(err)));
	assert_int_equal(cfn_instance_set(video(), &bid, 4), CFN_OK);
	reply = drain("video", "10.1.0.50", true);
	assert_int_equal(reply->status, CFN__STATUS__CONFLICT);
	assert_false(cfn_instance_find(video(), &bid)->draining);
	cfn_api_reply_free(reply);
}

static void test_list(void **state)
{
	Cfn__Metric m = metric("cpu-utilization", 12.5, "mean");
	Cfn__Request req = CFN__REQUEST__INIT;
	Cfn__List list = CFN__LIST__INIT;
	Cfn__Reply *reply;
	struct cfn_prefix bid;
	char err[64];

	assert_true(cfn_prefix_parse("10.1.0.50", &bid, err, sizeof(err)));
	cfn_instance_set(video(), &bid, 4); /* static: not listed */
	reg("video", "10.1.0.11", &m, 1, NULL, 0);
	reg("video", "2001:db8::11", NULL, 0, NULL, 0);
	req.body_case = CFN__REQUEST__BODY_LIST;
	req.list = &list;
	reply = call(&req, 4000);
	assert_int_equal(reply->status, CFN__STATUS__OK);
	assert_int_equal(reply->n_instances, 2);
	assert_string_equal(reply->instances[0]->bid, "10.1.0.11");
	assert_string_equal(reply->instances[0]->sid, "198.51.100.10/32");
	assert_string_equal(reply->instances[0]->service, "video");
	assert_string_equal(reply->instances[0]->client, "test-client");
	assert_int_equal(reply->instances[0]->age_ms, 3000);
	assert_int_equal(reply->instances[0]->n_metrics, 1);
	assert_true(reply->instances[0]->metrics[0]->value == 12.5);
	assert_string_equal(reply->instances[1]->bid, "2001:db8::11");
	cfn_api_reply_free(reply);
	list.service = "radio";
	reply = call(&req, 4000);
	assert_int_equal(reply->status, CFN__STATUS__NOT_FOUND);
	cfn_api_reply_free(reply);
}

/* Issue 13 item 2: several instances of a service in one request. */
#define BATCH_MAX 8

/* What a batch request for "video" carries. */
struct batch {
	const char *service;
	size_t n_register; /* the first entries register, the others update */
	size_t n;
	Cfn__InstanceReport entries[BATCH_MAX];
	Cfn__InstanceReport *ptrs[BATCH_MAX];
	Cfn__Metric metrics[BATCH_MAX];
	Cfn__Metric *metric_ptrs[BATCH_MAX];
};

/* Add an entry for bid reporting cpu-utilization (no metric if < 0). */
static Cfn__InstanceReport *batch_add(struct batch *b, const char *bid,
				      double cpu)
{
	Cfn__InstanceReport *e = &b->entries[b->n];

	assert_true(b->n < BATCH_MAX);
	cfn__instance_report__init(e);
	e->bid = (char *)bid;
	if (cpu >= 0) {
		b->metrics[b->n] = metric("cpu-utilization", cpu, NULL);
		b->metric_ptrs[b->n] = &b->metrics[b->n];
		e->n_metrics = 1;
		e->metrics = &b->metric_ptrs[b->n];
	}
	b->ptrs[b->n++] = e;
	return e;
}

static Cfn__Reply *batch_call(struct batch *b, uint64_t now_ms)
{
	Cfn__Request req = CFN__REQUEST__INIT;
	Cfn__Batch body = CFN__BATCH__INIT;

	body.service = (char *)(b->service ? b->service : "video");
	body.n_register_ = b->n_register;
	body.register_ = b->ptrs;
	body.n_update = b->n - b->n_register;
	body.update = b->ptrs + b->n_register;
	req.id = 11;
	req.body_case = CFN__REQUEST__BODY_BATCH;
	req.batch = &body;
	return call(&req, now_ms);
}

static const char *const five[] = {"10.1.0.11", "10.1.0.12", "10.1.0.13",
				   "10.1.0.14", "2001:db8::15"};

/* Register the five instances in one batch, at cpu 10, 11, ... */
static void register_five(void)
{
	struct batch b = {.n_register = 5};
	Cfn__Reply *reply;

	for (size_t i = 0; i < 5; i++)
		batch_add(&b, five[i], 10 + i);
	reply = batch_call(&b, 1000);
	assert_int_equal(reply->status, CFN__STATUS__OK);
	assert_int_equal(reply->id, 11);
	cfn_api_reply_free(reply);
}

static double cpu_of(size_t i)
{
	return cfn_instance_at(video(), i)->metrics.values[0].raw / 100.0;
}

static void test_batch_accepted(void **state)
{
	struct batch b = {};
	Cfn__Reply *reply;

	register_five();
	/* one outcome for the service: the caller advertises once */
	assert_ptr_equal(outcome.service, video());
	assert_int_equal(outcome.change, CFN_API_INSTANCES);
	assert_int_equal(outcome.instances, 5);
	assert_int_equal(video()->instances.count, 5);
	for (size_t i = 0; i < 5; i++) {
		struct cfn_local_instance *inst = cfn_instance_at(video(), i);

		assert_true(inst->dynamic);
		assert_int_equal(inst->hold_time_s, 30);
		assert_string_equal(inst->client, "test-client");
		assert_true(cpu_of(i) == 10 + i);
	}

	/* a load edge: every instance's metrics in one update batch */
	for (size_t i = 0; i < 5; i++)
		batch_add(&b, five[i], 90);
	reply = batch_call(&b, 2000);
	assert_int_equal(reply->status, CFN__STATUS__OK);
	cfn_api_reply_free(reply);
	assert_ptr_equal(outcome.service, video());
	assert_int_equal(outcome.change, CFN_API_METRICS);
	assert_int_equal(outcome.instances, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_true(cpu_of(i) == 90);
		assert_int_equal(cfn_instance_at(video(), i)->metrics_ms, 2000);
	}

	/* the same values again: nothing to advertise */
	reply = batch_call(&b, 3000);
	assert_int_equal(reply->status, CFN__STATUS__OK);
	cfn_api_reply_free(reply);
	assert_null(outcome.service);
	assert_int_equal(cfn_instance_at(video(), 0)->last_seen_ms, 3000);

	/* by SID, registering one more while updating another */
	b = (struct batch){.service = "198.51.100.10/32", .n_register = 1};
	batch_add(&b, "10.1.0.16", 5)->capacity = 4;
	b.entries[0].has_capacity = true;
	batch_add(&b, "10.1.0.11", -1)->has_capacity = true;
	b.entries[1].capacity = 2;
	reply = batch_call(&b, 4000);
	assert_int_equal(reply->status, CFN__STATUS__OK);
	cfn_api_reply_free(reply);
	assert_int_equal(outcome.change, CFN_API_INSTANCES);
	assert_int_equal(video()->instances.count, 6);
	assert_int_equal(cfn_instance_at(video(), 0)->capacity, 2);
	/* an update keeps what it does not name */
	assert_true(cpu_of(0) == 90);
}

/* Refused whole: the reason names the entry, and nothing changed. */
static void expect_batch_refused(struct batch *b, Cfn__Status status,
				 const char *reason)
{
	struct cfn_local_instance before[8];
	size_t count = video()->instances.count;
	Cfn__Reply *reply;

	assert_true(count <= 8);
	for (size_t i = 0; i < count; i++)
		before[i] = *cfn_instance_at(video(), i);
	reply = batch_call(b, 9000);
	assert_int_equal(reply->status, status);
	if (!strstr(reply->error, reason))
		fail_msg("'%s' does not say '%s'", reply->error, reason);
	cfn_api_reply_free(reply);
	assert_true(outcome.refused);
	assert_null(outcome.service);
	assert_int_equal(outcome.instances, 0);
	assert_int_equal(video()->instances.count, count);
	for (size_t i = 0; i < count; i++)
		assert_memory_equal(&before[i], cfn_instance_at(video(), i),
				    sizeof(before[i]));
}

static void test_batch_refused_whole(void **state)
{
	Cfn__Metric unknown = metric("temperature", 1, NULL);
	Cfn__Metric *unknown_ptr = &unknown;
	struct cfn_prefix bid;
	char err[64];
	struct batch b;

	register_five();
	/* the last of five updates has an unknown metric */
	b = (struct batch){};
	for (size_t i = 0; i < 5; i++)
		batch_add(&b, five[i], 50);
	b.entries[4].metrics = &unknown_ptr;
	expect_batch_refused(&b, CFN__STATUS__INVALID,
			     "update #5 (2001:db8::15): unknown metric "
			     "'temperature'");

	/* one out of range value */
	b = (struct batch){};
	batch_add(&b, five[0], 50);
	batch_add(&b, five[1], 101);
	expect_batch_refused(&b, CFN__STATUS__INVALID,
			     "update #2 (10.1.0.12): cpu-utilization");

	/* an instance the node does not have */
	b = (struct batch){};
	batch_add(&b, five[0], 50);
	batch_add(&b, "10.1.0.99", 50);
	expect_batch_refused(&b, CFN__STATUS__NOT_FOUND,
			     "update #2 (10.1.0.99): service video has no "
			     "instance 10.1.0.99");

	/* registrations: a new one, then a static instance */
	assert_true(cfn_prefix_parse("10.1.0.50", &bid, err, sizeof(err)));
	cfn_instance_set(video(), &bid, 4);
	b = (struct batch){.n_register = 2};
	batch_add(&b, "10.1.0.20", 50);
	batch_add(&b, "10.1.0.50", 50);
	expect_batch_refused(&b, CFN__STATUS__CONFLICT,
			     "register #2 (10.1.0.50): instance 10.1.0.50 of "
			     "video is configured statically");

	/* the same instance twice */
	b = (struct batch){.n_register = 1};
	batch_add(&b, "10.1.0.12", 50);
	batch_add(&b, "10.1.0.12", 60);
	expect_batch_refused(&b, CFN__STATUS__INVALID,
			     "update #1 (10.1.0.12): the instance is in the "
			     "batch twice");

	/* a hold time in an update; a bad binding ID */
	b = (struct batch){};
	batch_add(&b, five[0], 50)->has_hold_time = true;
	expect_batch_refused(&b, CFN__STATUS__INVALID,
			     "update #1 (10.1.0.11): hold_time is given at "
			     "registration only");
	b = (struct batch){.n_register = 1};
	batch_add(&b, "10.1.0.0/24", 50);
	expect_batch_refused(&b, CFN__STATUS__INVALID,
			     "register #1 (10.1.0.0/24): binding ID");

	/* more new instances than the service may have */
	limits.max_instances = 7; /* 6 now */
	b = (struct batch){.n_register = 2};
	batch_add(&b, "10.1.0.21", 50);
	batch_add(&b, "10.1.0.22", 50);
	expect_batch_refused(&b, CFN__STATUS__LIMIT,
			     "register #2 (10.1.0.22): service video already "
			     "has 7 instances");

	/* empty, too long, unknown service */
	b = (struct batch){};
	expect_batch_refused(&b, CFN__STATUS__INVALID,
			     "a batch carries 1 to 7 instances");
	b = (struct batch){.service = "radio"};
	batch_add(&b, five[0], 50);
	expect_batch_refused(&b, CFN__STATUS__NOT_FOUND, "no service 'radio'");
}

/* Out of memory at any allocation: never a part of a batch applied. */
static void test_batch_out_of_memory(void **state)
{
	for (int budget = 0;; budget++) {
		struct batch b = {.n_register = 3};
		uint8_t buf[1024], *frame = NULL;
		Cfn__Request req = CFN__REQUEST__INIT;
		Cfn__Batch body = CFN__BATCH__INIT;
		size_t len, flen;

		while (video()->instances.count)
			cfn_instance_delete(video(),
					    &cfn_instance_at(video(), 0)->bid);
		for (size_t i = 0; i < 3; i++)
			batch_add(&b, five[i], 20);
		body.service = "video";
		body.n_register_ = 3;
		body.register_ = b.ptrs;
		req.body_case = CFN__REQUEST__BODY_BATCH;
		req.batch = &body;
		len = cfn__request__pack(&req, buf);
		budget_alloc_start(budget);
		flen = cfn_api_handle(&table, &limits, "oom", 1000, buf, len,
				      &frame, &outcome);
		budget_alloc_stop();
		cfn_free(frame);
		/* the reply may fail after the change: a known limit */
		assert_true(video()->instances.count == 0 ||
			    video()->instances.count == 3);
		if (flen && !outcome.refused) {
			assert_int_equal(video()->instances.count, 3);
			return;
		}
	}
}

static void test_malformed_requests(void **state)
{
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0x01, 0x02};
	Cfn__Request empty = CFN__REQUEST__INIT;
	Cfn__Reply *reply = call_raw(garbage, sizeof(garbage), 1000);

	assert_int_equal(reply->id, 0);
	assert_int_equal(reply->status, CFN__STATUS__INVALID);
	assert_non_null(strstr(reply->error, "protobuf decoding failed"));
	cfn_api_reply_free(reply);
	reply = call_raw(NULL, 0, 1000); /* no id: a required field */
	assert_int_equal(reply->status, CFN__STATUS__INVALID);
	cfn_api_reply_free(reply);
	empty.id = 3;
	reply = call(&empty, 1000);
	assert_int_equal(reply->id, 3);
	assert_int_equal(reply->status, CFN__STATUS__INVALID);
	assert_non_null(strstr(reply->error, "empty request"));
	cfn_api_reply_free(reply);
}

static void test_expiry(void **state)
{
	reg("video", "10.1.0.11", NULL, 0, NULL, 0); /* seen at 1000, 30 s */
	assert_int_equal(cfn_service_expire(video(), 30999), 0);
	assert_int_equal(cfn_service_expire(video(), 31000), 1);
	assert_int_equal(video()->instances.count, 0);
}

static void test_frame_length(void **state)
{
	static const uint8_t header[] = {0x00, 0x01, 0x00, 0x02};

	assert_int_equal(cfn_api_frame_length(header), 65538);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_register),
		T(test_bad_input_changes_nothing),
		T(test_bid_must_be_unicast_host),
		T(test_strings_with_nul_refused),
		T(test_error_text_sanitised),
		T(test_limits_and_hold_time),
		T(test_static_instance_conflict),
		T(test_update_heartbeat_deregister),
		T(test_drain),
		T(test_list),
		T(test_batch_accepted),
		T(test_batch_refused_whole),
		T(test_batch_out_of_memory),
		T(test_malformed_requests),
		T(test_expiry),
		T(test_frame_length),
	};
#undef T

	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
