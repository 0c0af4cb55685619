/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service notification API server: a Unix stream socket (and, when
 * configured, a TCP listener) served from bgpd's event loop with
 * non-blocking I/O. Requests go to lib/cfn_api.c against the default BGP
 * instance's services; what they change is advertised through
 * cfn_originate.c, metric changes subject to update damping.
 *
 * The socket is created mode 0660, owner bgpd's user (frr) and group
 * frrvty, like the vty sockets: root and the vty group may use it.
 *
 * No client can lock the others out: a connection without a request for
 * idle-timeout is closed, one user (uid, or TCP source address) has at
 * most max-clients-per-user connections, and root and bgpd's own user
 * (cfn-agent runs as root) are admitted beyond max-clients.
 */
#include <zebra.h>

#include <grp.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "libfrr.h"
#include "network.h"
#include "privs.h"
#include "sockunion.h"
#include "cfn_frr_compat.h"

#include "bgpd/bgpd.h"

#include "cfn_alloc.h"
#include "cfn_api.h"
#include "cfn_debug.h"
#include "cfn_module.h"

DEFINE_MTYPE_STATIC(CFN, CFN_API_CLIENT, "CFN API client");
DEFINE_MTYPE_STATIC(CFN, CFN_API_BUFFER, "CFN API buffers");

#define CFN_API_WRITE_MAX (1 << 20) /* unread replies before we give up */

extern struct zebra_privs_t bgpd_privs;

struct cfn_api_client {
	int fd;
	char name[CFN_CLIENT_LEN];
	char user[INET6_ADDRSTRLEN + 8]; /* "uid N", or the TCP source */
	bool privileged;		 /* root or bgpd's user */
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_len;
	struct cfn_event *t_read, *t_write, *t_idle;
};

struct cfn_api_listener {
	int fd;
	struct cfn_event *t_accept;
};

static struct {
	struct cfn_event_loop *master;
	struct cfn_api_listener unix_listener, tcp_listener;
	struct list *clients;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct cfn_api_config config;
	struct cfn_api_stats stats; /* clients: counted when asked */
} api = {.unix_listener.fd = -1, .tcp_listener.fd = -1};

const struct cfn_api_config *cfn_api_config(void)
{
	return &api.config;
}

void cfn_api_set_config(const struct cfn_api_config *config)
{
	api.config = *config;
	cfn_api_reconfigure();
}

static void cfn_api_client_close(struct cfn_api_client *client, const char *why)
{
	CFN_DEBUG(events, "API client %s closed: %s", client->name, why);
	EVENT_OFF(client->t_read);
	EVENT_OFF(client->t_write);
	EVENT_OFF(client->t_idle);
	close(client->fd);
	listnode_delete(api.clients, client);
	XFREE(MTYPE_CFN_API_BUFFER, client->in);
	XFREE(MTYPE_CFN_API_BUFFER, client->out);
	XFREE(MTYPE_CFN_API_CLIENT, client);
}

static void cfn_api_write(struct cfn_event *t);

static void cfn_api_flush(struct cfn_api_client *client)
{
	ssize_t n = write(client->fd, client->out, client->out_len);

	if (n < 0 && !ERRNO_IO_RETRY(errno)) {
		cfn_api_client_close(client, safe_strerror(errno));
		return;
	}
	if (n > 0) {
		client->out_len -= (size_t)n;
		memmove(client->out, client->out + n, client->out_len);
	}
	if (client->out_len)
		event_add_write(api.master, cfn_api_write, client, client->fd,
				&client->t_write);
}

static void cfn_api_write(struct cfn_event *t)
{
	cfn_api_flush(EVENT_ARG(t));
}

static bool cfn_api_queue(struct cfn_api_client *client, const uint8_t *data,
			  size_t len)
{
	if (client->out_len + len > CFN_API_WRITE_MAX) {
		api.stats.slow_clients++;
		cfn_api_client_close(client, "does not read its replies");
		return false;
	}
	client->out = XREALLOC(MTYPE_CFN_API_BUFFER, client->out,
			       client->out_len + len);
	memcpy(client->out + client->out_len, data, len);
	client->out_len += len;
	return true;
}

static void cfn_api_idle(struct cfn_event *t)
{
	api.stats.idle_clients++;
	cfn_api_client_close(EVENT_ARG(t), "idle");
}

/* Every request restarts the idle timeout. */
static void cfn_api_idle_restart(struct cfn_api_client *client)
{
	EVENT_OFF(client->t_idle);
	if (api.config.idle_timeout_s)
		event_add_timer(api.master, cfn_api_idle, client,
				api.config.idle_timeout_s, &client->t_idle);
}

/*
 * Advertise what a request changed: once per request, however many
 * instances of the service it reported (a batch).
 */
static void cfn_api_apply(struct cfn_instance *ci,
			  const struct cfn_api_outcome *outcome)
{
	if (outcome->change == CFN_API_INSTANCES)
		cfn_originate_service(ci, outcome->service);
	else if (outcome->change == CFN_API_METRICS)
		cfn_originate_damped(ci, outcome->service);
}

static bool cfn_api_request(struct cfn_api_client *client,
			    const uint8_t *payload, size_t len)
{
	struct bgp *bgp = bgp_get_default();
	struct cfn_instance *ci = bgp ? cfn_instance_get(bgp, true) : NULL;
	struct cfn_service_table none;
	struct cfn_api_outcome outcome;
	uint8_t *reply = NULL;
	size_t reply_len;
	bool ok;

	cfn_service_table_init(&none);
	api.stats.requests++;
	cfn_api_idle_restart(client);
	reply_len = cfn_api_handle(
		ci ? &ci->services : &none, &api.config.limits, client->name,
		cfn_now_ms(), payload, len, &reply, &outcome);
	if (!reply_len) {
		cfn_api_client_close(client, "out of memory");
		return false;
	}
	api.stats.instance_reports += outcome.instances;
	if (outcome.refused)
		api.stats.errors++;
	else if (outcome.service) {
		api.stats.changes++;
		cfn_api_apply(ci, &outcome);
	}
	ok = cfn_api_queue(client, reply, reply_len);
	cfn_free(reply);
	return ok;
}

/* Handle every complete frame in the input buffer. */
static bool cfn_api_frames(struct cfn_api_client *client)
{
	size_t pos = 0;

	while (client->in_len - pos >= CFN_API_FRAME_HEADER) {
		uint32_t len = cfn_api_frame_length(client->in + pos);

		if (len > api.config.limits.max_frame) {
			api.stats.framing_errors++;
			zlog_warn(
				"CFN: API client %s sent a %u-octet frame (limit %u): closed",
				client->name, len, api.config.limits.max_frame);
			cfn_api_client_close(client, "oversized frame");
			return false;
		}
		if (client->in_len - pos < CFN_API_FRAME_HEADER + len)
			break;
		if (!cfn_api_request(client,
				     client->in + pos + CFN_API_FRAME_HEADER,
				     len))
			return false;
		pos += CFN_API_FRAME_HEADER + len;
	}
	client->in_len -= pos;
	memmove(client->in, client->in + pos, client->in_len);
	return true;
}

static void cfn_api_read(struct cfn_event *t)
{
	struct cfn_api_client *client = EVENT_ARG(t);
	size_t want = api.config.limits.max_frame + CFN_API_FRAME_HEADER;
	ssize_t n;

	if (client->in_cap < want) {
		client->in = XREALLOC(MTYPE_CFN_API_BUFFER, client->in, want);
		client->in_cap = want;
	}
	n = read(client->fd, client->in + client->in_len,
		 client->in_cap - client->in_len);
	if (n == 0 || (n < 0 && !ERRNO_IO_RETRY(errno))) {
		cfn_api_client_close(client, n ? safe_strerror(errno) : "EOF");
		return;
	}
	if (n > 0) {
		client->in_len += (size_t)n;
		if (!cfn_api_frames(client))
			return;
		cfn_api_flush(client);
		if (!listnode_lookup(api.clients, client))
			return;
	}
	event_add_read(api.master, cfn_api_read, client, client->fd,
		       &client->t_read);
}

/* Who is connected: its name for humans, its user for the limits. */
static void cfn_api_identify(struct cfn_api_client *client,
			     const union sockunion *su)
{
	struct ucred cred;
	socklen_t credlen = sizeof(cred);

	if (sockunion_family(su) != AF_UNIX) {
		snprintfrr(client->name, sizeof(client->name), "%pSU", su);
		snprintfrr(client->user, sizeof(client->user), "%pSU", su);
	} else if (getsockopt(client->fd, SOL_SOCKET, SO_PEERCRED, &cred,
			      &credlen) == 0) {
		snprintf(client->name, sizeof(client->name), "pid %d uid %u",
			 (int)cred.pid, (unsigned int)cred.uid);
		snprintf(client->user, sizeof(client->user), "uid %u",
			 (unsigned int)cred.uid);
		client->privileged = cred.uid == 0 || cred.uid == geteuid();
	} else {
		strlcpy(client->name, "unknown", sizeof(client->name));
		strlcpy(client->user, "unknown", sizeof(client->user));
	}
}

/* Why a new client is refused, into why; false when it is admitted. */
static bool cfn_api_refused(const struct cfn_api_client *client, char *why,
			    size_t len)
{
	const struct cfn_api_client *other;
	struct listnode *node;
	uint32_t same_user = 0;

	for (ALL_LIST_ELEMENTS_RO(api.clients, node, other))
		same_user += strcmp(other->user, client->user) == 0;
	if (same_user >= api.config.max_clients_per_user) {
		api.stats.refused_per_user++;
		snprintf(
			why, len,
			"%u connections of %s already (cfn api max-clients-per-user)",
			same_user, client->user);
		return true;
	}
	if (!client->privileged &&
	    listcount(api.clients) >= api.config.max_clients) {
		api.stats.refused_clients++;
		snprintf(why, len, "%u clients already (cfn api max-clients)",
			 listcount(api.clients));
		return true;
	}
	return false;
}

/* A flood must not flood the log too: one line every 10 s. */
static void cfn_api_log_refusal(const struct cfn_api_client *client,
				const char *why)
{
	static time_t last;
	static unsigned int suppressed;
	time_t now = monotime(NULL);

	CFN_DEBUG(events, "API client %s refused: %s", client->name, why);
	if (last && now - last < 10) {
		suppressed++;
		return;
	}
	zlog_warn("CFN: API client %s refused: %s%s", client->name, why,
		  suppressed ? " (more suppressed)" : "");
	last = now;
	suppressed = 0;
}

/* Tell a refused client why (a LIMIT reply, id 0), then close it. */
static void cfn_api_refuse(struct cfn_api_client *client, const char *why)
{
	uint8_t *reply = NULL;
	size_t len = cfn_api_refusal(why, &reply);

	cfn_api_log_refusal(client, why);
	/* a new socket's buffer takes it; if not, the client sees EOF */
	if (len && write(client->fd, reply, len) < 0)
		CFN_DEBUG(events, "API client %s: %s", client->name,
			  safe_strerror(errno));
	cfn_free(reply);
	close(client->fd);
	XFREE(MTYPE_CFN_API_CLIENT, client);
}

static void cfn_api_accept(struct cfn_event *t)
{
	struct cfn_api_listener *listener = EVENT_ARG(t);
	struct cfn_api_client *client;
	union sockunion su = {};
	socklen_t sulen = sizeof(su);
	int fd = accept(listener->fd, &su.sa, &sulen);
	char why[128];

	event_add_read(api.master, cfn_api_accept, listener, listener->fd,
		       &listener->t_accept);
	if (fd < 0)
		return;
	set_nonblocking(fd);
	client = XCALLOC(MTYPE_CFN_API_CLIENT, sizeof(*client));
	client->fd = fd;
	if (listener == &api.unix_listener)
		su.sa.sa_family = AF_UNIX;
	cfn_api_identify(client, &su);
	if (cfn_api_refused(client, why, sizeof(why))) {
		cfn_api_refuse(client, why);
		return;
	}
	listnode_add(api.clients, client);
	CFN_DEBUG(events, "API client %s connected", client->name);
	event_add_read(api.master, cfn_api_read, client, fd, &client->t_read);
	cfn_api_idle_restart(client);
}

static void cfn_api_listener_stop(struct cfn_api_listener *listener)
{
	EVENT_OFF(listener->t_accept);
	if (listener->fd >= 0)
		close(listener->fd);
	listener->fd = -1;
}

static void cfn_api_listener_start(struct cfn_api_listener *listener, int fd)
{
	listener->fd = fd;
	set_nonblocking(fd);
	event_add_read(api.master, cfn_api_accept, listener, fd,
		       &listener->t_accept);
}

static int cfn_api_unix_socket(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct group *vty_group = getgrnam(VTY_GROUP);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	unlink(path);
	/* a burst of connections waits in the backlog, not EAGAIN */
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		zlog_err("CFN: API socket %s: %s", path, safe_strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	chmod(path, 0660);
	if (vty_group && chown(path, -1, vty_group->gr_gid) < 0)
		zlog_warn("CFN: API socket %s: group %s: %s", path, VTY_GROUP,
			  safe_strerror(errno));
	return fd;
}

static int cfn_api_tcp_socket(const struct in_addr *addr, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_addr = *addr,
				  .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;
	int ret = -1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	frr_with_privs (&bgpd_privs) {
		ret = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	}
	if (ret < 0 || listen(fd, SOMAXCONN) < 0) {
		zlog_err("CFN: API TCP listener %pI4:%u: %s", addr, port,
			 safe_strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void cfn_api_reconfigure(void)
{
	const struct cfn_api_config *cfg = &api.config;
	struct cfn_api_client *client;
	struct listnode *node;
	char path[sizeof(api.path)];
	int fd;

	if (cfg->socket_path[0])
		strlcpy(path, cfg->socket_path, sizeof(path));
	else if (snprintf(path, sizeof(path), "%s/cfn-api.sock",
			  cfn_frr_rundir) >= (int)sizeof(path)) {
		zlog_err("CFN: %s/cfn-api.sock: path too long for a socket",
			 cfn_frr_rundir);
		return;
	}
	if (api.unix_listener.fd < 0 || strcmp(path, api.path) != 0) {
		cfn_api_listener_stop(&api.unix_listener);
		if (api.path[0])
			unlink(api.path);
		api.path[0] = '\0';
		fd = cfn_api_unix_socket(path);
		if (fd >= 0) {
			strlcpy(api.path, path, sizeof(api.path));
			cfn_api_listener_start(&api.unix_listener, fd);
		}
	}
	for (ALL_LIST_ELEMENTS_RO(api.clients, node, client))
		cfn_api_idle_restart(client);
	cfn_api_listener_stop(&api.tcp_listener);
	if (cfg->tcp_port) {
		fd = cfn_api_tcp_socket(&cfg->tcp_address, cfg->tcp_port);
		if (fd >= 0)
			cfn_api_listener_start(&api.tcp_listener, fd);
	}
}

const char *cfn_api_socket_path(void)
{
	return api.path;
}

void cfn_api_stats(struct cfn_api_stats *stats)
{
	*stats = api.stats;
	stats->clients = listcount(api.clients);
}

void cfn_api_config_default(struct cfn_api_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfn_api_limits_default(&cfg->limits);
	cfg->max_clients = 64;
	cfg->max_clients_per_user = 8;
	cfg->idle_timeout_s = 60;
}

void cfn_api_init(struct cfn_event_loop *master)
{
	api.master = master;
	api.clients = list_new();
	cfn_api_config_default(&api.config);
	cfn_api_reconfigure();
}

void cfn_api_fini(void)
{
	struct cfn_api_client *client;

	while ((client = listnode_head(api.clients)))
		cfn_api_client_close(client, "bgpd exits");
	list_delete(&api.clients);
	cfn_api_listener_stop(&api.unix_listener);
	cfn_api_listener_stop(&api.tcp_listener);
	if (api.path[0])
		unlink(api.path);
}
