/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Update streams (RFC 8895): a POST to the update stream resource opens
 * a text/event-stream of the resources it adds, each first in full, then
 * as JSON merge patches when it changes; the stream's control URI adds
 * and removes resources. A stream is a libmicrohttpd callback response,
 * its connection suspended while there is nothing to send and resumed
 * by the view thread when there is.
 */
#ifndef ALTO_SSE_H
#define ALTO_SSE_H

#include <microhttpd.h>

#include "alto_request.h"
#include "alto_store.h"

struct alto_sse_stats {
	unsigned long streams;	/* open now */
	unsigned long opened;	/* since start */
	unsigned long refused;	/* max-streams */
	unsigned long events;	/* data events queued */
	unsigned long overflow; /* ended: the client did not read */
};

void alto_sse_init(uint32_t max_streams);

/* The response of a stream opened with params; NULL with error/status. */
struct MHD_Response *
alto_sse_open(struct MHD_Connection *conn,
	      const struct alto_updatestream_params *params,
	      struct alto_error *error, unsigned int *status);

/* Is there a stream of this ID (of its control URI)? */
bool alto_sse_exists(uint64_t id);

/* Apply params to stream id (of its control URI); the HTTP status. */
unsigned int alto_sse_control(uint64_t id,
			      const struct alto_updatestream_params *params,
			      struct alto_error *error);

/* alto_store's callback: a GET resource changed. */
void alto_sse_changed(const struct alto_resource *resource, json_object *patch,
		      const char *body, json_object *model);

/* alto_store's callback: bgpd's view is there; start the substreams
 * opened without it (each gets its resource in full). */
void alto_sse_ready(json_object *model);

void alto_sse_stats(struct alto_sse_stats *stats);

/*
 * End the streams whose client closed the connection. libmicrohttpd does
 * not watch a suspended connection, so without this a stream that sees
 * no change would keep its max-streams slot after its client left.
 */
void alto_sse_end_closed(void);

/* End every stream (at exit). */
void alto_sse_end_all(void);

#endif /* ALTO_SSE_H */
