/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cfn_config_lines.h"

static void fills_placeholders_in_order(void **state)
{
	const char *values[] = {"video", "192.0.2.1", "40"};
	char out[128];

	assert_true(cfn_config_line_fill(
		cfn_config_lines[CFN_LINE_SERVICE_INSTANCE].format, values, 3,
		out, sizeof(out)));
	assert_string_equal(out,
			    "service video instance 192.0.2.1 capacity 40");
}

static void refuses_wrong_value_count(void **state)
{
	const char *values[] = {"1", "2"};
	char out[128];

	assert_false(cfn_config_line_fill("api max-clients {.}", values, 2, out,
					  sizeof(out)));
	assert_false(cfn_config_line_fill("api tcp {address} port {port}",
					  values, 1, out, sizeof(out)));
}

static void refuses_short_buffer(void **state)
{
	const char *values[] = {"1000"};
	char out[16];

	assert_false(cfn_config_line_fill("api max-clients {.}", values, 1, out,
					  sizeof(out)));
}

/* Every line has a path and a format, each policy line in each scope. */
static void composes_policy_lines_with_scopes(void **state)
{
	char path[256], format[256];

	for (size_t i = 0; i < CFN_CONFIG_LINE_TOTAL; i++) {
		cfn_config_line_at(i, path, format, sizeof(path));
		assert_true(path[0] == '/' && format[0]);
	}
	cfn_config_line_at(CFN_LINE_COUNT + CFN_POLICY_LINE_COUNT +
				   CFN_POLICY_LINE_MODE,
			   path, format, sizeof(path));
	assert_string_equal(path, "/service/selection/mode");
	assert_string_equal(format,
			    "service {service:name} selection mode {.}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fills_placeholders_in_order),
		cmocka_unit_test(refuses_wrong_value_count),
		cmocka_unit_test(refuses_short_buffer),
		cmocka_unit_test(composes_policy_lines_with_scopes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
