/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alto_aggregate.h"
#include "alto_maps.h"
#include "alto_store.h"

#define UPDATES_URI "/updates"
#define AGG_NETWORKMAP_ID "agg-networkmap"

#define GET(i, u, t, k)                                                        \
	{                                                                      \
		.id = i, .uri = u, .media_type = t, .kind = k                  \
	}
#define POST(i, u, t, a, k)                                                    \
	{                                                                      \
		.id = i, .uri = u, .media_type = t, .accepts = a, .kind = k    \
	}
#define COSTMAP(i, m, o)                                                       \
	{                                                                      \
		.id = "costmap-" i, .uri = "/costmap/" i,                      \
		.media_type = "application/alto-costmap+json",                 \
		.kind = ALTO_COSTMAP, .metric = m, .mode = o                   \
	}

static const struct alto_resource resources[] = {
	GET("directory", "/directory", "application/alto-directory+json",
	    ALTO_IRD),
	GET(ALTO_NETWORKMAP_ID, "/networkmap",
	    "application/alto-networkmap+json", ALTO_NETWORKMAP),
	COSTMAP("routingcost-num", ALTO_METRIC_ROUTINGCOST,
		ALTO_MODE_NUMERICAL),
	COSTMAP("routingcost-ord", ALTO_METRIC_ROUTINGCOST, ALTO_MODE_ORDINAL),
	COSTMAP("score", ALTO_METRIC_SCORE, ALTO_MODE_NUMERICAL),
	COSTMAP("l2", ALTO_METRIC_L2, ALTO_MODE_NUMERICAL),
	GET("propmap", "/propmap", "application/alto-propmap+json",
	    ALTO_PROPMAP),
	POST("propmap-filtered", "/propmap/filtered",
	     "application/alto-propmap+json",
	     "application/alto-propmapparams+json", ALTO_PROPMAP_FILTERED),
	POST("endpointcost", "/endpointcost",
	     "application/alto-endpointcost+json",
	     "application/alto-endpointcostparams+json", ALTO_ENDPOINTCOST),
	POST("update-stream", UPDATES_URI, "text/event-stream",
	     "application/alto-updatestreamparams+json", ALTO_UPDATES),
	GET(AGG_NETWORKMAP_ID, "/aggregate/networkmap",
	    "application/alto-networkmap+json", ALTO_AGG_NETWORKMAP),
	GET("agg-propmap", "/aggregate/propmap",
	    "application/alto-propmap+json", ALTO_AGG_PROPMAP),
};

#define N_RESOURCES (sizeof(resources) / sizeof(resources[0]))

static struct {
	pthread_mutex_t lock;
	const struct alto_config *config;
	alto_store_changed_fn changed;
	alto_store_ready_fn ready;
	json_object *model; /* a copy of the view thread's */
	json_object *json[N_RESOURCES];
	struct alto_body body[N_RESOURCES];
} store = {.lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP};


static size_t index_of(const struct alto_resource *r)
{
	return (size_t)(r - resources);
}

static bool aggregate(const struct alto_resource *r)
{
	return r->kind == ALTO_AGG_NETWORKMAP || r->kind == ALTO_AGG_PROPMAP;
}

/* Served here: the aggregates only when domains are configured. */
static bool offered(const struct alto_resource *r)
{
	return !aggregate(r) || store.config->n_domains;
}

const struct alto_resource *alto_store_find_uri(const char *uri)
{
	for (size_t i = 0; i < N_RESOURCES; i++)
		if (!strcmp(resources[i].uri, uri) && offered(&resources[i]))
			return &resources[i];
	return NULL;
}

const struct alto_resource *alto_store_find_id(const char *id)
{
	for (size_t i = 0; i < N_RESOURCES; i++)
		if (!strcmp(resources[i].id, id) && offered(&resources[i]))
			return &resources[i];
	return NULL;
}

bool alto_store_streamable(const char *id)
{
	const struct alto_resource *r = alto_store_find_id(id);

	return r && r->kind != ALTO_IRD && r->kind != ALTO_UPDATES &&
	       r->kind != ALTO_ENDPOINTCOST;
}

/* FNV-1a, 64 bits, as 16 hex digits: a version tag of a body. */
static void tag_of(const char *text, char tag[ALTO_TAG_LEN])
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *text; text++)
		h = (h ^ (uint8_t)*text) * 0x100000001b3ULL;
	snprintf(tag, ALTO_TAG_LEN, "%016" PRIx64, h);
}

static json_object *vtag(const char *id, const char *tag)
{
	json_object *v = json_object_new_object();

	json_object_object_add(v, "resource-id", json_object_new_string(id));
	json_object_object_add(v, "tag", json_object_new_string(tag));
	return v;
}

static json_object *meta_of(json_object *res)
{
	json_object *meta;

	if (!json_object_object_get_ex(res, "meta", &meta)) {
		meta = json_object_new_object();
		json_object_object_add(res, "meta", meta);
	}
	return meta;
}

/* The network map, tagged by its content (RFC 7285 section 10.3). */
static json_object *build_networkmap(json_object *model, char *tag)
{
	json_object *nm = alto_networkmap(model, store.config);

	tag_of(json_object_to_json_string_ext(nm, ALTO_JSON_TEXT), tag);
	json_object_object_add(meta_of(nm), "vtag",
			       vtag(ALTO_NETWORKMAP_ID, tag));
	return nm;
}

static json_object *depends_on(json_object *res, const char *id,
			       const char *tag)
{
	json_object *deps = json_object_new_array();

	json_object_array_add(deps, vtag(id, tag));
	json_object_object_add(meta_of(res), "dependent-vtags", deps);
	return res;
}

static json_object *cost_types(void)
{
	json_object *types = json_object_new_object();

	for (size_t i = 0; i < N_RESOURCES; i++) {
		const struct alto_resource *r = &resources[i];
		json_object *ct;

		if (r->kind != ALTO_COSTMAP)
			continue;
		ct = json_object_new_object();
		json_object_object_add(
			ct, "cost-mode",
			json_object_new_string(alto_mode_name(r->mode)));
		json_object_object_add(
			ct, "cost-metric",
			json_object_new_string(alto_metric_name(r->metric)));
		json_object_object_add(types, r->id + strlen("costmap-"), ct);
	}
	return types;
}

static json_object *string_array(const char *const *items, size_t n)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(items[i]));
	return arr;
}

/* What each resource offers, in the IRD (RFC 7285 section 9.2). */
static json_object *capabilities(const struct alto_resource *r)
{
	json_object *caps = json_object_new_object(), *mappings, *media;
	static const char *const all_types[] = {
		"routingcost-num", "routingcost-ord", "score", "l2"};

	switch (r->kind) {
	case ALTO_COSTMAP:
		json_object_object_add(
			caps, "cost-type-names",
			string_array((const char *const[]){r->id +
							   strlen("costmap-")},
				     1));
		break;
	case ALTO_ENDPOINTCOST:
		json_object_object_add(caps, "cost-type-names",
				       string_array(all_types, 4));
		break;
	case ALTO_PROPMAP:
	case ALTO_PROPMAP_FILTERED:
		mappings = json_object_new_object();
		json_object_object_add(mappings, "ipv4",
				       alto_maps_property_names());
		json_object_object_add(mappings, "ipv6",
				       alto_maps_property_names());
		json_object_object_add(mappings, "networkmap.pid",
				       alto_maps_property_names());
		json_object_object_add(caps, "mappings", mappings);
		break;
	case ALTO_UPDATES:
		media = json_object_new_object();
		for (size_t i = 0; i < N_RESOURCES; i++)
			if (alto_store_streamable(resources[i].id))
				json_object_object_add(
					media, resources[i].id,
					json_object_new_string(
						"application/merge-patch+json"));
		json_object_object_add(caps, "incremental-change-media-types",
				       media);
		json_object_object_add(caps, "support-stream-control",
				       json_object_new_boolean(true));
		break;
	default:
		json_object_put(caps);
		return NULL;
	}
	return caps;
}

static json_object *uses(const struct alto_resource *r)
{
	json_object *arr = json_object_new_array();

	if (r->kind == ALTO_UPDATES) {
		for (size_t i = 0; i < N_RESOURCES; i++)
			if (alto_store_streamable(resources[i].id))
				json_object_array_add(arr,
						      json_object_new_string(
							      resources[i].id));
	} else if (r->kind == ALTO_AGG_PROPMAP)
		json_object_array_add(
			arr, json_object_new_string(AGG_NETWORKMAP_ID));
	else if (r->kind == ALTO_COSTMAP || r->kind == ALTO_PROPMAP ||
		 r->kind == ALTO_PROPMAP_FILTERED)
		json_object_array_add(
			arr, json_object_new_string(ALTO_NETWORKMAP_ID));
	if (!json_object_array_length(arr)) {
		json_object_put(arr);
		return NULL;
	}
	return arr;
}

/* The domains aggregated, and where their maps come from. */
static json_object *domains(void)
{
	json_object *out = json_object_new_object();
	char uri[128];

	snprintf(uri, sizeof(uri), "%s", UPDATES_URI);
	json_object_object_add(out, store.config->domain,
			       json_object_new_string(uri));
	for (size_t i = 0; i < store.config->n_domains; i++) {
		const struct alto_domain *d = &store.config->domains[i];

		snprintf(uri, sizeof(uri), "http://%s:%u%s", d->host, d->port,
			 UPDATES_URI);
		json_object_object_add(out, d->name,
				       json_object_new_string(uri));
	}
	return out;
}

static json_object *build_ird(void)
{
	json_object *ird = json_object_new_object();
	json_object *meta = meta_of(ird);
	json_object *list = json_object_new_object();

	json_object_object_add(meta, "cost-types", cost_types());
	json_object_object_add(meta, "default-alto-network-map",
			       json_object_new_string(ALTO_NETWORKMAP_ID));
	if (store.config->n_domains)
		json_object_object_add(meta, "priv:aggregated-domains",
				       domains());
	for (size_t i = 1; i < N_RESOURCES; i++) {
		const struct alto_resource *r = &resources[i];
		json_object *entry, *v;

		if (!offered(r))
			continue;
		entry = json_object_new_object();
		json_object_object_add(entry, "uri",
				       json_object_new_string(r->uri));
		json_object_object_add(entry, "media-type",
				       json_object_new_string(r->media_type));
		if (r->accepts)
			json_object_object_add(
				entry, "accepts",
				json_object_new_string(r->accepts));
		if ((v = capabilities(r)))
			json_object_object_add(entry, "capabilities", v);
		if ((v = uses(r)))
			json_object_object_add(entry, "uses", v);
		json_object_object_add(list, r->id, entry);
	}
	json_object_object_add(ird, "resources", list);
	return ird;
}

json_object *alto_merge_patch(json_object *from, json_object *to)
{
	json_object *patch;

	if (!json_object_is_type(from, json_type_object) ||
	    !json_object_is_type(to, json_type_object))
		return json_object_get(to);
	patch = json_object_new_object();
	json_object_object_foreach(from, key, unused)
	{
		(void)unused;
		if (!json_object_object_get_ex(to, key, NULL))
			json_object_object_add(patch, key, NULL);
	}
	json_object_object_foreach(to, k, v)
	{
		json_object *old = NULL;

		if (!json_object_object_get_ex(from, k, &old))
			json_object_object_add(patch, k, json_object_get(v));
		else if (!json_object_equal(old, v))
			json_object_object_add(patch, k,
					       alto_merge_patch(old, v));
	}
	return patch;
}

json_object *alto_merge_apply(json_object *target, json_object *patch)
{
	json_object *out = NULL;

	if (!json_object_is_type(patch, json_type_object))
		return json_object_get(patch);
	if (json_object_is_type(target, json_type_object))
		json_object_deep_copy(target, &out, NULL);
	else
		out = json_object_new_object();
	json_object_object_foreach(patch, key, value)
	{
		json_object *old = NULL;

		if (!value) {
			json_object_object_del(out, key);
			continue;
		}
		json_object_object_get_ex(out, key, &old);
		json_object_object_add(out, key, alto_merge_apply(old, value));
	}
	return out;
}

/* Keep res as the resource's body; tell the streams when it changed. */
static void install(size_t i, json_object *res)
{
	const char *text = json_object_to_json_string_ext(res, ALTO_JSON_TEXT);
	struct alto_body *b = &store.body[i];
	char tag[ALTO_TAG_LEN];
	json_object *patch;

	if (store.json[i] && json_object_equal(store.json[i], res)) {
		json_object_put(res);
		return;
	}
	tag_of(text, tag);
	free(b->text);
	b->text = strdup(text);
	b->len = strlen(text);
	snprintf(b->etag, sizeof(b->etag), "\"%s\"", tag);
	b->modified = time(NULL);
	patch = store.json[i] ? alto_merge_patch(store.json[i], res) : NULL;
	json_object_put(store.json[i]);
	store.json[i] = res;
	/* a stream opened before the first version gets it now, in full */
	if (store.changed)
		store.changed(&resources[i], patch, b->text, store.model);
	json_object_put(patch);
}

static json_object *build(const struct alto_resource *r, json_object *model,
			  const char *nm_tag)
{
	switch (r->kind) {
	case ALTO_COSTMAP:
		return depends_on(alto_costmap(model, r->metric, r->mode),
				  ALTO_NETWORKMAP_ID, nm_tag);
	case ALTO_PROPMAP:
		return depends_on(alto_propmap(model), ALTO_NETWORKMAP_ID,
				  nm_tag);
	default:
		return NULL;
	}
}

/* The aggregates, from this node's maps and every domain's. Locked. */
static void build_aggregates(void)
{
	const struct alto_resource *nm = alto_store_find_id(AGG_NETWORKMAP_ID);
	json_object *local_nm =
		store.json[index_of(alto_store_find_id(ALTO_NETWORKMAP_ID))];
	json_object *local_pm =
		store.json[index_of(alto_store_find_id("propmap"))];
	json_object *agg;
	char tag[ALTO_TAG_LEN];

	if (!nm)
		return;
	agg = alto_aggregate_networkmap(local_nm, store.config->domain);
	tag_of(json_object_to_json_string_ext(agg, ALTO_JSON_TEXT), tag);
	json_object_object_add(meta_of(agg), "vtag",
			       vtag(AGG_NETWORKMAP_ID, tag));
	install(index_of(nm), agg);
	agg = alto_aggregate_propmap(local_pm, store.config->domain);
	install(index_of(alto_store_find_id("agg-propmap")),
		depends_on(agg, AGG_NETWORKMAP_ID, tag));
}

/* Why resources cannot be served now, or NULL. Under the lock. */
static const char *unavailable(void)
{
	json_object *connected, *error;

	if (!store.model)
		return "no view from bgpd yet";
	if (json_object_object_get_ex(store.model, "connected", &connected) &&
	    json_object_get_boolean(connected))
		return NULL;
	if (json_object_object_get_ex(store.model, "error", &error))
		return json_object_get_string(error);
	return "not connected to bgpd";
}

/* Without bgpd's view, the maps stay as they were (served as 503). */
void alto_store_aggregate_changed(void)
{
	pthread_mutex_lock(&store.lock);
	if (!unavailable())
		build_aggregates();
	pthread_mutex_unlock(&store.lock);
}

void alto_store_update(json_object *model)
{
	json_object *copy = NULL;
	char nm_tag[ALTO_TAG_LEN];
	bool was_unavailable;

	json_object_deep_copy(model, &copy, NULL);
	pthread_mutex_lock(&store.lock);
	was_unavailable = unavailable() != NULL;
	json_object_put(store.model);
	store.model = copy;
	if (unavailable()) {
		pthread_mutex_unlock(&store.lock);
		return; /* no map from an empty view: streams wait for one */
	}
	for (size_t i = 0; i < N_RESOURCES; i++) {
		const struct alto_resource *r = &resources[i];

		if (r->kind == ALTO_NETWORKMAP)
			install(i, build_networkmap(copy, nm_tag));
		else if (r->kind == ALTO_COSTMAP || r->kind == ALTO_PROPMAP)
			install(i, build(r, copy, nm_tag));
	}
	build_aggregates();
	if (was_unavailable && store.ready)
		store.ready(copy);
	pthread_mutex_unlock(&store.lock);
}

void alto_store_init(const struct alto_config *config,
		     alto_store_changed_fn changed, alto_store_ready_fn ready)
{
	store.config = config;
	store.changed = changed;
	store.ready = ready;
	pthread_mutex_lock(&store.lock);
	install(0, build_ird());
	pthread_mutex_unlock(&store.lock);
}

void alto_store_fini(void)
{
	for (size_t i = 0; i < N_RESOURCES; i++) {
		json_object_put(store.json[i]);
		free(store.body[i].text);
	}
	json_object_put(store.model);
}

bool alto_store_get(const struct alto_resource *resource,
		    struct alto_body *body, char *why, size_t len)
{
	const char *reason;
	bool ok;

	pthread_mutex_lock(&store.lock);
	reason = resource->kind == ALTO_IRD ? NULL : unavailable();
	ok = !reason && store.body[index_of(resource)].text;
	if (ok) {
		*body = store.body[index_of(resource)];
		body->text = strdup(body->text);
		ok = body->text != NULL;
	} else
		snprintf(why, len, "bgpd's view is unavailable: %s",
			 reason ? reason : "not built yet");
	pthread_mutex_unlock(&store.lock);
	return ok;
}

json_object *alto_store_model(char *why, size_t len)
{
	json_object *model = NULL;
	const char *reason;

	pthread_mutex_lock(&store.lock);
	reason = unavailable();
	if (reason)
		snprintf(why, len, "bgpd's view is unavailable: %s", reason);
	else
		model = json_object_get(store.model);
	pthread_mutex_unlock(&store.lock);
	return model;
}

json_object *alto_store_json(const struct alto_resource *resource)
{
	json_object *json;

	pthread_mutex_lock(&store.lock);
	json = json_object_get(store.json[index_of(resource)]);
	pthread_mutex_unlock(&store.lock);
	return json;
}

void alto_store_hold(void)
{
	pthread_mutex_lock(&store.lock);
}

void alto_store_release(void)
{
	pthread_mutex_unlock(&store.lock);
}
