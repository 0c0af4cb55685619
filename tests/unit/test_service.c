/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budget_alloc.h"
#include "cfn_alloc.h"
#include "cfn_service.h"

static struct cfn_prefix sid(const char *str)
{
	struct cfn_prefix prefix;
	char err[64];

	assert_true(cfn_prefix_parse(str, &prefix, err, sizeof(err)));
	return prefix;
}

static int table_setup(void **state)
{
	struct cfn_service_table *table = calloc(1, sizeof(*table));

	cfn_service_table_init(table);
	*state = table;
	return 0;
}

static int table_teardown(void **state)
{
	cfn_service_table_fini(*state);
	free(*state);
	budget_alloc_stop();
	return 0;
}

static void test_names(void **state)
{
	char longest[CFN_SERVICE_NAME_MAX + 2];

	assert_true(cfn_service_name_valid("video"));
	assert_true(cfn_service_name_valid("ai-inference_v2.eu"));
	assert_true(cfn_service_name_valid("9gag"));
	assert_false(cfn_service_name_valid(""));
	assert_false(cfn_service_name_valid("-video"));
	assert_false(cfn_service_name_valid("vid eo"));
	assert_false(cfn_service_name_valid("vidéo"));
	memset(longest, 'a', sizeof(longest));
	longest[CFN_SERVICE_NAME_MAX] = '\0';
	assert_true(cfn_service_name_valid(longest));
	longest[CFN_SERVICE_NAME_MAX] = 'a';
	longest[CFN_SERVICE_NAME_MAX + 1] = '\0';
	assert_false(cfn_service_name_valid(longest));
}

static void test_add_sorted_and_find(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix v = sid("198.51.100.10/32");
	struct cfn_prefix a = sid("2001:db8::a/128");
	struct cfn_prefix m = sid("198.51.100.20/32");

	assert_int_equal(cfn_service_set(table, "video", &v, NULL), CFN_OK);
	assert_int_equal(cfn_service_set(table, "ai", &a, NULL), CFN_OK);
	assert_int_equal(cfn_service_set(table, "maps", &m, NULL), CFN_OK);
	assert_int_equal(cfn_service_count(table), 3);
	assert_string_equal(cfn_service_at(table, 0)->name, "ai");
	assert_string_equal(cfn_service_at(table, 1)->name, "maps");
	assert_string_equal(cfn_service_at(table, 2)->name, "video");

	assert_ptr_equal(cfn_service_find(table, "maps"),
			 cfn_service_at(table, 1));
	assert_null(cfn_service_find(table, "map"));
	assert_ptr_equal(cfn_service_find_sid(table, &a),
			 cfn_service_at(table, 0));
	assert_null(cfn_service_find_sid(table, &(struct cfn_prefix){}));
}

static void test_change_sid(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix old = sid("198.51.100.10/32");
	struct cfn_prefix new = sid("198.51.100.11/32");

	assert_int_equal(cfn_service_set(table, "video", &old, NULL), CFN_OK);
	assert_int_equal(cfn_service_set(table, "video", &new, NULL), CFN_OK);
	assert_int_equal(cfn_service_count(table), 1);
	assert_true(cfn_prefix_equal(&cfn_service_at(table, 0)->sid, &new));
	assert_null(cfn_service_find_sid(table, &old));
	assert_ptr_equal(cfn_service_find_sid(table, &new),
			 cfn_service_at(table, 0));
	/* re-applying the same line is not a conflict with itself */
	assert_int_equal(cfn_service_set(table, "video", &new, NULL), CFN_OK);
	assert_int_equal(cfn_service_count(table), 1);
}

static void test_sid_conflict_changes_nothing(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix v = sid("198.51.100.10/32");
	struct cfn_prefix w = sid("198.51.100.12/32");
	const struct cfn_service *holder = NULL;

	assert_int_equal(cfn_service_set(table, "video", &v, NULL), CFN_OK);
	assert_int_equal(cfn_service_set(table, "web", &w, NULL), CFN_OK);
	assert_int_equal(cfn_service_set(table, "web", &v, &holder),
			 CFN_ERR_SID_IN_USE);
	assert_string_equal(holder->name, "video");
	assert_true(cfn_prefix_equal(&cfn_service_find(table, "web")->sid, &w));
	assert_int_equal(cfn_service_set(table, "other", &v, NULL),
			 CFN_ERR_SID_IN_USE);
	assert_int_equal(cfn_service_count(table), 2);
}

static void test_invalid_name_changes_nothing(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix v = sid("198.51.100.10/32");

	assert_int_equal(cfn_service_set(table, "bad name", &v, NULL),
			 CFN_ERR_INVALID_NAME);
	assert_int_equal(cfn_service_count(table), 0);
	assert_non_null(strstr(cfn_strerror(CFN_ERR_INVALID_NAME), "1-63"));
}

static void test_delete(void **state)
{
	struct cfn_service_table *table = *state;
	const char *names[] = {"a", "b", "c", "d"};
	struct cfn_prefix p = sid("192.0.2.0/24");

	for (size_t i = 0; i < 4; i++) {
		p.addr[3] = (uint8_t)i;
		p.len = 32;
		assert_int_equal(cfn_service_set(table, names[i], &p, NULL),
				 CFN_OK);
	}
	assert_int_equal(cfn_service_delete(table, "b"), CFN_OK);
	assert_int_equal(cfn_service_delete(table, "b"), CFN_ERR_NOT_FOUND);
	assert_int_equal(cfn_service_count(table), 3);
	p.addr[3] = 1; /* b's SID */
	assert_null(cfn_service_find_sid(table, &p));
	p.addr[3] = 2;
	assert_string_equal(cfn_service_find_sid(table, &p)->name, "c");
	assert_string_equal(cfn_service_at(table, 0)->name, "a");
	assert_string_equal(cfn_service_at(table, 1)->name, "c");
	assert_string_equal(cfn_service_at(table, 2)->name, "d");
	assert_int_equal(cfn_service_delete(table, "d"), CFN_OK);
	assert_int_equal(cfn_service_delete(table, "a"), CFN_OK);
	assert_int_equal(cfn_service_count(table), 1);
	assert_string_equal(cfn_service_at(table, 0)->name, "c");
}

static void test_many_services_grow(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix p = sid("10.0.0.0/32");
	char name[16];

	for (unsigned int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "svc%04u", 999 - i);
		p.addr[2] = (uint8_t)(i >> 8);
		p.addr[3] = (uint8_t)i;
		assert_int_equal(cfn_service_set(table, name, &p, NULL),
				 CFN_OK);
	}
	assert_int_equal(cfn_service_count(table), 1000);
	for (size_t i = 1; i < cfn_service_count(table); i++)
		assert_true(strcmp(cfn_service_at(table, i - 1)->name,
				   cfn_service_at(table, i)->name) < 0);
	for (unsigned int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "svc%04u", 999 - i);
		p.addr[2] = (uint8_t)(i >> 8);
		p.addr[3] = (uint8_t)i;
		assert_string_equal(cfn_service_find_sid(table, &p)->name,
				    name);
	}
}

static void test_out_of_memory_changes_nothing(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix v = sid("198.51.100.10/32");
	struct cfn_prefix w = sid("198.51.100.11/32");

	budget_alloc_start(0); /* no index can grow */
	assert_int_equal(cfn_service_set(table, "video", &v, NULL),
			 CFN_ERR_NOMEM);
	assert_int_equal(cfn_service_count(table), 0);

	budget_alloc_start(1); /* the SID index grows, the name index not */
	assert_int_equal(cfn_service_set(table, "video", &v, NULL),
			 CFN_ERR_NOMEM);
	assert_int_equal(cfn_service_count(table), 0);

	budget_alloc_start(1); /* the name index grows (the SID index has
				* room now), service allocation fails */
	assert_int_equal(cfn_service_set(table, "video", &v, NULL),
			 CFN_ERR_NOMEM);
	assert_int_equal(cfn_service_count(table), 0);
	assert_null(cfn_service_find_sid(table, &v));

	budget_alloc_start(1);
	assert_int_equal(cfn_service_set(table, "video", &v, NULL), CFN_OK);
	budget_alloc_start(0); /* the SID index has room for one only */
	assert_int_equal(cfn_service_set(table, "video", &w, NULL),
			 CFN_ERR_NOMEM);
	assert_non_null(cfn_service_find_sid(table, &v));
	budget_alloc_start(1); /* w joins the index before v leaves it */
	assert_int_equal(cfn_service_set(table, "video", &w, NULL), CFN_OK);
	assert_int_equal(cfn_service_set(table, "web", &w, NULL),
			 CFN_ERR_SID_IN_USE);
	assert_int_equal(cfn_service_count(table), 1);
	assert_int_equal(cfn_service_set(table, "web", &v, NULL),
			 CFN_ERR_NOMEM); /* v is free again, but no memory */
	assert_int_equal(cfn_service_count(table), 1);
}

static void test_instances(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix v = sid("198.51.100.10/32");
	struct cfn_prefix b1 = sid("10.1.0.12"), b2 = sid("10.1.0.11");
	struct cfn_prefix net = sid("10.1.0.0/24");
	struct cfn_service *service;

	assert_int_equal(cfn_service_set(table, "video", &v, NULL), CFN_OK);
	service = cfn_service_find(table, "video");
	assert_int_equal(cfn_instance_set(service, &b1, 100), CFN_OK);
	assert_int_equal(cfn_instance_set(service, &b2, 50), CFN_OK);
	assert_int_equal(cfn_instance_set(service, &b1, 200), CFN_OK);
	assert_int_equal(service->instances.count, 2);
	assert_true(cfn_prefix_equal(&cfn_instance_at(service, 0)->bid, &b2));
	assert_int_equal(cfn_instance_find(service, &b1)->capacity, 200);
	assert_int_equal(cfn_instance_set(service, &net, 1), CFN_ERR_BAD_BID);
	assert_int_equal(cfn_instance_delete(service, &b2), CFN_OK);
	assert_int_equal(cfn_instance_delete(service, &b2),
			 CFN_ERR_NO_INSTANCE);
	assert_null(cfn_instance_find(service, &b2));
	/* re-setting the SID keeps the instances */
	assert_int_equal(cfn_service_set(table, "video", &b2, NULL), CFN_OK);
	assert_int_equal(service->instances.count, 1);
}

static void test_instance_limit(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix v = sid("198.51.100.10/32");
	struct cfn_prefix bid = sid("10.2.0.0/32");
	struct cfn_service *service;

	cfn_service_set(table, "video", &v, NULL);
	service = cfn_service_find(table, "video");
	for (int i = 0; i < CFN_SERVICE_INSTANCES_MAX; i++) {
		bid.addr[3] = (uint8_t)i;
		assert_int_equal(cfn_instance_set(service, &bid, 1), CFN_OK);
	}
	bid.addr[2] = 1;
	assert_int_equal(cfn_instance_set(service, &bid, 1),
			 CFN_ERR_TOO_MANY_INSTANCES);
	bid.addr[2] = 0;
	assert_int_equal(cfn_instance_set(service, &bid, 7), CFN_OK);
}

static void test_build_attr(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix v = sid("198.51.100.10/32");
	struct cfn_prefix b1 = sid("10.1.0.11"), b2 = sid("2001:db8::11");
	struct cfn_metric_model model;
	struct cfn_metric_value busy = {CFN_METRIC_CPU_UTIL, CFN_STAT_MEAN,
					9000};
	struct cfn_service *service;
	struct cfn_attr attr;
	uint8_t buf[CFN_ATTR_MAX_LEN];
	struct cfn_attr decoded;
	size_t len;

	cfn_metric_model_default(&model);
	cfn_service_set(table, "video", &v, NULL);
	service = cfn_service_find(table, "video");
	cfn_instance_set(service, &b1, 100);
	cfn_instance_set(service, &b2, 300);
	assert_int_equal(
		cfn_instance_metric_set(cfn_instance_find(service, &b1), &busy),
		CFN_OK);
	assert_int_equal(
		cfn_service_build_attr(service, &model, 0x0a000001, 42, &attr),
		CFN_OK);
	assert_int_equal(attr.node_id, 0x0a000001);
	assert_int_equal(attr.sequence, 42);
	assert_int_equal(attr.n_instances, 2);
	assert_int_equal(attr.capacity, 400);
	assert_int_equal(attr.instances[0].scores.l2, 1);  /* 90 % busy */
	assert_int_equal(attr.instances[1].scores.l2, 10); /* no report */
	assert_int_equal(attr.scores.l2, 8); /* (100 * 1 + 300 * 10) / 400 */
	assert_int_equal(attr.scores.l1[CFN_CATEGORY_COMPUTE], 1);

	len = cfn_attr_encode(&attr, true, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(cfn_attr_decode(buf, len, &decoded), CFN_DECODE_OK);
	assert_true(cfn_attr_equal(&attr, &decoded));
	cfn_attr_free(&decoded);
	cfn_attr_free(&attr);
}

static void test_stale_instances(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix v = sid("198.51.100.10/32");
	struct cfn_prefix b1 = sid("10.1.0.11"), b2 = sid("10.1.0.12");
	struct cfn_metric_value busy = {CFN_METRIC_CPU_UTIL, CFN_STAT_MEAN,
					9000};
	struct cfn_local_instance *i1, *i2;
	struct cfn_metric_model model;
	struct cfn_service *service;
	struct cfn_attr attr;

	cfn_metric_model_default(&model);
	cfn_service_set(table, "video", &v, NULL);
	service = cfn_service_find(table, "video");
	cfn_instance_set(service, &b1, 10);
	cfn_instance_set(service, &b2, 10);
	i1 = cfn_instance_find(service, &b1);
	i2 = cfn_instance_find(service, &b2);
	i1->dynamic = i2->dynamic = true;
	i1->metrics_ms = 1000;
	i2->metrics_ms = 9000;
	cfn_instance_metric_set(i1, &busy); /* L2 1, idle i2 scores 10 */
	assert_int_equal(cfn_service_update_stale(service, 12000, 0), 0);
	assert_int_equal(cfn_service_update_stale(service, 12000, 10), 1);
	assert_true(i1->stale);
	assert_false(i2->stale);
	assert_int_equal(cfn_service_update_stale(service, 12000, 10), 0);
	/* the stale instance is flagged and left out of the egress score */
	assert_int_equal(cfn_service_build_attr(service, &model, 1, 1, &attr),
			 CFN_OK);
	assert_int_equal(attr.instances[0].flags, CFN_INSTANCE_STALE);
	assert_int_equal(attr.instances[1].flags, 0);
	assert_int_equal(attr.scores.l2, 10);
	cfn_attr_free(&attr);
	/* all stale: all count again */
	assert_int_equal(cfn_service_update_stale(service, 30000, 10), 1);
	assert_int_equal(cfn_service_build_attr(service, &model, 1, 2, &attr),
			 CFN_OK);
	assert_true(attr.scores.l2 < 10);
	cfn_attr_free(&attr);
	/* static instances never go stale */
	i1->dynamic = false;
	assert_int_equal(cfn_service_update_stale(service, 30000, 10), 1);
	assert_false(i1->stale);
}

static void test_draining(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix v = sid("198.51.100.10/32");
	struct cfn_prefix b1 = sid("10.1.0.11"), b2 = sid("10.1.0.12");
	struct cfn_metric_value busy = {CFN_METRIC_CPU_UTIL, CFN_STAT_MEAN,
					9000};
	struct cfn_local_instance *i1;
	struct cfn_metric_model model;
	struct cfn_service *service;
	struct cfn_attr attr;

	cfn_metric_model_default(&model);
	cfn_service_set(table, "video", &v, NULL);
	service = cfn_service_find(table, "video");
	cfn_instance_set(service, &b1, 100);
	cfn_instance_set(service, &b2, 300);
	i1 = cfn_instance_find(service, &b1);
	assert_int_not_equal(i1->id, cfn_instance_find(service, &b2)->id);
	cfn_instance_metric_set(cfn_instance_find(service, &b2), &busy);
	/* a draining instance: flagged, out of the egress's score and
	 * capacity for new flows */
	i1->draining = true;
	assert_false(cfn_instance_takes_new_flows(service, i1));
	assert_int_equal(cfn_service_build_attr(service, &model, 1, 1, &attr),
			 CFN_OK);
	assert_int_equal(attr.flags, 0);
	assert_int_equal(attr.instances[0].flags, CFN_INSTANCE_DRAINING);
	assert_int_equal(attr.instances[1].flags, 0);
	assert_int_equal(attr.capacity, 300);
	assert_int_equal(attr.scores.l2, 1);
	cfn_attr_free(&attr);
	/* the whole egress drains: flagged, every instance too; all count */
	i1->draining = false;
	service->draining = true;
	assert_int_equal(cfn_service_build_attr(service, &model, 1, 2, &attr),
			 CFN_OK);
	assert_int_equal(attr.flags, CFN_ATTR_DRAINING);
	assert_int_equal(attr.instances[0].flags, CFN_INSTANCE_DRAINING);
	assert_int_equal(attr.instances[1].flags, CFN_INSTANCE_DRAINING);
	assert_int_equal(attr.capacity, 400);
	cfn_attr_free(&attr);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, table_setup, table_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		T(test_add_sorted_and_find),
		T(test_change_sid),
		T(test_sid_conflict_changes_nothing),
		T(test_invalid_name_changes_nothing),
		T(test_delete),
		T(test_many_services_grow),
		T(test_out_of_memory_changes_nothing),
		T(test_instances),
		T(test_instance_limit),
		T(test_build_attr),
		T(test_stale_instances),
		T(test_draining),
	};
#undef T

	return cmocka_run_group_tests_name("service", tests, NULL, NULL);
}
