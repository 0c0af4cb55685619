/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The resources cfn-altod serves (the IRD lists them), and the current
 * body of each GET resource, rebuilt whenever the view changes: so that
 * GETs are served from memory and each change yields the JSON merge
 * patch (RFC 7386) that update streams send.
 */
#ifndef ALTO_STORE_H
#define ALTO_STORE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#include "alto_config.h"
#include "alto_request.h"

enum alto_kind {
	ALTO_IRD,
	ALTO_NETWORKMAP,
	ALTO_COSTMAP,
	ALTO_PROPMAP,
	ALTO_PROPMAP_FILTERED, /* POST */
	ALTO_ENDPOINTCOST,     /* POST */
	ALTO_UPDATES,	       /* POST: an SSE update stream */
	ALTO_AGG_NETWORKMAP,   /* aggregated domains (alto_aggregate.h) */
	ALTO_AGG_PROPMAP,
};

struct alto_resource {
	const char *id, *uri, *media_type;
	const char *accepts; /* the POST body's media type; NULL for GET */
	enum alto_kind kind;
	enum alto_metric metric; /* cost maps */
	enum alto_mode mode;
};

#define ALTO_TAG_LEN 17

/* A GET resource's current body. */
struct alto_body {
	char *text; /* malloc'd copy */
	size_t len;
	char etag[ALTO_TAG_LEN + 2]; /* quoted */
	time_t modified;
};

/*
 * Called with each changed GET resource, under the store's lock; patch is
 * NULL for a resource's first version (nothing to patch). The lock
 * order is the store's, then the streams': whoever reads the store while
 * holding the streams' lock takes the store's first (alto_store_hold).
 */
typedef void (*alto_store_changed_fn)(const struct alto_resource *resource,
				      json_object *patch, const char *body,
				      json_object *model);

/* bgpd's view is there again, or for the first time: under the store's lock. */
typedef void (*alto_store_ready_fn)(json_object *model);

void alto_store_init(const struct alto_config *config,
		     alto_store_changed_fn changed, alto_store_ready_fn ready);
void alto_store_fini(void);

/* The view thread's new model: every resource rebuilt. */
void alto_store_update(json_object *model);

/* An aggregated domain's maps changed: the aggregates rebuilt. */
void alto_store_aggregate_changed(void);

const struct alto_resource *alto_store_find_uri(const char *uri);
const struct alto_resource *alto_store_find_id(const char *id);
/* May an update stream carry it? */
bool alto_store_streamable(const char *id);

/*
 * A copy of the resource's body (free body->text); false when bgpd's
 * view is unavailable, with the reason in why.
 */
bool alto_store_get(const struct alto_resource *resource,
		    struct alto_body *body, char *why, size_t len);

/* The model (release with json_object_put), NULL with why if none. */
json_object *alto_store_model(char *why, size_t len);

/* The current body of a GET resource as JSON (the caller's reference). */
json_object *alto_store_json(const struct alto_resource *resource);

/* Hold the store unchanged (the lock is recursive: reads still work). */
void alto_store_hold(void);
void alto_store_release(void);

/* RFC 7386: the merge patch that turns from into to (a new object). */
json_object *alto_merge_patch(json_object *from, json_object *to);

/* RFC 7386 section 2: target with patch applied (a new object). */
json_object *alto_merge_apply(json_object *target, json_object *patch);

#endif /* ALTO_STORE_H */
