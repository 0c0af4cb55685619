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
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nc_cli.h"
#include "nc_edit.h"

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

static void assert_valid(struct lyd_node **tree)
{
	assert_int_equal(lyd_validate_all(tree, ctx,
					  LYD_VALIDATE_NO_STATE |
						  LYD_VALIDATE_PRESENT,
					  NULL),
			 LY_SUCCESS);
}

/* running-config text as a valid configuration tree. */
static struct lyd_node *parse_valid(const char *running, unsigned long *asn)
{
	struct lyd_node *tree = NULL;

	assert_int_equal(nc_cli_parse(ctx, running, &tree, asn, count_unknown),
			 LY_SUCCESS);
	assert_valid(&tree);
	return tree;
}

/* The lines of running-config text, parsed and rendered again. */
static void round_trip(const char *running, struct nc_cli_lines *lines,
		       unsigned long *asn)
{
	struct lyd_node *tree = parse_valid(running, asn);

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
	" cfn service vc instance 10.8.8.8 drain\n"
	" cfn service vc drain\n"
	" cfn service vc dispatch instances\n"
	" cfn service vc selection max-paths 1\n"
	" cfn edge-metadata send\n"
	" cfn neighbor 192.0.2.2 data accept\n"
	" cfn neighbor partners max-score 7\n"
	" cfn neighbor partners change-limit 10 per 60\n"
	" cfn future-command 1\n"
	"exit\n";

static void test_every_kind_of_line_round_trips(void **state)
{
	struct nc_cli_lines lines;
	unsigned long asn;

	round_trip(every_kind, &lines, &asn);
	assert_int_equal(asn, 65000);
	assert_int_equal(unknown_lines, 1); /* cfn future-command */
	assert_int_equal(lines.count, 26); /* not the VRF instance's line */
	assert_true(has_line(&lines, "cfn edge-metadata send"));
	assert_true(has_line(&lines, "cfn neighbor 192.0.2.2 data accept"));
	assert_true(has_line(&lines, "cfn neighbor partners max-score 7"));
	assert_true(has_line(&lines,
			     "cfn neighbor partners change-limit 10 per 60"));
	assert_true(has_line(&lines, "cfn api tcp 127.0.0.1 port 7911"));
	assert_true(has_line(&lines, "cfn api max-clients-per-user 4"));
	assert_true(has_line(&lines, "cfn api idle-timeout 0"));
	assert_true(has_line(&lines, "cfn attribute-type 200"));
	assert_true(has_line(&lines, "cfn metric cpu-utilization normalize "
				     "min-max 5 95"));
	/* bgpd prints %g: 1e-06 becomes a decimal of the model */
	assert_true(has_line(&lines, "cfn metric queue-depth normalize "
				     "sigmoid 40 0.000001"));
	assert_true(has_line(&lines, "cfn selection affinity idle-timeout 30 "
				     "buckets 64"));
	assert_true(has_line(&lines, "cfn service vc instance 10.8.8.8 metric "
				     "active-sessions 12 statistic current"));
	assert_true(has_line(&lines,
			     "cfn service vc selection max-paths 1"));
	assert_true(has_line(&lines, "cfn service vc instance 10.8.8.8 drain"));
	assert_true(has_line(&lines, "cfn service vc drain"));
	assert_true(has_line(&lines, "cfn service vc dispatch instances"));
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

/* bgpd is sent what a vtysh user writes: 3600001, not 3600001.0 */
static void test_whole_decimals_are_integers(void **state)
{
	struct nc_cli_lines lines;
	unsigned long asn;

	round_trip("router bgp 1\n cfn service a sid 192.0.2.1/32\n"
		   " cfn service a instance 192.0.2.10 capacity 1\n"
		   " cfn service a instance 192.0.2.10 metric cpu-utilization "
		   "3600001 statistic mean\n cfn selection hysteresis 2.5\n"
		   " cfn selection weight-threshold 0.000001\nexit\n",
		   &lines, &asn);
	assert_true(has_line(&lines, "cfn service a instance 192.0.2.10 "
				     "metric cpu-utilization 3600001 "
				     "statistic mean"));
	assert_true(has_line(&lines, "cfn selection hysteresis 2.5"));
	assert_true(has_line(&lines, "cfn selection weight-threshold "
				     "0.000001"));
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
			    "cpu-utilization 5 statistic mean");
	assert_string_equal(plan.v[2].text,
			    "no cfn service a sid 192.0.2.1/32");
	/* then additions, parents first; a changed value is set, not
	 * removed first */
	assert_string_equal(plan.v[3].text, "cfn service b sid 192.0.2.2/32");
	assert_true(has_line(&plan, "cfn selection hysteresis 3"));
	assert_false(has_line(&plan, "no cfn selection hysteresis 2"));
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

/* Every leaf of the model set (keys aside), each value told by a. */
#define EVERY_LEAF(a, mode)                                                    \
	"router bgp 1\n"                                                       \
	" cfn api socket /run/cfn-" a ".sock\n"                                \
	" cfn api tcp 127.0.0." a " port 79" a "\n"                            \
	" cfn api max-clients 1" a "\n"                                        \
	" cfn api max-frame 409" a "\n"                                        \
	" cfn api max-instances 1" a "\n"                                      \
	" cfn api hold-time 4" a "\n"                                          \
	" cfn api stale-after 2" a "\n"                                        \
	" cfn attribute-type 20" a "\n"                                        \
	" cfn metric cpu-utilization normalize min-max " a " 9" a "\n"         \
	" cfn metric queue-depth normalize sigmoid 4" a " 1" a "\n"            \
	" cfn metric gpu-utilization weight " a "\n"                           \
	" cfn category compute weight " a "\n"                                 \
	" cfn damping min-interval 50" a "\n"                                  \
	" cfn damping max-interval 6" a "\n"                                   \
	" cfn damping max-rate 2" a "\n"                                       \
	" cfn damping threshold cpu-utilization relative 2" a " absolute " a  \
	"\n"                                                                   \
	" cfn service vc sid 198.51.100." a "/32\n"                            \
	" cfn service vc instance 10.8.8.8 capacity " a "\n"                   \
	" cfn service vc instance 10.8.8.8 metric active-sessions 3" a         \
	".5 statistic current\n"                                               \
	" cfn neighbor 192.0.2.1 data accept\n"                                \
	" cfn neighbor 192.0.2.1 max-score " a "\n"                            \
	" cfn neighbor 192.0.2.1 max-capacity 1" a "\n"                        \
	" cfn neighbor 192.0.2.1 max-sids " a "\n"                             \
	" cfn neighbor 192.0.2.1 change-limit " a " per 6" a "\n"              \
	POLICY("selection", a, mode)                                           \
		POLICY("service vc selection", a, mode) "exit\n"
#define POLICY(scope, a, mode)                                                 \
	" cfn " scope " mode " mode "\n"                                       \
	" cfn " scope " weight compute " a " network 1\n"                      \
	" cfn " scope " igp-cost-max 5" a "\n"                                 \
	" cfn " scope " min-score " a "\n"                                     \
	" cfn " scope " max-utilization 9" a "\n"                              \
	" cfn " scope " stale-after 3" a "\n"                                  \
	" cfn " scope " hysteresis " a ".5\n"                                  \
	" cfn " scope " weight-threshold " a "\n"                              \
	" cfn " scope " max-paths " a "\n"                                     \
	" cfn " scope " affinity idle-timeout 3" a " buckets 6" a "\n"

/* The tree as an <edit-config> carries it: explicit nodes only. */
static struct lyd_node *as_edit(const struct lyd_node *tree)
{
	struct lyd_node *edit = NULL;
	char *xml = NULL;

	assert_int_equal(lyd_print_mem(&xml, tree, LYD_XML,
				       LYD_PRINT_WITHSIBLINGS),
			 LY_SUCCESS);
	assert_int_equal(lyd_parse_data_mem(ctx, xml, LYD_XML,
					    LYD_PARSE_ONLY |
						    LYD_PARSE_NO_STATE |
						    LYD_PARSE_STRICT,
					    0, &edit),
			 LY_SUCCESS);
	free(xml);
	return edit;
}

static void assert_same_lines(const struct lyd_node *a,
			      const struct lyd_node *b)
{
	struct nc_cli_lines la, lb;

	assert_int_equal(nc_cli_render(a, &la), LY_SUCCESS);
	assert_int_equal(nc_cli_render(b, &lb), LY_SUCCESS);
	for (size_t i = 0; i < lb.count; i++)
		if (!has_line(&la, lb.v[i].text))
			fail_msg("missing: %s", lb.v[i].text);
	assert_int_equal(la.count, lb.count);
	nc_cli_lines_free(&la);
	nc_cli_lines_free(&lb);
}

/*
 * A merge of a new value into each existing leaf changes the leaf (a
 * leaf used to be matched by its value: a new value was a second
 * instance).
 */
static void test_merge_changes_every_leaf(void **state)
{
	unsigned long asn;
	struct lyd_node *config = parse_valid(EVERY_LEAF("1", "best"), &asn);
	struct lyd_node *changed = parse_valid(EVERY_LEAF("2", "weighted"), &asn);
	struct lyd_node *edit = as_edit(changed);
	struct nc_edit_error error;

	assert_int_equal(nc_edit_apply(&config, edit, NC_EDIT_MERGE, &error),
			 NC_EDIT_OK);
	assert_valid(&config);
	assert_same_lines(config, changed);
	lyd_free_all(edit);
	lyd_free_all(changed);
	lyd_free_all(config);
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
		cmocka_unit_test_setup_teardown(
			test_whole_decimals_are_integers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_changes_every_leaf,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
