/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "alto_auth.h"
#include "alto_http.h"
#include "alto_maps.h"
#include "alto_request.h"
#include "alto_sse.h"
#include "alto_store.h"

#define ERROR_MEDIA_TYPE "application/alto-error+json"
#define CONTROL_PREFIX "/updates/control/"
#define CONTROL_ID_LEN 16 /* hex digits of a stream's random ID */
#define CONNECTION_TIMEOUT_S 60
#define REALM "cfn-altod"

/* One request: its body, as libmicrohttpd hands it over. */
struct request {
	char *body;
	size_t len;
	bool too_big;
};

static struct {
	struct MHD_Daemon *daemon;
	const struct alto_config *config;
	char *tls_key, *tls_cert, *tls_ca;
	atomic_ulong requests, errors, not_modified, auth_refused;
} http;

/* -- responses ---------------------------------------------------------- */

static struct MHD_Response *text_response(const char *type, char *text,
					  const char *etag, time_t modified)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(text), text, MHD_RESPMEM_MUST_FREE);
	char date[64];

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (etag)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (modified) {
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT",
			 gmtime(&modified));
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED,
					date);
	}
	/* a cache must ask again: the view changes at any time */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"no-cache");
	return resp;
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned int status,
			     struct MHD_Response *resp)
{
	enum MHD_Result ret = MHD_queue_response(conn, status, resp);

	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *conn,
				 unsigned int status, const char *type,
				 char *text, const char *etag, time_t modified)
{
	return queue(conn, status, text_response(type, text, etag, modified));
}

static enum MHD_Result send_error(struct MHD_Connection *conn,
				  unsigned int status,
				  const struct alto_error *error)
{
	http.errors++;
	return send_text(conn, status, ERROR_MEDIA_TYPE, alto_error_body(error),
			 NULL, 0);
}

static void set_error(struct alto_error *error, enum alto_error_code code,
		      const char *field, const char *value, const char *message)
{
	*error = (struct alto_error){.code = code};
	snprintf(error->field, sizeof(error->field), "%s", field);
	snprintf(error->value, sizeof(error->value), "%s", value ? value : "");
	snprintf(error->message, sizeof(error->message), "%s", message);
}

static enum MHD_Result refuse(struct MHD_Connection *conn, unsigned int status,
			      enum alto_error_code code, const char *field,
			      const char *value, const char *message)
{
	struct alto_error error;

	set_error(&error, code, field, value, message);
	return send_error(conn, status, &error);
}

/* 405, with the methods the resource takes (RFC 7231 6.5.5). */
static enum MHD_Result refuse_method(struct MHD_Connection *conn,
				     const char *method, const char *allow)
{
	struct alto_error error;
	struct MHD_Response *resp;
	char message[64];

	http.errors++;
	snprintf(message, sizeof(message), "this resource takes %s", allow);
	set_error(&error, ALTO_E_INVALID_FIELD_VALUE, "method", method,
		  message);
	resp = text_response(ERROR_MEDIA_TYPE, alto_error_body(&error), NULL,
			     0);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	return queue(conn, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
}

/* bgpd's view is not there: not the client's fault, try again soon. */
static enum MHD_Result unavailable(struct MHD_Connection *conn, const char *why)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(why), (void *)why, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	http.errors++;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	ret = MHD_queue_response(conn, MHD_HTTP_SERVICE_UNAVAILABLE, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A computed (POST) response, tagged by its content. */
static enum MHD_Result send_json(struct MHD_Connection *conn, const char *type,
				 json_object *obj)
{
	const char *text = json_object_to_json_string_ext(obj, ALTO_JSON_TEXT);
	uint64_t h = 0xcbf29ce484222325ULL;
	char etag[24];

	for (const char *p = text; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	snprintf(etag, sizeof(etag), "\"%016llx\"", (unsigned long long)h);
	return send_text(conn, MHD_HTTP_OK, type, strdup(text), etag,
			 time(NULL));
}

/* -- checks ------------------------------------------------------------- */

static const char *header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/*
 * How specifically one media range of an Accept header (len octets, no
 * parameters) names type: 0 not at all, 1 as any type, 2 as any subtype
 * of its top-level type, 3 as itself. Media types compare without case
 * (RFC 7231 3.1.1.1).
 */
static int range_match(const char *range, size_t len, const char *type)
{
	size_t major = strcspn(type, "/");

	if (len == 3 && !strncmp(range, "*/*", 3))
		return 1;
	if (len == major + 2 && range[major + 1] == '*' &&
	    !strncasecmp(range, type, major + 1))
		return 2;
	return len == strlen(type) && !strncasecmp(range, type, len) ? 3 : 0;
}

/* Does a media range's parameter list (up to end) say q=0? */
static bool q_zero(const char *params, const char *end)
{
	for (const char *p = params; p && p < end; p = strchr(p + 1, ';')) {
		const char *name = p + 1 + strspn(p + 1, " \t");

		if (name + 2 < end && !strncasecmp(name, "q=", 2))
			return strtod(name + 2, NULL) == 0;
	}
	return false;
}

/*
 * Does an Accept header take the media type (or is there none)? The
 * most specific range that names it decides: q=0 refuses (RFC 7231
 * 5.3.2).
 */
static bool acceptable(const char *accept, const char *type)
{
	int best = 0;
	bool refused = false;

	if (!accept)
		return true;
	for (const char *p = accept; *p; p += *p == ',') {
		const char *end = p + strcspn(p, ",");
		const char *range = p + strspn(p, " \t");
		size_t len = strcspn(range, ";, \t");
		int match = range < end ? range_match(range, len, type) : 0;

		if (match > best) {
			best = match;
			refused = q_zero(
				memchr(range, ';', (size_t)(end - range)), end);
		}
		p = end;
	}
	return best && !refused;
}

/* Content-Type without parameters, compared without case. */
static bool content_type_is(const char *given, const char *type)
{
	size_t len = given ? strcspn(given, "; \t") : 0;

	return given && len == strlen(type) && !strncasecmp(given, type, len);
}

static bool not_modified(struct MHD_Connection *conn,
			 const struct alto_body *body)
{
	const char *inm = header(conn, MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *ims = header(conn, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	struct tm tm = {};

	if (inm)
		return strstr(inm, body->etag) || !strcmp(inm, "*");
	return ims && strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm) &&
	       body->modified <= timegm(&tm);
}

static bool from_loopback(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;

	if (sa && sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)
				      ->sin_addr.s_addr) >>
			24) == 127;
	return sa && sa->sa_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(
		       &((const struct sockaddr_in6 *)sa)->sin6_addr);
}

/* The requester's address as an ALTO endpoint: a missing "srcs". */
static void requester(struct MHD_Connection *conn,
		      struct alto_endpointcost_params *p)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;
	char addr[INET6_ADDRSTRLEN];

	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  addr, sizeof(addr));
	else
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, addr,
			  sizeof(addr));
	snprintf(p->src_names[0], sizeof(p->src_names[0]), "%s:%s",
		 sa->sa_family == AF_INET ? "ipv4" : "ipv6", addr);
	if (alto_parse_endpoint(p->src_names[0], &p->srcs[0]))
		p->n_srcs = 1;
}

/* -- resources ---------------------------------------------------------- */

static enum MHD_Result serve_get(struct MHD_Connection *conn,
				 const struct alto_resource *r)
{
	struct alto_body body;
	char why[200];

	if (!acceptable(header(conn, MHD_HTTP_HEADER_ACCEPT), r->media_type))
		return refuse(conn, MHD_HTTP_NOT_ACCEPTABLE,
			      ALTO_E_INVALID_FIELD_VALUE, "accept",
			      header(conn, MHD_HTTP_HEADER_ACCEPT),
			      "this resource is only served as its media type");
	if (!alto_store_get(r, &body, why, sizeof(why)))
		return unavailable(conn, why);
	if (not_modified(conn, &body)) {
		http.not_modified++;
		free(body.text);
		return send_text(conn, MHD_HTTP_NOT_MODIFIED, r->media_type,
				 strdup(""), body.etag, body.modified);
	}
	return send_text(conn, MHD_HTTP_OK, r->media_type, body.text, body.etag,
			 body.modified);
}

static bool stream_known(const char *id)
{
	return alto_store_streamable(id);
}

static enum MHD_Result serve_updates(struct MHD_Connection *conn,
				     json_object *req)
{
	struct alto_updatestream_params params;
	struct alto_error error;
	struct MHD_Response *resp;
	unsigned int status;
	enum MHD_Result ret;

	if (!alto_parse_updatestream(req, stream_known, &params, &error))
		return send_error(conn, MHD_HTTP_BAD_REQUEST, &error);
	resp = alto_sse_open(conn, &params, &error, &status);
	if (!resp)
		return send_error(conn, status, &error);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"no-cache");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result serve_computed(struct MHD_Connection *conn,
				      const struct alto_resource *r,
				      json_object *req)
{
	struct alto_endpointcost_params *ecp;
	struct alto_propmap_params pmp;
	struct alto_error error;
	json_object *model, *res = NULL;
	enum MHD_Result ret;
	char why[200];

	if (r->kind == ALTO_PROPMAP_FILTERED) {
		if (!alto_parse_propmap_params(req, alto_maps_property_known,
					       &pmp, &error))
			return send_error(conn, MHD_HTTP_BAD_REQUEST, &error);
	}
	ecp = r->kind == ALTO_ENDPOINTCOST ? malloc(sizeof(*ecp)) : NULL;
	if (ecp && !alto_parse_endpointcost(req, ecp, &error)) {
		free(ecp);
		return send_error(conn, MHD_HTTP_BAD_REQUEST, &error);
	}
	if (ecp && !ecp->n_srcs)
		requester(conn, ecp);
	model = alto_store_model(why, sizeof(why));
	if (model)
		res = ecp ? alto_endpointcost(model, ecp)
			  : alto_propmap_filtered(model, &pmp);
	free(ecp);
	json_object_put(model);
	if (!res)
		return unavailable(conn, why);
	ret = send_json(conn, r->media_type, res);
	json_object_put(res);
	return ret;
}

static enum MHD_Result serve_post(struct MHD_Connection *conn,
				  const struct alto_resource *r,
				  struct request *rq)
{
	const char *type = header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct alto_error error;
	json_object *req;
	enum MHD_Result ret;

	if (!content_type_is(type, r->accepts))
		return refuse(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
			      ALTO_E_INVALID_FIELD_VALUE, "content-type", type,
			      "the body must be of the resource's accepts "
			      "media type");
	if (!acceptable(header(conn, MHD_HTTP_HEADER_ACCEPT), r->media_type))
		return refuse(conn, MHD_HTTP_NOT_ACCEPTABLE,
			      ALTO_E_INVALID_FIELD_VALUE, "accept",
			      header(conn, MHD_HTTP_HEADER_ACCEPT),
			      "this resource is only served as its media type");
	req = alto_parse_json(rq->body ? rq->body : "", rq->len, &error);
	if (!req)
		return send_error(conn, MHD_HTTP_BAD_REQUEST, &error);
	ret = r->kind == ALTO_UPDATES ? serve_updates(conn, req)
				      : serve_computed(conn, r, req);
	json_object_put(req);
	return ret;
}

static enum MHD_Result serve_control(struct MHD_Connection *conn,
				     const char *id_text, struct request *rq)
{
	const char *type = header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct alto_updatestream_params params;
	struct alto_error error;
	bool well_formed =
		strlen(id_text) == CONTROL_ID_LEN &&
		strspn(id_text, "0123456789abcdef") == CONTROL_ID_LEN;
	uint64_t id = well_formed ? strtoull(id_text, NULL, 16) : 0;
	unsigned int status;
	json_object *req;

	/* a stream that is not there is 404 whatever the body says */
	if (!well_formed || !alto_sse_exists(id))
		return refuse(conn, MHD_HTTP_NOT_FOUND,
			      ALTO_E_INVALID_FIELD_VALUE, "uri", id_text,
			      "no such update stream");
	if (!content_type_is(type, "application/alto-updatestreamparams+json"))
		return refuse(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
			      ALTO_E_INVALID_FIELD_VALUE, "content-type", type,
			      "stream control takes "
			      "application/alto-updatestreamparams+json");
	req = alto_parse_json(rq->body ? rq->body : "", rq->len, &error);
	if (!req)
		return send_error(conn, MHD_HTTP_BAD_REQUEST, &error);
	if (!alto_parse_updatestream(req, stream_known, &params, &error))
		status = MHD_HTTP_BAD_REQUEST;
	else
		status = alto_sse_control(id, &params, &error);
	json_object_put(req);
	if (status != MHD_HTTP_NO_CONTENT)
		return send_error(conn, status, &error);
	return send_text(conn, status, "text/plain", strdup(""), NULL, 0);
}

/* Counters for the operator: loopback clients only. */
static enum MHD_Result serve_stats(struct MHD_Connection *conn)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(
		http.daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	struct alto_sse_stats sse;
	json_object *stats = json_object_new_object();
	enum MHD_Result ret;

	alto_sse_stats(&sse);
	json_object_object_add(
		stats, "clients",
		json_object_new_int64(info ? info->num_connections : 0));
	json_object_object_add(stats, "requests",
			       json_object_new_int64((int64_t)http.requests));
	json_object_object_add(stats, "errors",
			       json_object_new_int64((int64_t)http.errors));
	json_object_object_add(
		stats, "notModified",
		json_object_new_int64((int64_t)http.not_modified));
	json_object_object_add(
		stats, "authRefused",
		json_object_new_int64((int64_t)http.auth_refused));
	json_object_object_add(stats, "streams",
			       json_object_new_int64((int64_t)sse.streams));
	json_object_object_add(stats, "streamsOpened",
			       json_object_new_int64((int64_t)sse.opened));
	json_object_object_add(stats, "streamsRefused",
			       json_object_new_int64((int64_t)sse.refused));
	json_object_object_add(stats, "streamEvents",
			       json_object_new_int64((int64_t)sse.events));
	json_object_object_add(stats, "streamsOverflowed",
			       json_object_new_int64((int64_t)sse.overflow));
	ret = send_json(conn, "application/json", stats);
	json_object_put(stats);
	return ret;
}

static enum MHD_Result refuse_auth(struct MHD_Connection *conn,
				   enum alto_auth_result result)
{
	struct alto_error error = {.code = ALTO_E_INVALID_FIELD_VALUE};
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *body;

	http.auth_refused++;
	if (result == ALTO_AUTH_NO_CERTIFICATE)
		return refuse(conn, MHD_HTTP_FORBIDDEN,
			      ALTO_E_INVALID_FIELD_VALUE, "certificate", "",
			      "a valid client certificate is required");
	snprintf(error.field, sizeof(error.field), "authorization");
	snprintf(error.message, sizeof(error.message),
		 "valid credentials are required");
	body = alto_error_body(&error);
	resp = MHD_create_response_from_buffer(strlen(body), body,
					       MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				ERROR_MEDIA_TYPE);
	ret = MHD_queue_basic_auth_fail_response(conn, REALM, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result route(struct MHD_Connection *conn, const char *url,
			     const char *method, struct request *rq)
{
	const struct alto_resource *r = alto_store_find_uri(url);
	/* libmicrohttpd sends no body in answer to HEAD */
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) ||
		   !strcmp(method, MHD_HTTP_METHOD_HEAD);
	bool post = !strcmp(method, MHD_HTTP_METHOD_POST);
	bool control = !strncmp(url, CONTROL_PREFIX, strlen(CONTROL_PREFIX));

	if (rq->too_big)
		return refuse(conn, MHD_HTTP_CONTENT_TOO_LARGE,
			      ALTO_E_INVALID_FIELD_VALUE, "content-length", "",
			      "the body is larger than max-body");
	if (!strcmp(url, "/stats") && get && from_loopback(conn))
		return serve_stats(conn);
	if (control)
		return post ? serve_control(conn, url + strlen(CONTROL_PREFIX),
					    rq)
			    : refuse_method(conn, method, "POST");
	if (!r)
		return refuse(conn, MHD_HTTP_NOT_FOUND,
			      ALTO_E_INVALID_FIELD_VALUE, "uri", url,
			      "no such resource (see /directory)");
	if (r->accepts ? !post : !get)
		return refuse_method(conn, method,
				     r->accepts ? "POST" : "GET, HEAD");
	return r->accepts ? serve_post(conn, r, rq) : serve_get(conn, r);
}

/* The path of a request target in absolute form (RFC 7230 5.3.2). */
static const char *origin_form(const char *url)
{
	const char *path;

	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8))
		return url;
	path = strchr(strstr(url, "//") + 2, '/');
	return path ? path : "/";
}

/* Collect the body (up to max-body), then answer. */
static enum MHD_Result handler(void *cls, struct MHD_Connection *conn,
			       const char *url, const char *method,
			       const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct request *rq = *con_cls;
	enum alto_auth_result auth;

	(void)cls;
	(void)version;
	if (!rq) {
		*con_cls = calloc(1, sizeof(struct request));
		return *con_cls ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		if (!rq->too_big &&
		    rq->len + *upload_size <= http.config->max_body) {
			char *grown =
				realloc(rq->body, rq->len + *upload_size + 1);

			if (!grown)
				return MHD_NO;
			rq->body = grown;
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
		} else
			rq->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	http.requests++;
	auth = alto_auth_check(conn);
	if (auth != ALTO_AUTH_OK)
		return refuse_auth(conn, auth);
	return route(conn, origin_form(url), method, rq);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode code)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)code;
	if (rq)
		free(rq->body);
	free(rq);
	*con_cls = NULL;
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	vsyslog(LOG_WARNING, fmt, ap);
}

static bool load_tls(const struct alto_config *c, char *err, size_t errlen)
{
	if (!c->tls_cert[0])
		return true;
	http.tls_cert = alto_auth_read_file(c->tls_cert, err, errlen);
	http.tls_key = http.tls_cert
			       ? alto_auth_read_file(c->tls_key, err, errlen)
			       : NULL;
	http.tls_ca =
		http.tls_key && c->tls_client_ca[0]
			? alto_auth_read_file(c->tls_client_ca, err, errlen)
			: NULL;
	return http.tls_key && (!c->tls_client_ca[0] || http.tls_ca);
}

bool alto_http_start(const struct alto_config *c, char *err, size_t errlen)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	bool tls = c->tls_cert[0] != '\0';

	http.config = c;
	if (inet_pton(AF_INET, c->listen, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(c->port);
	} else {
		inet_pton(AF_INET6, c->listen, &sin6->sin6_addr);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(c->port);
		flags |= MHD_USE_IPv6;
	}
	if (!load_tls(c, err, errlen))
		return false;
	if (tls)
		flags |= MHD_USE_TLS;
	http.daemon = MHD_start_daemon(
		flags, c->port, NULL, NULL, handler, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)c->max_clients,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned int)c->max_clients_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)CONNECTION_TIMEOUT_S,
		/* HTTP/1.1 without Host gets 400 (RFC 7230 5.4) */
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
		tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, http.tls_key,
		MHD_OPTION_HTTPS_MEM_CERT, http.tls_cert,
		http.tls_ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END,
		http.tls_ca, MHD_OPTION_END);
	if (!http.daemon) {
		snprintf(err, errlen, "cannot serve HTTP%s on %s port %u",
			 tls ? "S" : "", c->listen, c->port);
		return false;
	}
	return true;
}

void alto_http_stop(void)
{
	alto_sse_end_all();
	if (http.daemon)
		MHD_stop_daemon(http.daemon);
	free(http.tls_key);
	free(http.tls_cert);
	free(http.tls_ca);
}
