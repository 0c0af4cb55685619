/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alto_request.h"

static const char *const error_names[] = {
	[ALTO_E_SYNTAX] = "E_SYNTAX",
	[ALTO_E_MISSING_FIELD] = "E_MISSING_FIELD",
	[ALTO_E_INVALID_FIELD_TYPE] = "E_INVALID_FIELD_TYPE",
	[ALTO_E_INVALID_FIELD_VALUE] = "E_INVALID_FIELD_VALUE",
};

static const char *const metric_names[] = {
	[ALTO_METRIC_ROUTINGCOST] = "routingcost",
	[ALTO_METRIC_SCORE] = "priv:cfn-score",
	[ALTO_METRIC_L2] = "priv:cfn-l2",
};

const char *alto_error_code_name(enum alto_error_code code)
{
	return error_names[code];
}

const char *alto_metric_name(enum alto_metric metric)
{
	return metric_names[metric];
}

const char *alto_mode_name(enum alto_mode mode)
{
	return mode == ALTO_MODE_ORDINAL ? "ordinal" : "numerical";
}

/* Fill error; always false, so that a check can return it. */
static bool fail(struct alto_error *error, enum alto_error_code code,
		 const char *field, const char *value, const char *fmt, ...)
{
	va_list ap;

	error->code = code;
	snprintf(error->field, sizeof(error->field), "%s", field ? field : "");
	snprintf(error->value, sizeof(error->value), "%s", value ? value : "");
	va_start(ap, fmt);
	vsnprintf(error->message, sizeof(error->message), fmt, ap);
	va_end(ap);
	return false;
}

char *alto_error_body(const struct alto_error *error)
{
	json_object *body = json_object_new_object();
	json_object *meta = json_object_new_object();
	char *text;

	json_object_object_add(
		meta, "code",
		json_object_new_string(alto_error_code_name(error->code)));
	if (error->field[0])
		json_object_object_add(meta, "field",
				       json_object_new_string(error->field));
	if (error->value[0])
		json_object_object_add(meta, "value",
				       json_object_new_string(error->value));
	json_object_object_add(meta, "message",
			       json_object_new_string(error->message));
	json_object_object_add(body, "meta", meta);
	text = strdup(json_object_to_json_string_ext(body, ALTO_JSON_TEXT));
	json_object_put(body);
	return text;
}

json_object *alto_parse_json(const char *body, size_t len,
			     struct alto_error *error)
{
	json_tokener *tok = json_tokener_new_ex(ALTO_JSON_DEPTH);
	json_object *obj = NULL;
	size_t used;

	if (!tok || len > INT32_MAX) {
		json_tokener_free(tok);
		fail(error, ALTO_E_SYNTAX, NULL, NULL, "cannot parse");
		return NULL;
	}
	/* JSON text is UTF-8 (RFC 8259 8.1); errors echo its strings */
	json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	used = json_tokener_get_parse_end(tok);
	if (obj && json_tokener_get_error(tok) == json_tokener_success)
		while (used < len && isspace((unsigned char)body[used]))
			used++;
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    used != len) {
		fail(error, ALTO_E_SYNTAX, NULL, NULL, "not one JSON value: %s",
		     obj ? "text after it"
			 : json_tokener_error_desc(
				   json_tokener_get_error(tok)));
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return obj;
}

bool alto_parse_endpoint(const char *text, struct cfn_prefix *out)
{
	char err[64], addr[64];
	const char *colon = strchr(text, ':');
	size_t domain = colon ? (size_t)(colon - text) : 0;

	if (!colon || strlen(colon + 1) >= sizeof(addr) ||
	    strchr(colon + 1, '/'))
		return false;
	snprintf(addr, sizeof(addr), "%s", colon + 1);
	if (!cfn_prefix_parse(addr, out, err, sizeof(err)))
		return false;
	return (domain == 4 && !strncmp(text, "ipv4", 4) &&
		out->family == CFN_FAMILY_IPV4) ||
	       (domain == 4 && !strncmp(text, "ipv6", 4) &&
		out->family == CFN_FAMILY_IPV6);
}

/* The member, of the JSON type wanted; false with the error otherwise. */
static bool member(json_object *obj, const char *name, json_type type,
		   bool required, json_object **out, struct alto_error *error)
{
	*out = NULL;
	if (!json_object_object_get_ex(obj, name, out)) {
		if (required)
			return fail(error, ALTO_E_MISSING_FIELD, name, NULL,
				    "%s is missing", name);
		return true;
	}
	if (!json_object_is_type(*out, type))
		return fail(error, ALTO_E_INVALID_FIELD_TYPE, name, NULL,
			    "%s must be a JSON %s", name,
			    json_type_to_name(type));
	return true;
}

static bool is_object(json_object *req, struct alto_error *error)
{
	if (!json_object_is_type(req, json_type_object))
		return fail(error, ALTO_E_INVALID_FIELD_TYPE, NULL, NULL,
			    "the request must be a JSON object");
	return true;
}

static bool parse_cost_type(json_object *req,
			    struct alto_endpointcost_params *params,
			    struct alto_error *error)
{
	json_object *ct, *mode, *metric;
	const char *name;
	size_t m;

	if (!member(req, "cost-type", json_type_object, true, &ct, error) ||
	    !member(ct, "cost-mode", json_type_string, true, &mode, error) ||
	    !member(ct, "cost-metric", json_type_string, true, &metric, error))
		return false;
	name = json_object_get_string(mode);
	if (strcmp(name, "numerical") && strcmp(name, "ordinal"))
		return fail(error, ALTO_E_INVALID_FIELD_VALUE, "cost-mode",
			    name, "cost-mode: numerical or ordinal");
	params->mode = strcmp(name, "ordinal") ? ALTO_MODE_NUMERICAL
					       : ALTO_MODE_ORDINAL;
	name = json_object_get_string(metric);
	for (m = 0; m < ALTO_METRIC_COUNT; m++)
		if (!strcmp(name, metric_names[m]))
			break;
	if (m == ALTO_METRIC_COUNT)
		return fail(error, ALTO_E_INVALID_FIELD_VALUE, "cost-metric",
			    name,
			    "cost-metric: routingcost, priv:cfn-score or "
			    "priv:cfn-l2");
	params->metric = m;
	return true;
}

/* An array of endpoint addresses into prefixes and names. */
static bool parse_endpoints(json_object *arr, const char *field,
			    struct cfn_prefix *out, char (*names)[64],
			    size_t *n, struct alto_error *error)
{
	size_t len = json_object_array_length(arr);

	if (len > ALTO_ENDPOINTS_MAX)
		return fail(error, ALTO_E_INVALID_FIELD_VALUE, field, NULL,
			    "more than %d endpoints", ALTO_ENDPOINTS_MAX);
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *text = json_object_get_string(e);

		if (!json_object_is_type(e, json_type_string))
			return fail(error, ALTO_E_INVALID_FIELD_TYPE, field,
				    NULL, "%s holds strings", field);
		if (!alto_parse_endpoint(text, &out[i]))
			return fail(error, ALTO_E_INVALID_FIELD_VALUE, field,
				    text,
				    "not an endpoint address (ipv4:ADDR or "
				    "ipv6:ADDR)");
		snprintf(names[i], sizeof(names[i]), "%s", text);
	}
	*n = len;
	return true;
}

bool alto_parse_endpointcost(json_object *req,
			     struct alto_endpointcost_params *params,
			     struct alto_error *error)
{
	json_object *endpoints, *srcs, *dsts;

	memset(params, 0, sizeof(*params));
	if (!is_object(req, error) || !parse_cost_type(req, params, error) ||
	    !member(req, "endpoints", json_type_object, true, &endpoints,
		    error) ||
	    !member(endpoints, "srcs", json_type_array, false, &srcs, error) ||
	    !member(endpoints, "dsts", json_type_array, true, &dsts, error))
		return false;
	if (srcs && !parse_endpoints(srcs, "srcs", params->srcs,
				     params->src_names, &params->n_srcs, error))
		return false;
	if (!parse_endpoints(dsts, "dsts", params->dsts, params->dst_names,
			     &params->n_dsts, error))
		return false;
	if (!params->n_dsts)
		return fail(error, ALTO_E_INVALID_FIELD_VALUE, "dsts", NULL,
			    "dsts is empty");
	return true;
}

/* An array of strings, each checked by valid(); names point into arr. */
static bool parse_names(json_object *arr, const char *field,
			bool (*valid)(const char *name), const char **out,
			size_t *n, struct alto_error *error)
{
	size_t len = json_object_array_length(arr);

	if (len > ALTO_FILTER_MAX)
		return fail(error, ALTO_E_INVALID_FIELD_VALUE, field, NULL,
			    "more than %d %s", ALTO_FILTER_MAX, field);
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(e, json_type_string))
			return fail(error, ALTO_E_INVALID_FIELD_TYPE, field,
				    NULL, "%s holds strings", field);
		out[i] = json_object_get_string(e);
		if (!valid(out[i]))
			return fail(error, ALTO_E_INVALID_FIELD_VALUE, field,
				    out[i], "unknown or malformed name");
	}
	*n = len;
	return true;
}

/* "ipv4:A", "ipv6:A" or "networkmap.pid:NAME" (RFC 9240 section 5). */
static bool entity_valid(const char *entity)
{
	struct cfn_prefix p;
	static const char pid[] = "networkmap.pid:";
	size_t len = strlen(entity);

	if (!strncmp(entity, pid, sizeof(pid) - 1)) {
		len -= sizeof(pid) - 1;
		entity += sizeof(pid) - 1;
		if (!len || len > 64)
			return false;
		for (; *entity; entity++)
			if (!isalnum((unsigned char)*entity) &&
			    !strchr("-:@_.", *entity))
				return false;
		return true;
	}
	return alto_parse_endpoint(entity, &p);
}

bool alto_parse_propmap_params(json_object *req,
			       bool (*known)(const char *property),
			       struct alto_propmap_params *params,
			       struct alto_error *error)
{
	json_object *entities, *properties;

	memset(params, 0, sizeof(*params));
	return is_object(req, error) &&
	       member(req, "entities", json_type_array, true, &entities,
		      error) &&
	       member(req, "properties", json_type_array, true, &properties,
		      error) &&
	       parse_names(entities, "entities", entity_valid, params->entities,
			   &params->n_entities, error) &&
	       parse_names(properties, "properties", known, params->properties,
			   &params->n_properties, error);
}

/* RFC 8895 section 6.5: client IDs are 1-32 of [A-Za-z0-9_-]. */
static bool client_id_valid(const char *id)
{
	size_t len = strlen(id);

	if (!len || len > ALTO_CLIENT_ID_MAX)
		return false;
	for (; *id; id++)
		if (!isalnum((unsigned char)*id) && *id != '-' && *id != '_')
			return false;
	return true;
}

static bool parse_add(json_object *add, bool (*known)(const char *id),
		      struct alto_updatestream_params *params,
		      struct alto_error *error)
{
	json_object_object_foreach(add, client_id, sub)
	{
		struct alto_substream_add *a = &params->add[params->n_add];
		json_object *rid, *inc;

		if (params->n_add == ALTO_SUBSTREAMS_MAX)
			return fail(error, ALTO_E_INVALID_FIELD_VALUE, "add",
				    NULL, "more than %d substreams",
				    ALTO_SUBSTREAMS_MAX);
		if (!client_id_valid(client_id))
			return fail(error, ALTO_E_INVALID_FIELD_VALUE, "add",
				    client_id,
				    "client IDs are 1-32 of A-Z a-z 0-9 - _");
		if (!json_object_is_type(sub, json_type_object))
			return fail(error, ALTO_E_INVALID_FIELD_TYPE, client_id,
				    NULL, "each add entry is an object");
		if (!member(sub, "resource-id", json_type_string, true, &rid,
			    error) ||
		    !member(sub, "incremental-changes", json_type_boolean,
			    false, &inc, error) ||
		    !member(sub, "input", json_type_object, false, &a->input,
			    error))
			return false;
		if (!known(json_object_get_string(rid)))
			return fail(error, ALTO_E_INVALID_FIELD_VALUE,
				    "resource-id", json_object_get_string(rid),
				    "no such resource in this stream");
		snprintf(a->client_id, sizeof(a->client_id), "%s", client_id);
		snprintf(a->resource_id, sizeof(a->resource_id), "%s",
			 json_object_get_string(rid));
		a->incremental = !inc || json_object_get_boolean(inc);
		params->n_add++;
	}
	return true;
}

static bool parse_remove(json_object *remove,
			 struct alto_updatestream_params *params,
			 struct alto_error *error)
{
	size_t len = json_object_array_length(remove);

	if (len > ALTO_SUBSTREAMS_MAX)
		return fail(error, ALTO_E_INVALID_FIELD_VALUE, "remove", NULL,
			    "more than %d client IDs", ALTO_SUBSTREAMS_MAX);
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(remove, i);

		if (!json_object_is_type(e, json_type_string))
			return fail(error, ALTO_E_INVALID_FIELD_TYPE, "remove",
				    NULL, "remove holds client IDs");
		if (!client_id_valid(json_object_get_string(e)))
			return fail(error, ALTO_E_INVALID_FIELD_VALUE, "remove",
				    json_object_get_string(e),
				    "not a client ID");
		snprintf(params->remove[i], sizeof(params->remove[i]), "%s",
			 json_object_get_string(e));
	}
	params->n_remove = len;
	return true;
}

bool alto_parse_updatestream(json_object *req,
			     bool (*known)(const char *resource_id),
			     struct alto_updatestream_params *params,
			     struct alto_error *error)
{
	json_object *add, *remove;

	memset(params, 0, sizeof(*params));
	if (!is_object(req, error) ||
	    !member(req, "add", json_type_object, false, &add, error) ||
	    !member(req, "remove", json_type_array, false, &remove, error))
		return false;
	if (!add && !remove)
		return fail(error, ALTO_E_MISSING_FIELD, "add", NULL,
			    "neither add nor remove");
	return (!add || parse_add(add, known, params, error)) &&
	       (!remove || parse_remove(remove, params, error));
}
