/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the service notification API: any request payload
 * gets a well-formed reply, and the service table stays consistent
 * (sorted, within limits); a refused request (a batch in particular)
 * changes nothing; never a crash, a leak or undefined behaviour.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfn_alloc.h"
#include "cfn_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One dynamic instance to start with: updates (batched too) can apply. */
static void add_dynamic(struct cfn_service *service, const char *bid_str)
{
	struct cfn_local_instance *inst;
	struct cfn_prefix bid;
	char err[64];

	cfn_prefix_parse(bid_str, &bid, err, sizeof(err));
	cfn_instance_set(service, &bid, 1);
	inst = cfn_instance_find(service, &bid);
	inst->dynamic = true;
	inst->hold_time_s = 30;
}

static bool instance_unchanged(const struct cfn_service *service,
			       const struct cfn_local_instance *before)
{
	return service->instances.count == 1 &&
	       memcmp(cfn_instance_at(service, 0), before, sizeof(*before)) ==
		       0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfn_service_table table;
	struct cfn_api_limits limits;
	struct cfn_api_outcome outcome;
	struct cfn_local_instance before;
	struct cfn_service *service;
	struct cfn_prefix sid;
	uint8_t *reply = NULL;
	char err[64];
	size_t len;

	cfn_service_table_init(&table);
	cfn_api_limits_default(&limits);
	limits.max_instances = 4;
	cfn_prefix_parse("198.51.100.10/32", &sid, err, sizeof(err));
	cfn_service_set(&table, "video", &sid, NULL);
	service = cfn_service_find(&table, "video");
	add_dynamic(service, "10.1.0.11");
	before = *cfn_instance_at(service, 0);
	len = cfn_api_handle(&table, &limits, "fuzz", 1000, data, size, &reply,
			     &outcome);
	if (len < CFN_API_FRAME_HEADER ||
	    cfn_api_frame_length(reply) != len - CFN_API_FRAME_HEADER)
		abort();
	if (outcome.refused && !instance_unchanged(service, &before))
		abort();
	if (service->instances.count > limits.max_instances)
		abort();
	for (size_t i = 1; i < service->instances.count; i++)
		if (cfn_prefix_cmp(&cfn_instance_at(service, i - 1)->bid,
				   &cfn_instance_at(service, i)->bid) >= 0)
			abort();
	cfn_free(reply);
	cfn_service_table_fini(&table);
	return 0;
}
