/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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
	cfn_allocator_set(NULL);
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
	assert_int_equal(table->count, 3);
	assert_string_equal(table->services[0]->name, "ai");
	assert_string_equal(table->services[1]->name, "maps");
	assert_string_equal(table->services[2]->name, "video");

	assert_ptr_equal(cfn_service_find(table, "maps"), table->services[1]);
	assert_null(cfn_service_find(table, "map"));
	assert_ptr_equal(cfn_service_find_sid(table, &a), table->services[0]);
	assert_null(cfn_service_find_sid(table, &(struct cfn_prefix){}));
}

static void test_change_sid(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix old = sid("198.51.100.10/32");
	struct cfn_prefix new = sid("198.51.100.11/32");

	assert_int_equal(cfn_service_set(table, "video", &old, NULL), CFN_OK);
	assert_int_equal(cfn_service_set(table, "video", &new, NULL), CFN_OK);
	assert_int_equal(table->count, 1);
	assert_true(cfn_prefix_equal(&table->services[0]->sid, &new));
	/* re-applying the same line is not a conflict with itself */
	assert_int_equal(cfn_service_set(table, "video", &new, NULL), CFN_OK);
	assert_int_equal(table->count, 1);
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
	assert_int_equal(table->count, 2);
}

static void test_invalid_name_changes_nothing(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix v = sid("198.51.100.10/32");

	assert_int_equal(cfn_service_set(table, "bad name", &v, NULL),
			 CFN_ERR_INVALID_NAME);
	assert_int_equal(table->count, 0);
	assert_non_null(strstr(cfn_strerror(CFN_ERR_INVALID_NAME), "1-63"));
}

static void test_delete(void **state)
{
	struct cfn_service_table *table = *state;
	const char *names[] = { "a", "b", "c", "d" };
	struct cfn_prefix p = sid("192.0.2.0/24");

	for (size_t i = 0; i < 4; i++) {
		p.addr[3] = (uint8_t)i;
		p.len = 32;
		assert_int_equal(cfn_service_set(table, names[i], &p, NULL),
				 CFN_OK);
	}
	assert_int_equal(cfn_service_delete(table, "b"), CFN_OK);
	assert_int_equal(cfn_service_delete(table, "b"), CFN_ERR_NOT_FOUND);
	assert_int_equal(table->count, 3);
	assert_string_equal(table->services[0]->name, "a");
	assert_string_equal(table->services[1]->name, "c");
	assert_string_equal(table->services[2]->name, "d");
	assert_int_equal(cfn_service_delete(table, "d"), CFN_OK);
	assert_int_equal(cfn_service_delete(table, "a"), CFN_OK);
	assert_int_equal(table->count, 1);
	assert_string_equal(table->services[0]->name, "c");
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
		assert_int_equal(cfn_service_set(table, name, &p, NULL), CFN_OK);
	}
	assert_int_equal(table->count, 1000);
	for (size_t i = 1; i < table->count; i++)
		assert_true(strcmp(table->services[i - 1]->name,
				   table->services[i]->name) < 0);
}

/* An allocator that fails after a budget, to check error paths. */
static int alloc_budget;

static void *budget_malloc(size_t size)
{
	return alloc_budget-- > 0 ? malloc(size) : NULL;
}

static void *budget_realloc(void *ptr, size_t size)
{
	return alloc_budget-- > 0 ? realloc(ptr, size) : NULL;
}

static const struct cfn_allocator budget_allocator = {
	.malloc = budget_malloc,
	.realloc = budget_realloc,
	.free = free,
};

static void test_out_of_memory_changes_nothing(void **state)
{
	struct cfn_service_table *table = *state;
	struct cfn_prefix v = sid("198.51.100.10/32");
	struct cfn_prefix w = sid("198.51.100.11/32");

	cfn_allocator_set(&budget_allocator);
	alloc_budget = 0; /* the array itself cannot grow */
	assert_int_equal(cfn_service_set(table, "video", &v, NULL),
			 CFN_ERR_NOMEM);
	assert_int_equal(table->count, 0);

	alloc_budget = 1; /* array grows, service allocation fails */
	assert_int_equal(cfn_service_set(table, "video", &v, NULL),
			 CFN_ERR_NOMEM);
	assert_int_equal(table->count, 0);

	alloc_budget = 1;
	assert_int_equal(cfn_service_set(table, "video", &v, NULL), CFN_OK);
	alloc_budget = 0;
	assert_int_equal(cfn_service_set(table, "video", &w, NULL), CFN_OK);
	assert_int_equal(cfn_service_set(table, "web", &w, NULL),
			 CFN_ERR_SID_IN_USE);
	assert_int_equal(table->count, 1);
	assert_int_equal(cfn_service_set(table, "web", &v, NULL),
			 CFN_ERR_NOMEM); /* v is free again, but no memory */
	assert_int_equal(table->count, 1);
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
	};
#undef T

	return cmocka_run_group_tests_name("service", tests, NULL, NULL);
}
