/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service notification API (cfn_api.proto): framing, and the handling
 * of one request against the service table. Sockets are the caller's.
 */
#ifndef CFN_API_H
#define CFN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfn_service.h"

/* 2: Watch, Event, Reply.api_version; version 1 clients work unchanged */
#define CFN_API_VERSION 2
#define CFN_API_FRAME_HEADER 4		/* big-endian length of what follows */
#define CFN_API_MAX_FRAME_DEFAULT 65536 /* also the API fuzzer's -max_len */

struct cfn_api_limits {
	uint32_t max_frame;	 /* largest request accepted, octets */
	uint32_t max_instances;	 /* per service, API and static together */
	uint32_t default_hold_s; /* when a registration gives none */
	uint32_t max_hold_s;
	uint32_t stale_after_s; /* metrics older: instance stale; 0 off */
};

void cfn_api_limits_default(struct cfn_api_limits *limits);

/*
 * What a request changed, for the caller to advertise: one service at
 * most, even for a batch of its instances, so that one advertisement
 * (and one damping decision) covers the whole request.
 */
enum cfn_api_change {
	CFN_API_UNCHANGED,
	CFN_API_METRICS,   /* metric values: subject to update damping */
	CFN_API_INSTANCES, /* instances or capacity: advertised at once */
};

struct cfn_api_outcome {
	bool refused;		     /* the reply's status is not OK */
	struct cfn_service *service; /* the service changed, if any */
	enum cfn_api_change change;
	size_t instances;  /* registered or updated: 1, or a batch's size */
	bool watch;	   /* a Watch: the caller subscribes the client */
	uint32_t watch_id; /* the Watch's request id, for its events */
};

/*
 * Payload length announced by a frame header, 0..2^32-1; the caller
 * closes the connection when it is above limits->max_frame.
 */
uint32_t cfn_api_frame_length(const uint8_t header[CFN_API_FRAME_HEADER]);

/*
 * Handle one request payload from `client` and build the framed reply in
 * *reply (free with cfn_free). Returns the reply length, 0 when out of
 * memory. A request that cannot be decoded gets an INVALID reply with id
 * 0. Nothing changes unless the reply status is OK.
 */
size_t cfn_api_handle(struct cfn_service_table *table,
		      const struct cfn_api_limits *limits, const char *client,
		      uint64_t now_ms, const uint8_t *request, size_t len,
		      uint8_t **reply, struct cfn_api_outcome *outcome);

/*
 * A framed LIMIT reply with id 0 and `reason` (free with cfn_free), for a
 * connection refused before it is read: the client learns why. Returns
 * its length, 0 when out of memory.
 */
size_t cfn_api_refusal(const char *reason, uint8_t **reply);

/* Build a framed request (for clients); returns its length, 0 on error. */
struct Cfn__Request;
size_t cfn_api_frame_request(const struct Cfn__Request *request,
			     uint8_t **frame);
struct Cfn__Reply;
/* Frame a reply (for the node's unasked events); length, 0 on error. */
size_t cfn_api_frame_reply(const struct Cfn__Reply *reply, uint8_t **frame);
/* Decode a reply payload (free with cfn_api_reply_free); NULL if bad. */
struct Cfn__Reply *cfn_api_reply_decode(const uint8_t *payload, size_t len);
void cfn_api_reply_free(struct Cfn__Reply *reply);

#endif /* CFN_API_H */
