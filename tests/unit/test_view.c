/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-service view: egresses appear, change, and go away. */
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
#include "cfn_view.h"

static struct cfn_prefix pfx(const char *str)
{
	struct cfn_prefix prefix;
	char err[64];

	assert_true(cfn_prefix_parse(str, &prefix, err, sizeof(err)));
	return prefix;
}

/* A candidate whose attribute carries one instance with the given L2. */
static struct cfn_egress candidate(uint32_t node_id, const char *nexthop,
				   uint32_t igp, uint8_t l2)
{
	struct cfn_egress c = {
		.node_id = node_id,
		.nexthop = pfx(nexthop),
		.igp_metric = igp,
		.reachable = true,
	};

	snprintf(c.source, sizeof(c.source), "peer-%u", node_id);
	c.attr.node_id = node_id;
	c.attr.scores.l2 = l2;
	c.attr.n_instances = 1;
	c.attr.instances = cfn_calloc(1, sizeof(*c.attr.instances));
	c.attr.instances[0].bid = pfx("10.9.0.1");
	c.attr.instances[0].scores.l2 = l2;
	return c;
}

static struct cfn_egress *egress_at(const struct cfn_sid_view *sv, size_t i)
{
	return sv->egresses.items[i];
}

static int setup(void **state)
{
	struct cfn_view *view = calloc(1, sizeof(*view));

	cfn_view_init(view);
	*state = view;
	return 0;
}

static int teardown(void **state)
{
	cfn_view_fini(*state);
	free(*state);
	budget_alloc_stop();
	return 0;
}

static void test_add_and_sort(void **state)
{
	struct cfn_view *view = *state;
	struct cfn_prefix sid = pfx("198.51.100.10/32");
	struct cfn_egress c[] = {candidate(3, "10.0.0.3", 20, 5),
				 candidate(1, "10.0.0.1", 10, 8)};
	struct cfn_sid_view *sv;
	unsigned int changes;

	assert_int_equal(cfn_view_update(view, &sid, c, 2, 1000, &changes),
			 CFN_OK);
	assert_int_equal(changes, CFN_VIEW_EGRESSES);
	sv = cfn_view_find(view, &sid);
	assert_non_null(sv);
	assert_int_equal(sv->egresses.count, 2);
	assert_int_equal(egress_at(sv, 0)->node_id, 1);
	assert_int_equal(egress_at(sv, 0)->igp_metric, 10);
	assert_string_equal(egress_at(sv, 0)->source, "peer-1");
	assert_int_equal(egress_at(sv, 1)->attr.scores.l2, 5);
	assert_int_equal(egress_at(sv, 1)->updated_ms, 1000);
	assert_int_equal(sv->changed_ms, 1000);
	assert_int_equal(cfn_view_instance_count(sv), 2);
	assert_null(cfn_view_find(view, &(struct cfn_prefix){}));
}

/* The view keeps exactly the hops of the newest path, as its own. */
static void test_hops_follow_the_path(void **state)
{
	struct cfn_view *view = *state;
	struct cfn_prefix sid = pfx("198.51.100.10/32");
	struct cfn_hop two[] = {{pfx("10.1.0.1"), 3}, {pfx("10.2.0.1"), 4}};
	struct cfn_egress c1 = candidate(1, "10.0.0.1", 10, 8);
	struct cfn_egress c2 = candidate(1, "10.0.0.1", 10, 8);
	struct cfn_egress c3 = candidate(1, "10.0.0.1", 10, 8);
	struct cfn_sid_view *sv;
	unsigned int changes;

	assert_true(cfn_egress_set_hops(&c1, two, 2));
	assert_true(cfn_egress_set_hops(&c2, two, 2));
	assert_true(cfn_egress_set_hops(&c3, &two[1], 1));
	cfn_view_update(view, &sid, &c1, 1, 1000, &changes);
	sv = cfn_view_find(view, &sid);
	assert_int_equal(egress_at(sv, 0)->n_hops, 2);
	assert_int_equal(egress_at(sv, 0)->hops[1].ifindex, 4);
	assert_null(c1.hops); /* taken by the view */
	cfn_view_update(view, &sid, &c2, 1, 2000, &changes);
	assert_int_equal(changes, 0);
	cfn_view_update(view, &sid, &c3, 1, 3000, &changes);
	assert_int_equal(changes, CFN_VIEW_PATH);
	assert_int_equal(egress_at(sv, 0)->n_hops, 1);
	assert_true(cfn_prefix_equal(&egress_at(sv, 0)->hops[0].gateway,
				     &two[1].gateway));
}

static void test_unchanged_keeps_age(void **state)
{
	struct cfn_view *view = *state;
	struct cfn_prefix sid = pfx("198.51.100.10/32");
	struct cfn_egress c1 = candidate(1, "10.0.0.1", 10, 8);
	struct cfn_egress c2 = candidate(1, "10.0.0.1", 10, 8);
	struct cfn_egress c3 = candidate(1, "10.0.0.1", 10, 6);
	struct cfn_sid_view *sv;
	unsigned int changes;

	cfn_view_update(view, &sid, &c1, 1, 1000, &changes);
	assert_int_equal(cfn_view_update(view, &sid, &c2, 1, 5000, &changes),
			 CFN_OK);
	assert_int_equal(changes, 0);
	sv = cfn_view_find(view, &sid);
	assert_int_equal(egress_at(sv, 0)->updated_ms, 1000);
	assert_int_equal(sv->changed_ms, 1000);

	cfn_view_update(view, &sid, &c3, 1, 7000, &changes);
	assert_int_equal(changes, CFN_VIEW_DATA);
	assert_int_equal(egress_at(sv, 0)->updated_ms, 7000);
	assert_int_equal(egress_at(sv, 0)->attr.scores.l2, 6);
}

static void test_path_changes(void **state)
{
	struct cfn_view *view = *state;
	struct cfn_prefix sid = pfx("2001:db8::10/128");
	struct cfn_egress c1 = candidate(1, "10.0.0.1", 10, 8);
	struct cfn_egress c2 = candidate(1, "10.0.0.1", 30, 8);
	struct cfn_egress c3 = candidate(1, "10.0.0.1", 30, 8);
	struct cfn_sid_view *sv;
	unsigned int changes;

	cfn_view_update(view, &sid, &c1, 1, 1000, &changes);
	cfn_view_update(view, &sid, &c2, 1, 2000, &changes);
	assert_int_equal(changes, CFN_VIEW_PATH);
	sv = cfn_view_find(view, &sid);
	assert_int_equal(egress_at(sv, 0)->igp_metric, 30);
	assert_int_equal(egress_at(sv, 0)->updated_ms, 1000); /* data same */
	c3.reachable = false;
	cfn_view_update(view, &sid, &c3, 1, 3000, &changes);
	assert_int_equal(changes, CFN_VIEW_PATH);
	assert_false(egress_at(sv, 0)->reachable);
}

static void test_duplicate_node_prefers_reachable_then_cheaper(void **state)
{
	struct cfn_view *view = *state;
	struct cfn_prefix sid = pfx("198.51.100.10/32");
	struct cfn_egress c[] = {candidate(1, "10.0.0.1", 5, 8),
				 candidate(1, "10.0.0.9", 50, 8),
				 candidate(1, "10.0.0.7", 20, 8)};
	struct cfn_sid_view *sv;
	unsigned int changes;

	c[0].reachable = false;
	cfn_view_update(view, &sid, c, 3, 1000, &changes);
	sv = cfn_view_find(view, &sid);
	assert_int_equal(sv->egresses.count, 1);
	assert_int_equal(egress_at(sv, 0)->igp_metric, 20);
	assert_true(egress_at(sv, 0)->reachable);
}

/* One egress over sessions A and C (e.g. two route reflectors). */
static struct cfn_egress report(const char *source, uint32_t sequence,
				uint8_t l2, uint32_t igp)
{
	struct cfn_egress c = candidate(11, "10.0.0.11", igp, l2);

	c.attr.sequence = sequence;
	snprintf(c.source, sizeof(c.source), "%s", source);
	return c;
}

/* The newest report, whichever order bgpd lists the paths in. */
static void test_duplicate_node_newest_report_wins(void **state)
{
	struct cfn_view *view = *state;
	struct cfn_prefix sid = pfx("198.51.100.10/32");
	struct cfn_egress first[] = {report("A", 100, 5, 10)};
	struct cfn_egress second[] = {report("C", 101, 6, 20),
				      report("A", 100, 5, 10)};
	struct cfn_egress third[] = {report("C", 101, 6, 20),
				     report("A", 150, 7, 10)};
	struct cfn_egress reversed[] = {report("A", 150, 7, 10),
					report("C", 101, 6, 20)};
	struct cfn_sid_view *sv;
	unsigned int changes;

	cfn_view_update(view, &sid, first, 1, 1000, &changes);
	cfn_view_update(view, &sid, second, 2, 2000, &changes);
	sv = cfn_view_find(view, &sid);
	assert_int_equal(egress_at(sv, 0)->attr.sequence, 101);
	assert_string_equal(egress_at(sv, 0)->source, "C");
	assert_int_equal(egress_at(sv, 0)->igp_metric, 10); /* A's path */

	cfn_view_update(view, &sid, third, 2, 3000, &changes);
	assert_int_equal(changes, CFN_VIEW_DATA);
	assert_int_equal(sv->egresses.count, 1);
	assert_int_equal(egress_at(sv, 0)->attr.sequence, 150);
	assert_int_equal(egress_at(sv, 0)->attr.scores.l2, 7);
	assert_string_equal(egress_at(sv, 0)->source, "A");
	assert_int_equal(egress_at(sv, 0)->updated_ms, 3000);

	cfn_view_update(view, &sid, reversed, 2, 4000, &changes);
	assert_int_equal(changes, 0);
	assert_int_equal(egress_at(sv, 0)->attr.sequence, 150);
}

/* 2^32 - 1 is followed by 0: after wrap-around 3 is newer than 0xfffffff0. */
static void test_duplicate_node_sequence_wraps_around(void **state)
{
	struct cfn_view *view = *state;
	struct cfn_prefix sid = pfx("198.51.100.10/32");
	struct cfn_egress c[] = {report("A", 0xfffffff0u, 5, 10),
				 report("C", 3, 8, 20),
				 report("B", 0xffffffffu, 6, 30)};
	struct cfn_sid_view *sv;
	unsigned int changes;

	cfn_view_update(view, &sid, c, 3, 1000, &changes);
	sv = cfn_view_find(view, &sid);
	assert_int_equal(egress_at(sv, 0)->attr.sequence, 3);
	assert_int_equal(egress_at(sv, 0)->attr.scores.l2, 8);
	assert_true(cfn_sequence_newer(0, 0xffffffffu));
	assert_true(cfn_sequence_newer(0x7fffffffu, 0));
	assert_false(cfn_sequence_newer(0x80000000u, 0)); /* undefined */
	assert_false(cfn_sequence_newer(0, 0x80000000u));
	assert_false(cfn_sequence_newer(5, 5));
	assert_false(cfn_sequence_newer(0xffffffffu, 0));
}

/*
 * Reports of which neither is newer (equal sequence numbers, or 2^31
 * apart): the more cautious wins, whichever order the paths come in.
 */
static void test_duplicate_node_tie_is_order_independent(void **state)
{
	struct cfn_view *view = *state;
	struct cfn_prefix sid = pfx("198.51.100.10/32");
	uint32_t second[] = {50, 50 + 0x80000000u};

	for (size_t k = 0; k < 2; k++)
		for (int flip = 0; flip < 2; flip++) {
			struct cfn_egress high = report("A", 50, 9, 10);
			struct cfn_egress low = report("C", second[k], 3, 10);
			struct cfn_egress c[2] = {flip ? low : high,
						  flip ? high : low};
			unsigned int changes;
			struct cfn_sid_view *sv;

			cfn_view_update(view, &sid, c, 2, 1000, &changes);
			sv = cfn_view_find(view, &sid);
			assert_int_equal(egress_at(sv, 0)->attr.scores.l2, 3);
			assert_string_equal(egress_at(sv, 0)->source, "C");
		}
}

/* A newer report over an unreachable path does not replace a usable one. */
static void test_duplicate_node_unreachable_report_loses(void **state)
{
	struct cfn_view *view = *state;
	struct cfn_prefix sid = pfx("198.51.100.10/32");
	struct cfn_egress c[] = {report("C", 200, 9, 5),
				 report("A", 150, 7, 40),
				 report("B", 120, 6, 30)};
	struct cfn_egress gone[] = {report("C", 200, 9, 5),
				    report("A", 150, 7, 40)};
	struct cfn_sid_view *sv;
	unsigned int changes;

	c[0].reachable = false;
	cfn_view_update(view, &sid, c, 3, 1000, &changes);
	sv = cfn_view_find(view, &sid);
	assert_int_equal(egress_at(sv, 0)->attr.sequence, 150);
	assert_string_equal(egress_at(sv, 0)->source, "A");
	assert_true(egress_at(sv, 0)->reachable);
	assert_int_equal(egress_at(sv, 0)->igp_metric, 30); /* B's path */

	gone[0].reachable = gone[1].reachable = false;
	cfn_view_update(view, &sid, gone, 2, 2000, &changes);
	assert_false(egress_at(sv, 0)->reachable);
	assert_int_equal(egress_at(sv, 0)->attr.sequence, 200);
}

static void test_egress_leaves_and_sid_goes(void **state)
{
	struct cfn_view *view = *state;
	struct cfn_prefix sid = pfx("198.51.100.10/32");
	struct cfn_prefix other = pfx("198.51.100.20/32");
	struct cfn_egress c[] = {candidate(1, "10.0.0.1", 10, 8),
				 candidate(2, "10.0.0.2", 10, 8)};
	struct cfn_egress keep = candidate(2, "10.0.0.2", 10, 8);
	struct cfn_egress o = candidate(2, "10.0.0.2", 10, 8);
	struct cfn_sid_view *sv;
	unsigned int changes;

	cfn_view_update(view, &sid, c, 2, 1000, &changes);
	cfn_view_update(view, &other, &o, 1, 1000, &changes);
	cfn_view_update(view, &sid, &keep, 1, 2000, &changes);
	assert_int_equal(changes, CFN_VIEW_EGRESSES);
	sv = cfn_view_find(view, &sid);
	assert_int_equal(sv->egresses.count, 1);
	assert_int_equal(egress_at(sv, 0)->node_id, 2);
	assert_int_equal(sv->changed_ms, 2000);

	cfn_view_update(view, &sid, NULL, 0, 3000, &changes);
	assert_int_equal(changes, CFN_VIEW_EGRESSES);
	assert_null(cfn_view_find(view, &sid));
	assert_non_null(cfn_view_find(view, &other));
	cfn_view_update(view, &sid, NULL, 0, 4000, &changes);
	assert_int_equal(changes, 0);
	assert_int_equal(view->sids.count, 1);
}

/* Every allocation failure leaves the view as it was; success is whole. */
static void test_out_of_memory_all_or_nothing(void **state)
{
	struct cfn_view *view = *state;
	struct cfn_prefix sid = pfx("198.51.100.10/32");
	struct cfn_prefix sid2 = pfx("198.51.100.11/32");
	unsigned int changes, failures = 0, successes = 0;

	for (int budget = 0; budget < 8; budget++) {
		struct cfn_egress first = candidate(1, "10.0.0.1", 10, 8);
		struct cfn_egress c[] = {candidate(1, "10.0.0.1", 10, 2),
					 candidate(2, "10.0.0.2", 10, 8)};
		struct cfn_egress n = candidate(5, "10.0.0.5", 10, 8);
		struct cfn_sid_view *sv;
		enum cfn_err e1, e2;

		cfn_view_update(view, &sid, &first, 1, 1000, &changes);
		cfn_view_update(view, &sid2, NULL, 0, 1000, &changes);
		budget_alloc_start(budget);
		e1 = cfn_view_update(view, &sid, c, 2, 2000, &changes);
		budget_alloc_start(budget);
		e2 = cfn_view_update(view, &sid2, &n, 1, 2000, &changes);
		budget_alloc_stop();

		sv = cfn_view_find(view, &sid);
		if (e1 == CFN_ERR_NOMEM) {
			failures++;
			assert_int_equal(sv->egresses.count, 1);
			assert_int_equal(egress_at(sv, 0)->attr.scores.l2, 8);
		} else {
			successes++;
			assert_int_equal(e1, CFN_OK);
			assert_int_equal(sv->egresses.count, 2);
			assert_int_equal(egress_at(sv, 0)->attr.scores.l2, 2);
		}
		if (e2 == CFN_ERR_NOMEM)
			assert_null(cfn_view_find(view, &sid2));
		else
			assert_non_null(cfn_view_find(view, &sid2));
	}
	assert_true(failures > 0 && successes > 0);
}

/* A neighbour's change limit holds back its egress's flapping data. */
static void test_change_limit_damps_on_receipt(void **state)
{
	struct cfn_view *view = *state;
	struct cfn_prefix sid = pfx("198.51.100.10/32");
	uint8_t l2[] = {8, 2, 9, 3};
	struct cfn_sid_view *sv;
	unsigned int changes;

	for (size_t i = 0; i < sizeof(l2); i++) {
		struct cfn_egress c = candidate(1, "10.0.0.1", 10, l2[i]);

		c.max_changes = 2;
		c.window_s = 60;
		cfn_view_update(view, &sid, &c, 1, 1000 + i, &changes);
		assert_int_equal(c.damped, i == 3);
	}
	sv = cfn_view_find(view, &sid);
	assert_int_equal(egress_at(sv, 0)->attr.scores.l2, 9);
	assert_int_equal(changes, 0);

	struct cfn_egress later = candidate(1, "10.0.0.1", 10, 3);

	later.max_changes = 2;
	later.window_s = 60;
	cfn_view_update(view, &sid, &later, 1, 61002, &changes);
	assert_false(later.damped);
	assert_int_equal(changes, CFN_VIEW_DATA);
	assert_int_equal(egress_at(sv, 0)->attr.scores.l2, 3);
}

static void test_sids_from_a_source(void **state)
{
	struct cfn_view *view = *state;
	struct cfn_prefix sid1 = pfx("198.51.100.1/32");
	struct cfn_prefix sid2 = pfx("198.51.100.2/32");
	struct cfn_egress c1 = candidate(1, "10.0.0.1", 10, 8);
	struct cfn_egress c2 = candidate(1, "10.0.0.1", 10, 8);
	struct cfn_egress c3 = candidate(2, "10.0.0.2", 10, 8);
	unsigned int changes;

	cfn_view_update(view, &sid1, &c1, 1, 1000, &changes);
	cfn_view_update(view, &sid2, &c2, 1, 1000, &changes);
	cfn_view_update(view, &sid2, &c3, 1, 1000, &changes);
	assert_true(
		cfn_sid_view_has_source(cfn_view_find(view, &sid1), "peer-1"));
	assert_false(
		cfn_sid_view_has_source(cfn_view_find(view, &sid2), "peer-1"));
	assert_int_equal(cfn_view_sids_from(view, "peer-1", &sid2), 1);
	assert_int_equal(cfn_view_sids_from(view, "peer-1", &sid1), 0);
	assert_int_equal(cfn_view_sids_from(view, "peer-2", &sid1), 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_add_and_sort),
		T(test_unchanged_keeps_age),
		T(test_path_changes),
		T(test_duplicate_node_prefers_reachable_then_cheaper),
		T(test_duplicate_node_newest_report_wins),
		T(test_duplicate_node_sequence_wraps_around),
		T(test_duplicate_node_tie_is_order_independent),
		T(test_duplicate_node_unreachable_report_loses),
		T(test_egress_leaves_and_sid_goes),
		T(test_out_of_memory_all_or_nothing),
		T(test_change_limit_damps_on_receipt),
		T(test_sids_from_a_source),
		T(test_hops_follow_the_path),
	};
#undef T

	return cmocka_run_group_tests_name("view", tests, NULL, NULL);
}
