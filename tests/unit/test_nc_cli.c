/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfn-netconfd's translation between bgpd's "cfn" commands and the
 * frr-cfn YANG model: every kind of line round-trips, and the plan from
 * one configuration to another orders its commands so bgpd takes them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "nc_cli.h"

static struct ly_ctx *ctx;
static unsigned int unknown_lines;

static void count_unknown(const char *line)
{
	unknown_lines++;
}

static int setup(void **state)
{
	if (ly_ctx_new(YANG_DIR, 0, &ctx) ||
	    !ly_ctx_load_module(ctx, NC_CLI_MODULE, NULL, NULL))
		return -1;
	unknown_lines = 0;
	return 0;
}

static int teardown(void **state)
{
	ly_ctx_destroy(ctx);
	return 0;
}

/* The lines of running-config text, parsed and rendered again. */
static void round_trip(const char *running, struct nc_cli_lines *lines,
		       unsigned long *asn)
{
	struct lyd_node *tree = NULL;

	assert_int_equal(nc_cli_parse(ctx, running, &tree, asn, count_unknown),
			 LY_SUCCESS);
	assert_int_equal(lyd_validate_all(&tree, ctx,
					  LYD_VALIDATE_NO_STATE |
						  LYD_VALIDATE_PRESENT,
					  NULL),
			 LY_SUCCESS);
	assert_int_equal(nc_cli_render(tree, lines), LY_SUCCESS);
	lyd_free_all(tree);
}

static bool has_line(const struct nc_cli_lines *lines, const char *text)
{
	for (size_t i = 0; i < lines->count; i++)
		if (!strcmp(lines->v[i].text, text))
			return true;
	return false;
}

static const char every_kind[] =
	"hostname r1\n"
	"router bgp 65000 vrf blue\n"
	" cfn attribute-type 100\n"
	"exit\n"
	"router bgp 65000\n"
	" bgp router-id 10.0.0.1\n"
	" cfn api socket /run/cfn.sock\n"
	" cfn api tcp 127.0.0.1 port 7911\n"
	" cfn api max-clients 10\n"
	" cfn api max-clients-per-user 4\n"
	" cfn api idle-timeout 0\n"
	" cfn attribute-type 200\n"
	" cfn metric cpu-utilization normalize min-max 5 95\n"
	" cfn metric queue-depth normalize sigmoid 40 1e-06\n"
	" cfn metric gpu-utilization weight 2\n"
	" cfn category compute weight 3\n"
	" cfn damping min-interval 500\n"
	" cfn damping threshold cpu-utilization relative 20 absolute 4\n"
	" cfn selection mode weighted\n"
	" cfn selection weight compute 3 network 1\n"
	" cfn selection affinity idle-timeout 30 buckets 64\n"
	" cfn service vc sid 198.51.100.30/32\n"
	" cfn service vc instance 10.8.8.8 capacity 2\n"
	" cfn service vc instance 10.8.8.8 metric active-sessions 12 statistic current\n"
	" cfn service vc selection max-paths 1\n"
	" cfn future-command 1\n"
	"exit\n";

static void test_every_kind_of_line_round_trips(void **state)
{
	struct nc_cli_lines lines;
	unsigned long asn;

	round_trip(every_kind, &lines, &asn);
	assert_int_equal(asn, 65000);
	assert_int_equal(unknown_lines, 1); /* cfn future-command */
	assert_int_equal(lines.count, 19); /* not the VRF instance's line */
	assert_true(has_line(&lines, "cfn api tcp 127.0.0.1 port 7911"));
	assert_true(has_line(&lines, "cfn api max-clients-per-user 4"));
	assert_true(has_line(&lines, "cfn api idle-timeout 0"));
	assert_true(has_line(&lines, "cfn attribute-type 200"));
	assert_true(has_line(&lines, "cfn metric cpu-utilization normalize "
				     "min-max 5.0 95.0"));
	/* bgpd prints %g: 1e-06 becomes a decimal of the model */
	assert_true(has_line(&lines, "cfn metric queue-depth normalize "
				     "sigmoid 40.0 0.000001"));
	assert_true(has_line(&lines, "cfn selection affinity idle-timeout 30 "
				     "buckets 64"));
	assert_true(has_line(&lines, "cfn service vc instance 10.8.8.8 metric "
				     "active-sessions 12.0 statistic current"));
	assert_true(has_line(&lines,
			     "cfn service vc selection max-paths 1"));
	nc_cli_lines_free(&lines);
}

static void test_defaults_are_not_lines(void **state)
{
	struct nc_cli_lines lines;
	unsigned long asn;

	round_trip("router bgp 1\n cfn service a sid 192.0.2.1/32\n"
		   " cfn service a instance 192.0.2.10 capacity 0\nexit\n",
		   &lines, &asn);
	/* the model's defaults (attribute-type 255, api max-clients 64...)
	 * are not lines, as in bgpd's running-config; capacity 0 is a
	 * default too, but part of the instance's line */
	assert_int_equal(lines.count, 2);
	assert_true(has_line(&lines, "cfn service a instance 192.0.2.10 "
				     "capacity 0"));
	nc_cli_lines_free(&lines);
}

static void test_plan_orders_removals_and_additions(void **state)
{
	struct nc_cli_lines from, to, plan;
	unsigned long asn;

	round_trip("router bgp 1\n cfn service a sid 192.0.2.1/32\n"
		   " cfn service a instance 192.0.2.10 capacity 1\n"
		   " cfn service a instance 192.0.2.10 metric cpu-utilization "
		   "5 statistic mean\n cfn selection hysteresis 2\nexit\n",
		   &from, &asn);
	round_trip("router bgp 1\n cfn service b sid 192.0.2.2/32\n"
		   " cfn service b instance 192.0.2.20 capacity 1\n"
		   " cfn selection hysteresis 3\nexit\n",
		   &to, &asn);
	assert_int_equal(nc_cli_plan(&from, &to, &plan), LY_SUCCESS);
	assert_int_equal(plan.count, 6);
	/* the deepest removal first: the metric before its instance */
	assert_string_equal(plan.v[0].text,
			    "no cfn service a instance 192.0.2.10 metric "
			    "cpu-utilization 5.0 statistic mean");
	assert_string_equal(plan.v[2].text,
			    "no cfn service a sid 192.0.2.1/32");
	/* then additions, parents first; a changed value is set, not
	 * removed first */
	assert_string_equal(plan.v[3].text, "cfn service b sid 192.0.2.2/32");
	assert_true(has_line(&plan, "cfn selection hysteresis 3.0"));
	assert_false(has_line(&plan, "no cfn selection hysteresis 2.0"));
	assert_true(has_line(&plan,
			     "cfn service b instance 192.0.2.20 capacity 1"));
	nc_cli_lines_free(&plan);

	/* nothing to do between equal configurations */
	assert_int_equal(nc_cli_plan(&to, &to, &plan), LY_SUCCESS);
	assert_int_equal(plan.count, 0);
	nc_cli_lines_free(&plan);
	nc_cli_lines_free(&from);
	nc_cli_lines_free(&to);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_every_kind_of_line_round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults_are_not_lines,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_plan_orders_removals_and_additions, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
