/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cost of one selection decision, per candidate egress, with the decode
 * of one egress's attribute measured in the same run as the baseline.
 * Prints CSV: candidates,select_ns,select_ns_per_candidate,decode_ns,ratio
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfn_select.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void make_egress(struct cfn_egress *e, uint32_t node)
{
	struct cfn_metric_value cpu = {CFN_METRIC_CPU_UTIL, CFN_STAT_MEAN,
				       (uint32_t)(node * 997 % 10000)};
	struct cfn_metric_list metrics = {.values = &cpu, .count = 1};
	struct cfn_metric_value *pool;

	memset(e, 0, sizeof(*e));
	e->node_id = node;
	e->igp_metric = node * 7 % 60;
	e->reachable = true;
	e->attr.node_id = node;
	e->attr.scores.l2 = (uint8_t)(node * 3 % 11);
	pool = cfn_attr_alloc_instances(&e->attr, 2, 2);
	for (int i = 0; i < 2; i++) {
		e->attr.instances[i].scores.l2 = e->attr.scores.l2;
		pool = cfn_instance_store_metrics(&e->attr.instances[i],
						  &metrics, pool);
	}
}

static double time_select(size_t n, enum cfn_select_mode mode, int rounds)
{
	struct cfn_egress *egress = calloc(n, sizeof(*egress));
	void **items = calloc(n, sizeof(*items));
	struct cfn_sid_view sv = {.egresses = {items, n, n}};
	struct cfn_policy policy;
	double start;

	cfn_policy_default(&policy);
	policy.mode = mode;
	for (size_t i = 0; i < n; i++) {
		make_egress(&egress[i], (uint32_t)(i + 1));
		items[i] = &egress[i];
	}
	start = now_ns();
	for (int r = 0; r < rounds; r++) {
		egress[r % n].attr.scores.l2 = (uint8_t)(r % 11);
		cfn_select(&policy, &sv, (uint64_t)r, NULL);
	}
	start = (now_ns() - start) / rounds;
	for (size_t i = 0; i < n; i++)
		free(egress[i].attr.instances);
	free(sv.selection.chosen);
	free(egress);
	free(items);
	return start;
}

static double time_decode(int rounds)
{
	struct cfn_egress e;
	uint8_t buf[CFN_ATTR_MAX_LEN];
	struct cfn_attr out;
	size_t len;
	double start;

	make_egress(&e, 1);
	len = cfn_attr_encode(&e.attr, true, buf, sizeof(buf));
	start = now_ns();
	for (int r = 0; r < rounds; r++) {
		buf[8] = (uint8_t)r; /* sequence: defeat any caching */
		if (cfn_attr_decode(buf, len, &out) == CFN_DECODE_OK)
			cfn_attr_free(&out);
	}
	free(e.attr.instances);
	return (now_ns() - start) / rounds;
}

int main(void)
{
	static const size_t sizes[] = {1, 2, 4, 8, 16, 64, 256};
	int rounds = 200000;
	double decode = time_decode(rounds);

	printf("mode,candidates,select_ns,select_ns_per_candidate,decode_one_egress_ns,select_per_candidate_vs_decode\n");
	for (int m = 0; m < 2; m++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(*sizes); s++) {
			double ns = time_select(sizes[s], m, rounds / 10);

			printf("%s,%zu,%.0f,%.1f,%.0f,%.2f\n",
			       cfn_select_mode_name(m), sizes[s], ns,
			       ns / sizes[s], decode, ns / sizes[s] / decode);
		}
	return 0;
}
