/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parsing and checking of what ALTO clients send (RFC 7285 section 8.5
 * errors): JSON bodies, endpoint cost parameters, property map filters
 * and update stream parameters. No I/O, no shared state: the fuzz target
 * tests/fuzz/fuzz_alto.c drives these directly.
 */
#ifndef ALTO_REQUEST_H
#define ALTO_REQUEST_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "cfn_prefix.h"

/* How every JSON text is written: one line, "/" unescaped. */
#define ALTO_JSON_TEXT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

enum alto_error_code {
	ALTO_E_SYNTAX,
	ALTO_E_MISSING_FIELD,
	ALTO_E_INVALID_FIELD_TYPE,
	ALTO_E_INVALID_FIELD_VALUE,
};

struct alto_error {
	enum alto_error_code code;
	char field[64]; /* the JSON field at fault, "" when none */
	char value[96]; /* the value at fault, "" when none */
	char message[160];
};

const char *alto_error_code_name(enum alto_error_code code);

/* The application/alto-error+json body of an error (free with free). */
char *alto_error_body(const struct alto_error *error);

/*
 * One JSON value, nothing after it but white space, nested at most
 * ALTO_JSON_DEPTH deep; NULL with E_SYNTAX otherwise.
 */
#define ALTO_JSON_DEPTH 16
json_object *alto_parse_json(const char *body, size_t len,
			     struct alto_error *error);

enum alto_metric {
	ALTO_METRIC_ROUTINGCOST, /* IGP cost to the egress */
	ALTO_METRIC_SCORE,	 /* priv:cfn-score, the selection score */
	ALTO_METRIC_L2,		 /* priv:cfn-l2 */
	ALTO_METRIC_COUNT
};

enum alto_mode { ALTO_MODE_NUMERICAL, ALTO_MODE_ORDINAL };

const char *alto_metric_name(enum alto_metric metric);
const char *alto_mode_name(enum alto_mode mode);

/* "ipv4:ADDR" or "ipv6:ADDR" as a host prefix. */
bool alto_parse_endpoint(const char *text, struct cfn_prefix *out);

#define ALTO_ENDPOINTS_MAX 256

struct alto_endpointcost_params {
	enum alto_metric metric;
	enum alto_mode mode;
	size_t n_srcs, n_dsts;
	struct cfn_prefix srcs[ALTO_ENDPOINTS_MAX], dsts[ALTO_ENDPOINTS_MAX];
	char dst_names[ALTO_ENDPOINTS_MAX][64]; /* as the client wrote them */
	char src_names[ALTO_ENDPOINTS_MAX][64];
};

/* RFC 7285 section 11.5.1.3 ReqEndpointCostMap. */
bool alto_parse_endpointcost(json_object *req,
			     struct alto_endpointcost_params *params,
			     struct alto_error *error);

#define ALTO_FILTER_MAX 256

/* RFC 9240 section 7.3 ReqFilteredPropertyMap: names stay in req. */
struct alto_propmap_params {
	size_t n_entities, n_properties;
	const char *entities[ALTO_FILTER_MAX];
	const char *properties[ALTO_FILTER_MAX];
};

/* known(name) says whether a property name is served. */
bool alto_parse_propmap_params(json_object *req,
			       bool (*known)(const char *property),
			       struct alto_propmap_params *params,
			       struct alto_error *error);

#define ALTO_SUBSTREAMS_MAX 16
#define ALTO_CLIENT_ID_MAX 32

struct alto_substream_add {
	char client_id[ALTO_CLIENT_ID_MAX + 1];
	char resource_id[ALTO_CLIENT_ID_MAX + 1];
	bool incremental;
	json_object *input; /* owned by the request; NULL when none */
};

/* RFC 8895 section 6.5 UpdateStreamReq. */
struct alto_updatestream_params {
	size_t n_add, n_remove;
	struct alto_substream_add add[ALTO_SUBSTREAMS_MAX];
	char remove[ALTO_SUBSTREAMS_MAX][ALTO_CLIENT_ID_MAX + 1];
};

/* known(resource_id) says whether a resource may be streamed. */
bool alto_parse_updatestream(json_object *req,
			     bool (*known)(const char *resource_id),
			     struct alto_updatestream_params *params,
			     struct alto_error *error);

#endif /* ALTO_REQUEST_H */
