/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfn-altod: an ALTO server (RFC 7285, RFC 8895 update streams, RFC 9240
 * property maps) of this CFN node's view and selection. Its data comes
 * from bgpd's service API (a Watch: pushed, never polled); it serves the
 * network map of egresses and clients, cost maps, endpoint costs ranked
 * as the node selects, and the CATS metrics of each egress and instance.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "alto_aggregate.h"
#include "alto_auth.h"
#include "alto_config.h"
#include "alto_http.h"
#include "alto_sse.h"
#include "alto_store.h"
#include "alto_view.h"
#include "cfn_getopt.h"

static volatile sig_atomic_t stopping;

static const char usage_text[] =
	"usage: cfn-altod [-f CONFIG] [-d]\n"
	"  -f  configuration file (default " ALTO_CONFIG_DEFAULT
	")\n"
	"      a missing default file means the defaults\n"
	"  -d  debug: log to stderr too\n";

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static bool configure(const char *path, bool explicit,
		      struct alto_config *config)
{
	char err[512];
	const char *refusal;
	unsigned int line;

	alto_config_default(config);
	if ((explicit || access(path, F_OK) == 0) &&
	    !alto_config_load(config, path, err, sizeof(err))) {
		syslog(LOG_ERR, "%s", err);
		return false;
	}
	refusal = alto_config_refusal(config, &line);
	if (refusal) {
		syslog(LOG_ERR, "%s:%u: %s", path, line, refusal);
		return false;
	}
	if (!alto_auth_init(config, err, sizeof(err))) {
		syslog(LOG_ERR, "%s", err);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	static struct alto_config config;
	const char *path = ALTO_CONFIG_DEFAULT;
	bool explicit = false, debug = false;
	char err[512];
	int c;

	while ((c = getopt_long(argc, argv, "f:dh", cfn_help_option, NULL)) !=
	       -1) {
		if (c == 'f') {
			path = optarg;
			explicit = true;
		} else if (c == 'd')
			debug = true;
		else {
			fputs(usage_text, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	openlog("cfn-altod", debug ? LOG_PERROR | LOG_PID : LOG_PID,
		LOG_DAEMON);
	if (!configure(path, explicit, &config))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	alto_sse_init(config.max_streams);
	alto_store_init(&config, alto_sse_changed, alto_sse_ready);
	if (!alto_http_start(&config, err, sizeof(err))) {
		syslog(LOG_ERR, "%s", err);
		return 1;
	}
	if (!alto_view_start(config.api_socket, alto_store_update) ||
	    !alto_aggregate_start(&config, alto_store_aggregate_changed)) {
		syslog(LOG_ERR, "cannot start a thread");
		return 1;
	}
	syslog(LOG_INFO, "serving ALTO on %s port %u (%s), bgpd API %s",
	       config.listen, config.port,
	       config.tls_cert[0] ? "HTTPS" : "plain HTTP", config.api_socket);
	while (!stopping) {
		sleep(1);
		alto_sse_end_closed();
	}
	alto_view_stop();
	alto_aggregate_stop();
	alto_http_stop();
	alto_store_fini();
	alto_auth_fini();
	syslog(LOG_INFO, "stopped");
	return 0;
}
