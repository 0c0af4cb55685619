/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfn-netconfd: a NETCONF server (RFC 6241 over SSH, RFC 5277
 * notifications) for the frr-cfn YANG model, in front of the bgpd of
 * this node. It keeps no configuration of its own: every request reads
 * or writes bgpd's running configuration through bgpd's vty socket.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "nc_auth.h"
#include "nc_cli.h"
#include "nc_server.h"
#include "nc_ssh.h"
#include "cfn_getopt.h"

#define DEFAULT_PORT 830
#define DEFAULT_HOST_KEY CFN_SYSCONFDIR "/frr/cfn-netconfd_host_key"
#define FRR_RUN_DIR "/var/run/frr"
#define POLL_MS 50

#define WORKERS 4 /* sessions served at once */

struct nc_cfn_server nc_cfn = {
	.config_lock = PTHREAD_MUTEX_INITIALIZER,
	.sessions_lock = PTHREAD_MUTEX_INITIALIZER,
};

static volatile sig_atomic_t stopping;

struct options {
	const char *address, *host_key, *group, *keys_file, *yang_dir;
	const char *pathspace, *api_socket;
	uint16_t port;
	bool debug;
};

static const char usage_text[] =
	"usage: cfn-netconfd [-a ADDRESS] [-p PORT] [-k HOST_KEY] [-g GROUP]\n"
	"                    [-A KEYS_FILE] [-N PATHSPACE] [-S API_SOCKET]\n"
	"                    [-y YANG_DIR] [-d]\n"
	"  -a  listen address (default :: , every address)\n"
	"  -p  SSH port (default 830)\n"
	"  -k  host key, generated if missing (default " DEFAULT_HOST_KEY
	")\n"
	"  -g  group whose members may log in besides root (default frrvty)\n"
	"  -A  authorized keys of a user, %h: home, %u: user name\n"
	"      (default %h/.ssh/authorized_keys)\n"
	"  -N  FRR pathspace of the bgpd to manage\n"
	"  -S  bgpd's service API socket, for selection changes\n"
	"      (default cfn-api.sock in bgpd's run directory)\n"
	"  -y  directory of the frr-cfn YANG module (default " CFN_YANG_DIR
	")\n"
	"  -d  debug: log to stderr too, verbosely\n";

static bool parse_options(int argc, char **argv, struct options *o)
{
	int c;

	*o = (struct options){.address = "::",
			      .host_key = DEFAULT_HOST_KEY,
			      .group = "frrvty",
			      .keys_file = "%h/.ssh/authorized_keys",
			      .yang_dir = CFN_YANG_DIR,
			      .port = DEFAULT_PORT};
	while ((c = getopt_long(argc, argv, "a:p:k:g:A:N:S:y:dh",
				cfn_help_option, NULL)) != -1) {
		switch (c) {
		case 'a':
			o->address = optarg;
			break;
		case 'p':
			o->port = (uint16_t)atoi(optarg);
			if (!o->port)
				return false;
			break;
		case 'k':
			o->host_key = optarg;
			break;
		case 'g':
			o->group = optarg;
			break;
		case 'A':
			o->keys_file = optarg;
			break;
		case 'N':
			o->pathspace = optarg;
			break;
		case 'S':
			o->api_socket = optarg;
			break;
		case 'y':
			o->yang_dir = optarg;
			break;
		case 'd':
			o->debug = true;
			break;
		default:
			return false;
		}
	}
	return optind == argc;
}

static void log_libnetconf2(const struct nc_session *session,
			    NC_VERB_LEVEL level, const char *msg)
{
	static const int priority[] = {[NC_VERB_ERROR] = LOG_ERR,
				       [NC_VERB_WARNING] = LOG_WARNING,
				       [NC_VERB_VERBOSE] = LOG_INFO,
				       [NC_VERB_DEBUG] = LOG_DEBUG};

	if (session && nc_session_get_id(session)) /* 0: not yet a session */
		syslog(priority[level], "session %u: %s",
		       nc_session_get_id(session), msg);
	else
		syslog(priority[level], "%s", msg);
}

/* The modules of the server: NETCONF's own, RFC 5277's and ours. */
static struct ly_ctx *load_modules(const char *yang_dir)
{
	static const char *netconf_features[] = {"writable-running", "validate",
						 "xpath", NULL};
	char search[1024];
	struct ly_ctx *ctx = NULL;

	snprintf(search, sizeof(search), "%s:%s", yang_dir, CFN_IETF_YANG_DIRS);
	if (ly_ctx_new(search, 0, &ctx))
		return NULL;
	if (!ly_ctx_load_module(ctx, "ietf-netconf", NULL, netconf_features) ||
	    !ly_ctx_load_module(ctx, "ietf-netconf-monitoring", NULL, NULL) ||
	    !ly_ctx_load_module(ctx, "frr-cfn-nc-deviations", NULL, NULL) ||
	    !ly_ctx_load_module(ctx, "notifications", NULL, NULL) ||
	    !ly_ctx_load_module(ctx, NC_CLI_MODULE, NULL, NULL) ||
	    !nc_ssh_load_modules(ctx)) {
		ly_ctx_destroy(ctx);
		return NULL;
	}
	return ctx;
}

static bool listen_ssh(const struct options *o)
{
	const struct nc_ssh_options ssh = {.address = o->address,
					   .port = o->port,
					   .host_key = o->host_key,
					   .keys_file = o->keys_file};

	return nc_ssh_listen(nc_cfn.ctx, &ssh);
}

static bool start(const struct options *o)
{
	char err[256], run_dir[200], api_socket[256];

	if (o->pathspace)
		snprintf(run_dir, sizeof(run_dir), FRR_RUN_DIR "/%s",
			 o->pathspace);
	else
		snprintf(run_dir, sizeof(run_dir), FRR_RUN_DIR);
	snprintf(nc_cfn.vty_path, sizeof(nc_cfn.vty_path), "%s/bgpd.vty",
		 run_dir);
	snprintf(api_socket, sizeof(api_socket), "%s/cfn-api.sock", run_dir);
	nc_cfn.ctx = load_modules(o->yang_dir);
	if (!nc_cfn.ctx) {
		syslog(LOG_ERR, "cannot load the YANG modules (from %s:%s)",
		       o->yang_dir, CFN_IETF_YANG_DIRS);
		return false;
	}
	if (!nc_auth_host_key(o->host_key, err, sizeof(err))) {
		syslog(LOG_ERR, "%s", err);
		return false;
	}
	nc_rpc_init(); /* before the server sets its default callbacks */
	/* RFC 5277: notifications, and RPCs while subscribed */
	if (!nc_ssh_server_init(nc_cfn.ctx) ||
	    nc_server_set_capability(
		    "urn:ietf:params:netconf:capability:notification:1.0") ||
	    nc_server_set_capability(
		    "urn:ietf:params:netconf:capability:interleave:1.0"))
		return false;
	nc_auth_init(o->group);
	if (!listen_ssh(o)) {
		syslog(LOG_ERR, "cannot listen on [%s]:%u", o->address,
		       o->port);
		return false;
	}
	if (!nc_notify_start(o->api_socket ? o->api_socket : api_socket)) {
		syslog(LOG_ERR, "cannot start the notification thread");
		return false;
	}
	nc_cfn.ps = nc_ps_new();
	syslog(LOG_NOTICE, "listening on [%s]:%u for bgpd at %s", o->address,
	       o->port, nc_cfn.vty_path);
	return nc_cfn.ps != NULL;
}

static void close_session(struct nc_session *session)
{
	syslog(LOG_INFO, "session %u closed", nc_session_get_id(session));
	nc_rpc_session_closed(session);
	pthread_mutex_lock(&nc_cfn.sessions_lock);
	nc_ps_del_session(nc_cfn.ps, session);
	nc_session_free(session, NULL);
	pthread_mutex_unlock(&nc_cfn.sessions_lock);
}

/* A worker: answers the requests of whichever session has one. */
static void *serve_sessions(void *unused)
{
	struct nc_session *session;

	(void)unused;
	while (!stopping) {
		session = NULL;
		if ((nc_ps_poll(nc_cfn.ps, POLL_MS, &session) &
		     (NC_PSPOLL_SESSION_TERM | NC_PSPOLL_SESSION_ERROR)) &&
		    session)
			close_session(session);
	}
	return NULL;
}

/* The main thread: accepts sessions. */
static void accept_sessions(void)
{
	struct nc_session *session;

	while (!stopping) {
		if (nc_ssh_accept(nc_cfn.ctx, POLL_MS, &session) ==
		    NC_MSG_HELLO) {
			syslog(LOG_INFO, "session %u: user %s",
			       nc_session_get_id(session),
			       nc_session_get_username(session));
			nc_ps_add_session(nc_cfn.ps, session);
		}
	}
}

static void serve(void)
{
	pthread_t workers[WORKERS];
	size_t started = 0;

	while (started < WORKERS &&
	       !pthread_create(&workers[started], NULL, serve_sessions, NULL))
		started++;
	if (!started)
		syslog(LOG_ERR, "cannot start a worker thread");
	else
		accept_sessions();
	stopping = 1;
	while (started)
		pthread_join(workers[--started], NULL);
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	struct options o;

	if (!parse_options(argc, argv, &o)) {
		fputs(usage_text, stderr);
		return 2;
	}
	openlog("cfn-netconfd", LOG_PID | (o.debug ? LOG_PERROR : 0),
		LOG_DAEMON);
	if (!o.debug)
		setlogmask(LOG_UPTO(LOG_INFO));
	nc_verbosity(o.debug ? NC_VERB_VERBOSE : NC_VERB_WARNING);
	ly_log_level(LY_LLWRN); /* its verbose messages: module searches */
	nc_set_print_clb_session(log_libnetconf2);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (!start(&o))
		return 1;
	serve();
	nc_notify_stop();
	while (nc_ps_session_count(nc_cfn.ps))
		close_session(nc_ps_get_session(nc_cfn.ps, 0));
	nc_ps_free(nc_cfn.ps);
	nc_server_destroy();
	ly_ctx_destroy(nc_cfn.ctx);
	syslog(LOG_NOTICE, "stopped");
	return 0;
}
