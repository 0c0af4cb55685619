/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A blocking client of the service notification API, for cfnctl and
 * cfn-agent: connect, send one request, wait for its reply.
 */
#ifndef CFN_CLIENT_H
#define CFN_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "cfn_api.pb-c.h"

#define CFN_CLIENT_DEFAULT_SOCKET "/var/run/frr/cfn-api.sock"
#define CFN_CLIENT_MAX_REPLY (16u << 20) /* a Watch snapshot of many SIDs */

/* "unix:PATH", "PATH" or "tcp:HOST:PORT"; fd, or -1 with the reason. */
int cfn_client_connect(const char *where, char *err, size_t errlen);

/*
 * Send req and wait (at most timeout_ms) for its reply: free it with
 * cfn_api_reply_free. NULL with the reason when the connection failed.
 */
Cfn__Reply *cfn_client_call(int fd, Cfn__Request *req, int timeout_ms,
			    char *err, size_t errlen);

/*
 * The next reply, asked for or not (a Watch's events): NULL with the
 * reason when none came within timeout_ms or the connection failed.
 */
Cfn__Reply *cfn_client_receive(int fd, int timeout_ms, char *err,
			       size_t errlen);

/*
 * Connect and subscribe to the node's view and selection (API version
 * 2): the fd, from which cfn_client_receive then reads the snapshot and
 * each change, or -1 with the reason.
 */
#define CFN_CLIENT_WATCH_TIMEOUT_MS 5000
int cfn_client_watch(const char *where, char *err, size_t errlen);

/*
 * Hand each event of a watching connection to on_event until the
 * connection fails or *stopping becomes true; the reason in err.
 */
#define CFN_CLIENT_FOLLOW_POLL_MS 500
void cfn_client_follow(int fd, const atomic_bool *stopping,
		       void (*on_event)(const Cfn__Event *event, void *arg),
		       void *arg, char *err, size_t errlen);

/* "name=value[:statistic]" as a metric; strings point into arg. */
bool cfn_client_parse_metric(char *arg, Cfn__Metric *metric, char *err,
			     size_t errlen);

const char *cfn_client_status_name(Cfn__Status status);

#endif /* CFN_CLIENT_H */
