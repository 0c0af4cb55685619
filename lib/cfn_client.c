/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_client.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cfn_alloc.h"
#include "cfn_api.h"
#include "cfn_metric.h"

static int connect_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int connect_tcp(char *hostport, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	char *colon = strrchr(hostport, ':');
	int fd = -1, rc;

	if (!colon) {
		snprintf(err, errlen, "tcp:%s: expected tcp:HOST:PORT",
			 hostport);
		return -1;
	}
	*colon = '\0';
	rc = getaddrinfo(hostport, colon + 1, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "%s: %s", hostport, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			snprintf(err, errlen, "%s:%s: %s", hostport, colon + 1,
				 strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

int cfn_client_connect(const char *where, char *err, size_t errlen)
{
	char copy[256];

	snprintf(copy, sizeof(copy), "%s", where);
	if (strncmp(copy, "tcp:", 4) == 0)
		return connect_tcp(copy + 4, err, errlen);
	return connect_unix(strncmp(copy, "unix:", 5) == 0 ? copy + 5 : copy,
			    err, errlen);
}

/* Read exactly len octets before the deadline. */
static bool read_full(int fd, uint8_t *buf, size_t len, int timeout_ms,
		      char *err, size_t errlen)
{
	while (len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0) {
			snprintf(err, errlen, "no reply from the CFN node");
			return false;
		}
		n = read(fd, buf, len);
		if (n <= 0) {
			snprintf(err, errlen,
				 "connection closed by the CFN node%s%s",
				 n < 0 ? ": " : "",
				 n < 0 ? strerror(errno) : "");
			return false;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static bool write_full(int fd, const uint8_t *buf, size_t len, char *err,
		       size_t errlen)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "send: %s", strerror(errno));
			return false;
		}
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

Cfn__Reply *cfn_client_receive(int fd, int timeout_ms, char *err, size_t errlen)
{
	uint8_t header[CFN_API_FRAME_HEADER], *payload;
	Cfn__Reply *reply = NULL;
	uint32_t reply_len;

	if (!read_full(fd, header, sizeof(header), timeout_ms, err, errlen))
		return NULL;
	reply_len = cfn_api_frame_length(header);
	if (reply_len > CFN_CLIENT_MAX_REPLY) {
		snprintf(err, errlen, "a %u-octet reply (limit %u)", reply_len,
			 CFN_CLIENT_MAX_REPLY);
		return NULL;
	}
	payload = malloc(reply_len ? reply_len : 1);
	if (payload &&
	    read_full(fd, payload, reply_len, timeout_ms, err, errlen)) {
		reply = cfn_api_reply_decode(payload, reply_len);
		if (!reply)
			snprintf(err, errlen, "undecodable reply");
	}
	free(payload);
	return reply;
}

Cfn__Reply *cfn_client_call(int fd, Cfn__Request *req, int timeout_ms,
			    char *err, size_t errlen)
{
	uint8_t *frame = NULL;
	size_t len = cfn_api_frame_request(req, &frame);
	bool sent;

	if (!len) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sent = write_full(fd, frame, len, err, errlen);
	cfn_free(frame);
	return sent ? cfn_client_receive(fd, timeout_ms, err, errlen) : NULL;
}

int cfn_client_watch(const char *where, char *err, size_t errlen)
{
	Cfn__Request req = CFN__REQUEST__INIT;
	Cfn__Watch watch = CFN__WATCH__INIT;
	Cfn__Reply *reply;
	int fd = cfn_client_connect(where, err, errlen);

	if (fd < 0)
		return -1;
	req.id = 1;
	req.body_case = CFN__REQUEST__BODY_WATCH;
	req.watch = &watch;
	reply = cfn_client_call(fd, &req, CFN_CLIENT_WATCH_TIMEOUT_MS, err,
				errlen);
	if (reply && reply->status != CFN__STATUS__OK)
		snprintf(err, errlen, "the node refused the Watch (%s): %s%s",
			 cfn_client_status_name(reply->status),
			 reply->error ? reply->error : "",
			 reply->has_api_version ? "" : " (API version 1)");
	if (!reply || reply->status != CFN__STATUS__OK) {
		close(fd);
		fd = -1;
	}
	if (reply)
		cfn_api_reply_free(reply);
	return fd;
}

void cfn_client_follow(int fd, const atomic_bool *stopping,
		       void (*on_event)(const Cfn__Event *event, void *arg),
		       void *arg, char *err, size_t errlen)
{
	while (!*stopping) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		Cfn__Reply *reply;

		/* a bounded wait, so that *stopping is seen */
		if (poll(&pfd, 1, CFN_CLIENT_FOLLOW_POLL_MS) <= 0)
			continue;
		reply = cfn_client_receive(fd, CFN_CLIENT_WATCH_TIMEOUT_MS, err,
					   errlen);
		if (!reply)
			return;
		if (reply->event)
			on_event(reply->event, arg);
		cfn_api_reply_free(reply);
	}
	snprintf(err, errlen, "stopping");
}

bool cfn_client_parse_metric(char *arg, Cfn__Metric *metric, char *err,
			     size_t errlen)
{
	char *eq = strchr(arg, '='), *colon;

	cfn__metric__init(metric);
	if (!eq || eq == arg) {
		snprintf(err, errlen, "'%s': expected NAME=VALUE[:STATISTIC]",
			 arg);
		return false;
	}
	*eq = '\0';
	colon = strchr(eq + 1, ':');
	if (colon) {
		*colon = '\0';
		metric->statistic = colon + 1;
	}
	metric->name = arg;
	if (!cfn_parse_decimal(eq + 1, &metric->value)) {
		snprintf(err, errlen, "%s: '%s' is not a number", arg, eq + 1);
		return false;
	}
	return true;
}

const char *cfn_client_status_name(Cfn__Status status)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
		&cfn__status__descriptor, status);

	return v ? v->name : "UNKNOWN";
}
