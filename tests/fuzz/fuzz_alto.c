/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for what cfn-altod decodes: the first octet picks the
 * decoder, the rest is its input. 0-3: an HTTP request body through the
 * JSON parser and then the endpoint cost, filtered property map or
 * update stream parameters; 4: a Reply from bgpd's API (a Watch event)
 * applied to the view model and the maps built from it; 5: an
 * aggregated peer's update stream (events, merge patches, the maps
 * qualified by domain). A refusal must come with an error; never a
 * crash, a leak or undefined behaviour.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alto_aggregate.h"
#include "alto_maps.h"
#include "alto_request.h"
#include "alto_view.h"
#include "cfn_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool any_resource(const char *id)
{
	return !strcmp(id, "networkmap") || !strcmp(id, "propmap-filtered");
}

static void check_error(bool ok, const struct alto_error *error)
{
	if (!ok && !error->message[0])
		abort(); /* refused without saying why */
}

static void fuzz_body(uint8_t which, const char *body, size_t len)
{
	struct alto_endpointcost_params *ecp = malloc(sizeof(*ecp));
	struct alto_propmap_params pmp;
	struct alto_updatestream_params usp;
	struct alto_error error = {0};
	json_object *req = alto_parse_json(body, len, &error);

	check_error(req != NULL, &error);
	if (req && which == 1)
		check_error(alto_parse_endpointcost(req, ecp, &error), &error);
	else if (req && which == 2)
		check_error(alto_parse_propmap_params(req,
						      alto_maps_property_known,
						      &pmp, &error),
			    &error);
	else if (req && which == 3)
		check_error(alto_parse_updatestream(req, any_resource, &usp,
						    &error),
			    &error);
	json_object_put(req);
	free(ecp);
}

static void fuzz_event(const uint8_t *data, size_t len)
{
	Cfn__Reply *reply = cfn_api_reply_decode(data, len);
	struct alto_config config;
	json_object *model;

	if (!reply)
		return;
	if (reply->event) {
		alto_config_default(&config);
		model = json_object_new_object();
		alto_view_apply(model, reply->event);
		json_object_put(alto_networkmap(model, &config));
		json_object_put(alto_costmap(model, ALTO_METRIC_SCORE,
					     ALTO_MODE_ORDINAL));
		json_object_put(alto_propmap(model));
		json_object_put(model);
	}
	cfn_api_reply_free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body;

	if (!size)
		return 0;
	if (data[0] == 4) {
		fuzz_event(data + 1, size - 1);
		return 0;
	}
	if (data[0] == 5) {
		alto_aggregate_feed((const char *)data + 1, size - 1);
		return 0;
	}
	body = malloc(size);
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	fuzz_body(data[0] & 3, body, size - 1);
	free(body);
	return 0;
}
