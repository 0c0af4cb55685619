/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "alto_maps.h"
#include "alto_sse.h"

#define STREAM_BUFFER_MAX (4u << 20) /* unread events before we give up */
#define CONTROL_MEDIA_TYPE "application/alto-updatestreamcontrol+json"
#define PATCH_MEDIA_TYPE "application/merge-patch+json"

struct substream {
	char client_id[ALTO_CLIENT_ID_MAX + 1];
	const struct alto_resource *resource;
	bool incremental;
	bool started;	    /* has had its resource in full */
	json_object *input; /* filtered property map: the client's filter */
	json_object *last;  /* and what it was last sent */
};

struct stream {
	uint64_t id; /* random: a control URI is hard to guess (RFC 8895 7.1) */
	struct MHD_Connection *conn;
	char *buf;
	size_t len, sent;
	bool suspended, ended;
	size_t n_subs;
	struct substream subs[ALTO_SUBSTREAMS_MAX];
	struct stream *next;
};

static struct {
	pthread_mutex_t lock;
	struct stream *streams;
	uint32_t max_streams;
	struct alto_sse_stats stats;
} sse = {.lock = PTHREAD_MUTEX_INITIALIZER};

void alto_sse_init(uint32_t max_streams)
{
	sse.max_streams = max_streams;
}

/* Wake a suspended stream: there is something to send, or its end. */
static void wake(struct stream *s)
{
	if (s->suspended) {
		s->suspended = false;
		MHD_resume_connection(s->conn);
	}
}

/* Queue one event; a client that reads nothing is cut off. */
static void emit(struct stream *s, const char *type, const char *client_id,
		 const char *data)
{
	size_t need = strlen(type) + strlen(data) + ALTO_CLIENT_ID_MAX + 32;
	char *grown;
	int n;

	if (s->ended)
		return;
	if (s->len - s->sent + need > STREAM_BUFFER_MAX) {
		sse.stats.overflow++;
		s->ended = true;
		wake(s);
		return;
	}
	grown = realloc(s->buf, s->len + need);
	if (!grown) {
		s->ended = true;
		wake(s);
		return;
	}
	s->buf = grown;
	n = snprintf(s->buf + s->len, need, "event: %s%s%s\ndata: %s\n\n", type,
		     client_id ? "," : "", client_id ? client_id : "", data);
	s->len += (size_t)n;
	sse.stats.events++;
	wake(s);
}

static void emit_json(struct stream *s, const char *type, const char *client_id,
		      json_object *data)
{
	emit(s, type, client_id,
	     json_object_to_json_string_ext(data, ALTO_JSON_TEXT));
}

static void emit_control(struct stream *s, const char *key, json_object *val)
{
	json_object *ctl = json_object_new_object();

	json_object_object_add(ctl, key, val);
	emit_json(s, CONTROL_MEDIA_TYPE, NULL, ctl);
	json_object_put(ctl);
}

/* A filtered property map substream's filter: its input, checked. */
static bool filter_of(const struct substream *sub,
		      struct alto_propmap_params *params,
		      struct alto_error *error)
{
	return alto_parse_propmap_params(sub->input, alto_maps_property_known,
					 params, error);
}

/* A filtered property map substream's current map. */
static json_object *filtered(struct substream *sub, json_object *model,
			     struct alto_error *error)
{
	struct alto_propmap_params params;

	if (!filter_of(sub, &params, error))
		return NULL;
	return alto_propmap_filtered(model, &params);
}

/* A filtered property map follows the full one, through its filter. */
static void update_filtered(struct stream *s, struct substream *sub,
			    json_object *model)
{
	struct alto_error error;
	json_object *now = filtered(sub, model, &error), *patch;

	if (!now || json_object_equal(now, sub->last)) {
		json_object_put(now);
		return;
	}
	/* the first map it gets is in full: there is nothing to patch */
	patch = sub->started ? alto_merge_patch(sub->last, now) : NULL;
	emit_json(s,
		  patch && sub->incremental ? PATCH_MEDIA_TYPE
					    : sub->resource->media_type,
		  sub->client_id, patch && sub->incremental ? patch : now);
	json_object_put(patch);
	json_object_put(sub->last);
	sub->last = now;
	sub->started = true;
}

/* The first event of a substream, the resource in full: with a view only. */
static void send_full(struct stream *s, struct substream *sub,
		      json_object *model)
{
	json_object *full;

	if (sub->resource->kind == ALTO_PROPMAP_FILTERED) {
		update_filtered(s, sub, model);
		return;
	}
	full = alto_store_json(sub->resource);
	if (!full)
		return; /* not built yet: sent in full when it is */
	emit_json(s, sub->resource->media_type, sub->client_id, full);
	json_object_put(full);
	sub->started = true;
}

/* Its filter checked now; its first event when bgpd's view is there. */
static bool start_substream(struct stream *s, struct substream *sub,
			    struct alto_error *error)
{
	struct alto_propmap_params params;
	json_object *model;
	char why[160];

	if (sub->resource->kind == ALTO_PROPMAP_FILTERED &&
	    !filter_of(sub, &params, error))
		return false;
	model = alto_store_model(why, sizeof(why));
	if (model)
		send_full(s, sub, model);
	json_object_put(model);
	return true;
}

static struct substream *find_sub(struct stream *s, const char *client_id)
{
	for (size_t i = 0; i < s->n_subs; i++)
		if (!strcmp(s->subs[i].client_id, client_id))
			return &s->subs[i];
	return NULL;
}

static void drop_sub(struct stream *s, struct substream *sub)
{
	json_object_put(sub->input);
	json_object_put(sub->last);
	*sub = s->subs[--s->n_subs];
}

static bool fail(struct alto_error *error, enum alto_error_code code,
		 const char *field, const char *value, const char *message)
{
	error->code = code;
	snprintf(error->field, sizeof(error->field), "%s", field);
	snprintf(error->value, sizeof(error->value), "%s", value);
	snprintf(error->message, sizeof(error->message), "%s", message);
	return false;
}

/* Check every change first: a refused request changes nothing. */
static bool check(const struct stream *s,
		  const struct alto_updatestream_params *p,
		  struct alto_error *error)
{
	size_t count = s->n_subs;

	for (size_t i = 0; i < p->n_remove; i++)
		if (!find_sub((struct stream *)s, p->remove[i]))
			return fail(error, ALTO_E_INVALID_FIELD_VALUE, "remove",
				    p->remove[i], "no such client ID");
	for (size_t i = 0; i < p->n_add; i++) {
		const struct alto_substream_add *a = &p->add[i];
		bool filtered = !strcmp(a->resource_id, "propmap-filtered");

		if (find_sub((struct stream *)s, a->client_id))
			return fail(error, ALTO_E_INVALID_FIELD_VALUE, "add",
				    a->client_id, "client ID in use");
		if (filtered != (a->input != NULL))
			return fail(error,
				    filtered ? ALTO_E_MISSING_FIELD
					     : ALTO_E_INVALID_FIELD_VALUE,
				    "input", a->resource_id,
				    filtered ? "propmap-filtered needs input"
					     : "this resource takes no input");
	}
	if (count - p->n_remove + p->n_add > ALTO_SUBSTREAMS_MAX)
		return fail(error, ALTO_E_INVALID_FIELD_VALUE, "add", "",
			    "too many substreams in one stream");
	return true;
}

static bool apply(struct stream *s, const struct alto_updatestream_params *p,
		  struct alto_error *error)
{
	json_object *stopped = json_object_new_array();

	if (!check(s, p, error)) {
		json_object_put(stopped);
		return false;
	}
	for (size_t i = 0; i < p->n_remove; i++) {
		drop_sub(s, find_sub(s, p->remove[i]));
		json_object_array_add(stopped,
				      json_object_new_string(p->remove[i]));
	}
	if (p->n_remove)
		emit_control(s, "stopped", json_object_get(stopped));
	json_object_put(stopped);
	for (size_t i = 0; i < p->n_add; i++) {
		struct substream *sub = &s->subs[s->n_subs];

		*sub = (struct substream){
			.resource = alto_store_find_id(p->add[i].resource_id),
			.incremental = p->add[i].incremental,
			.input = json_object_get(p->add[i].input),
		};
		snprintf(sub->client_id, sizeof(sub->client_id), "%s",
			 p->add[i].client_id);
		s->n_subs++;
		if (!start_substream(s, sub, error)) {
			drop_sub(s, sub);
			return false;
		}
	}
	return true;
}

static void unlink_stream(struct stream *s)
{
	for (struct stream **p = &sse.streams; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			return;
		}
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t n;

	(void)pos;
	pthread_mutex_lock(&sse.lock);
	n = s->len - s->sent;
	if (n) {
		n = n < max ? n : max;
		memcpy(buf, s->buf + s->sent, n);
		s->sent += n;
		if (s->sent == s->len)
			s->sent = s->len = 0;
	} else if (!s->ended) {
		/* nothing to send: sleep until emit() wakes us */
		s->suspended = true;
		MHD_suspend_connection(s->conn);
	}
	pthread_mutex_unlock(&sse.lock);
	if (!n && s->ended)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	pthread_mutex_lock(&sse.lock);
	unlink_stream(s);
	while (s->n_subs)
		drop_sub(s, &s->subs[0]);
	sse.stats.streams--;
	pthread_mutex_unlock(&sse.lock);
	free(s->buf);
	free(s);
}

struct MHD_Response *
alto_sse_open(struct MHD_Connection *conn,
	      const struct alto_updatestream_params *params,
	      struct alto_error *error, unsigned int *status)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct MHD_Response *resp = NULL;
	char uri[64];

	*status = MHD_HTTP_BAD_REQUEST;
	alto_store_hold(); /* the first events come from the store */
	pthread_mutex_lock(&sse.lock);
	if (!s || sse.stats.streams >= sse.max_streams) {
		sse.stats.refused++;
		*status = MHD_HTTP_SERVICE_UNAVAILABLE;
		fail(error, ALTO_E_INVALID_FIELD_VALUE, "", "",
		     "too many update streams (max-streams)");
	} else if (params->n_remove) {
		fail(error, ALTO_E_INVALID_FIELD_VALUE, "remove", "",
		     "a new stream has nothing to remove");
	} else if (getrandom(&s->id, sizeof(s->id), 0) != sizeof(s->id)) {
		*status = MHD_HTTP_SERVICE_UNAVAILABLE;
		fail(error, ALTO_E_INVALID_FIELD_VALUE, "", "",
		     "no random control URI");
	} else {
		s->conn = conn;
		snprintf(uri, sizeof(uri), "/updates/control/%016" PRIx64,
			 s->id);
		emit_control(s, "control-uri", json_object_new_string(uri));
		if (apply(s, params, error))
			resp = MHD_create_response_from_callback(
				MHD_SIZE_UNKNOWN, 16384, reader, s,
				stream_free);
	}
	if (resp) {
		s->next = sse.streams;
		sse.streams = s;
		sse.stats.streams++;
		sse.stats.opened++;
		*status = MHD_HTTP_OK;
	} else if (s) {
		while (s->n_subs)
			drop_sub(s, &s->subs[0]);
		free(s->buf);
		free(s);
	}
	pthread_mutex_unlock(&sse.lock);
	alto_store_release();
	return resp;
}

static struct stream *find_stream(uint64_t id)
{
	struct stream *s;

	for (s = sse.streams; s && s->id != id; s = s->next)
		;
	return s;
}

bool alto_sse_exists(uint64_t id)
{
	bool found;

	pthread_mutex_lock(&sse.lock);
	found = find_stream(id) != NULL;
	pthread_mutex_unlock(&sse.lock);
	return found;
}

unsigned int alto_sse_control(uint64_t id,
			      const struct alto_updatestream_params *params,
			      struct alto_error *error)
{
	unsigned int status = MHD_HTTP_NOT_FOUND;
	struct stream *s;

	alto_store_hold();
	pthread_mutex_lock(&sse.lock);
	s = find_stream(id);
	if (!s)
		fail(error, ALTO_E_INVALID_FIELD_VALUE, "uri", "",
		     "no such update stream");
	else if (apply(s, params, error))
		status = MHD_HTTP_NO_CONTENT;
	else
		status = MHD_HTTP_BAD_REQUEST;
	pthread_mutex_unlock(&sse.lock);
	alto_store_release();
	return status;
}

void alto_sse_changed(const struct alto_resource *resource, json_object *patch,
		      const char *body, json_object *model)
{
	const char *text =
		patch ? json_object_to_json_string_ext(patch, ALTO_JSON_TEXT)
		      : NULL;

	pthread_mutex_lock(&sse.lock);
	for (struct stream *s = sse.streams; s; s = s->next)
		for (size_t i = 0; i < s->n_subs; i++) {
			struct substream *sub = &s->subs[i];
			bool as_patch =
				patch && sub->incremental && sub->started;

			if (sub->resource == resource) {
				emit(s,
				     as_patch ? PATCH_MEDIA_TYPE
					      : resource->media_type,
				     sub->client_id, as_patch ? text : body);
				sub->started = true;
			} else if (resource->kind == ALTO_PROPMAP &&
				   sub->resource->kind == ALTO_PROPMAP_FILTERED)
				update_filtered(s, sub, model);
		}
	pthread_mutex_unlock(&sse.lock);
}

void alto_sse_ready(json_object *model)
{
	pthread_mutex_lock(&sse.lock);
	for (struct stream *s = sse.streams; s; s = s->next)
		for (size_t i = 0; i < s->n_subs; i++)
			if (!s->subs[i].started)
				send_full(s, &s->subs[i], model);
	pthread_mutex_unlock(&sse.lock);
}

void alto_sse_stats(struct alto_sse_stats *stats)
{
	pthread_mutex_lock(&sse.lock);
	*stats = sse.stats;
	pthread_mutex_unlock(&sse.lock);
}

/* Has the client closed (or half-closed) its end of the connection? */
static bool client_gone(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct pollfd pfd = {.events = POLLRDHUP};

	if (!info)
		return false;
	pfd.fd = info->connect_fd;
	return poll(&pfd, 1, 0) == 1 &&
	       (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

void alto_sse_end_closed(void)
{
	pthread_mutex_lock(&sse.lock);
	for (struct stream *s = sse.streams; s; s = s->next)
		if (s->suspended && client_gone(s->conn)) {
			s->ended = true;
			wake(s);
		}
	pthread_mutex_unlock(&sse.lock);
}

void alto_sse_end_all(void)
{
	pthread_mutex_lock(&sse.lock);
	for (struct stream *s = sse.streams; s; s = s->next) {
		s->ended = true;
		wake(s);
	}
	pthread_mutex_unlock(&sse.lock);
}
