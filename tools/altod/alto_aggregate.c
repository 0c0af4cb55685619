/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "alto_aggregate.h"
#include "alto_request.h"
#include "alto_store.h"

#define RECONNECT_S 1
#define KEEPALIVE_IDLE_S 5 /* then 3 probes 1 s apart: dead within 8 s */
#define KEEPALIVE_PROBES 3
#define SYN_RETRIES 1 /* connect gives up after 3 s */
#define POLL_MS 500
#define EVENT_MAX (4u << 20) /* one event's text, at most */
#define SUBSCRIPTION                                                           \
	"{\"add\":{\"n\":{\"resource-id\":\"networkmap\"},"                    \
	"\"p\":{\"resource-id\":\"propmap\"}}}"

struct peer {
	const struct alto_domain *domain;
	pthread_t thread;
	json_object *networkmap, *propmap; /* latest, NULL when unknown */
	bool connected;
	bool out_of_step; /* a patch came before its map: start again */
};

static struct {
	pthread_mutex_t lock;
	struct peer peers[ALTO_DOMAINS_MAX];
	size_t n_peers;
	void (*changed)(void);
	atomic_bool stopping;
} agg = {.lock = PTHREAD_MUTEX_INITIALIZER};

/*
 * A stream may be quiet for long, and a peer behind a dead link never
 * closes it: TCP keepalives find it, and a SYN is not retried for minutes.
 */
static void watch_liveness(int fd)
{
	int on = 1, idle = KEEPALIVE_IDLE_S, interval = 1,
	    probes = KEEPALIVE_PROBES, syns = SYN_RETRIES;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof(probes));
	setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &syns, sizeof(syns));
}

static int peer_connect(const struct alto_domain *d)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	char port[8];
	int fd = -1;

	snprintf(port, sizeof(port), "%u", d->port);
	if (getaddrinfo(d->host, port, &hints, &res))
		return -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		watch_liveness(fd);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

/* HTTP/1.0: the body is the event stream until the peer closes. */
static bool subscribe(int fd, const struct alto_domain *d)
{
	char req[512];
	int len = snprintf(
		req, sizeof(req),
		"POST /updates HTTP/1.0\r\nHost: %s:%u\r\n"
		"Content-Type: application/alto-updatestreamparams+json\r\n"
		"Accept: text/event-stream\r\nContent-Length: %zu\r\n\r\n%s",
		d->host, d->port, strlen(SUBSCRIPTION), SUBSCRIPTION);

	return send(fd, req, (size_t)len, MSG_NOSIGNAL) == len;
}

/* One event of the peer's stream, to the map its client ID names. */
static void on_event(struct peer *p, const char *type, const char *data)
{
	const char *comma = strchr(type, ',');
	struct alto_error error;
	json_object *doc, **map, *merged;

	if (!comma || (strcmp(comma + 1, "n") && strcmp(comma + 1, "p")))
		return; /* stream control */
	doc = alto_parse_json(data, strlen(data), &error);
	if (!doc)
		return;
	pthread_mutex_lock(&agg.lock);
	map = comma[1] == 'n' ? &p->networkmap : &p->propmap;
	if (!strncmp(type, "application/merge-patch+json", comma - type)) {
		if (!*map) {
			pthread_mutex_unlock(&agg.lock);
			json_object_put(doc);
			p->out_of_step = true;
			return;
		}
		merged = alto_merge_apply(*map, doc);
		json_object_put(doc);
		doc = merged;
	}
	json_object_put(*map);
	*map = doc;
	p->connected = true;
	pthread_mutex_unlock(&agg.lock);
	if (agg.changed)
		agg.changed();
}

/*
 * Text/event-stream lines (RFC 8895 section 7: "event:" and "data:");
 * a blank line ends an event. Returns the octets consumed.
 */
static size_t parse_events(struct peer *p, char *buf, size_t len, char *type,
			   size_t type_len, char **data)
{
	size_t used = 0;
	char *nl;

	while (!p->out_of_step && (nl = memchr(buf + used, '\n', len - used))) {
		char *line = buf + used;

		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0'; /* CRLF ends a line too */
		used = (size_t)(nl - buf) + 1;
		if (!strncmp(line, "event: ", 7))
			snprintf(type, type_len, "%s", line + 7);
		else if (!strncmp(line, "data: ", 6)) {
			free(*data);
			*data = strdup(line + 6);
		} else if (!line[0] && *data) {
			on_event(p, type, *data);
			free(*data);
			*data = NULL;
			type[0] = '\0'; /* each event names its own type */
		}
	}
	return used;
}

/* Past the response header: false unless it is a 200. */
static bool skip_header(char *buf, size_t *len, bool *body)
{
	char *end = strstr(buf, "\r\n\r\n");
	size_t used;

	if (!end)
		return true; /* not all of it yet */
	if (strncmp(buf, "HTTP/1.", 7) || strncmp(buf + 9, "200", 3))
		return false;
	used = (size_t)(end + 4 - buf);
	*len -= used;
	memmove(buf, buf + used, *len + 1);
	*body = true;
	return true;
}

/* The stream until it ends; its header checked first. */
static void follow(struct peer *p, int fd)
{
	char *buf = malloc(EVENT_MAX + 1), *data = NULL, type[128] = "";
	size_t len = 0, used;
	bool body = false;

	while (buf && !agg.stopping && !p->out_of_step && len < EVENT_MAX) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, POLL_MS) <= 0)
			continue;
		n = read(fd, buf + len, EVENT_MAX - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (!body && !skip_header(buf, &len, &body))
			break;
		if (!body)
			continue;
		used = parse_events(p, buf, len, type, sizeof(type), &data);
		len -= used;
		memmove(buf, buf + used, len);
	}
	free(data);
	free(buf);
}

static void forget(struct peer *p)
{
	pthread_mutex_lock(&agg.lock);
	json_object_put(p->networkmap);
	json_object_put(p->propmap);
	p->networkmap = p->propmap = NULL;
	p->connected = false;
	pthread_mutex_unlock(&agg.lock);
	agg.changed();
}

static void *peer_thread(void *arg)
{
	struct peer *p = arg;
	bool logged = false;

	while (!agg.stopping) {
		int fd = peer_connect(p->domain);

		if (fd >= 0 && subscribe(fd, p->domain)) {
			syslog(LOG_INFO, "aggregating domain %s (%s:%u)",
			       p->domain->name, p->domain->host,
			       p->domain->port);
			logged = false;
			follow(p, fd);
		}
		if (fd >= 0)
			close(fd);
		if (p->out_of_step)
			syslog(LOG_WARNING,
			       "domain %s: a patch before its map, subscribing "
			       "again",
			       p->domain->name);
		p->out_of_step = false;
		forget(p);
		if (!logged && !agg.stopping)
			syslog(LOG_WARNING,
			       "domain %s (%s:%u): no update stream",
			       p->domain->name, p->domain->host,
			       p->domain->port);
		logged = true;
		for (int i = 0; i < RECONNECT_S * 10 && !agg.stopping; i++)
			usleep(100000);
	}
	return NULL;
}

bool alto_aggregate_start(const struct alto_config *config,
			  void (*changed)(void))
{
	agg.changed = changed;
	for (size_t i = 0; i < config->n_domains; i++) {
		struct peer *p = &agg.peers[agg.n_peers];

		p->domain = &config->domains[i];
		if (pthread_create(&p->thread, NULL, peer_thread, p))
			return false;
		agg.n_peers++;
	}
	return true;
}

void alto_aggregate_stop(void)
{
	agg.stopping = true;
	for (size_t i = 0; i < agg.n_peers; i++) {
		pthread_join(agg.peers[i].thread, NULL);
		json_object_put(agg.peers[i].networkmap);
		json_object_put(agg.peers[i].propmap);
	}
	agg.n_peers = 0;
}

static json_object *member(json_object *obj, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(obj, key, &v);
	return v;
}

/* Every PID of one domain's map, as "DOMAIN:PID". */
static void add_pids(json_object *out, json_object *nm, const char *domain)
{
	json_object *map = member(nm, "network-map");

	if (!json_object_is_type(map, json_type_object))
		return; /* none yet, or not a map */
	json_object_object_foreach(map, pid, group)
	{
		char name[ALTO_DOMAIN_LEN + 80];

		snprintf(name, sizeof(name), "%s:%s", domain, pid);
		json_object_object_add(out, name, json_object_get(group));
	}
}

/*
 * The local map and every peer's latest (the peer field at `latest`),
 * each added by `add` under its domain, as {member: map}.
 */
static json_object *
aggregate(json_object *local, const char *domain, size_t latest,
	  void (*add)(json_object *map, json_object *from, const char *domain),
	  const char *member)
{
	json_object *map = json_object_new_object();
	json_object *out = json_object_new_object();

	add(map, local, domain);
	pthread_mutex_lock(&agg.lock);
	for (size_t i = 0; i < agg.n_peers; i++) {
		json_object *from =
			*(json_object **)((char *)&agg.peers[i] + latest);

		if (from)
			add(map, from, agg.peers[i].domain->name);
	}
	pthread_mutex_unlock(&agg.lock);
	json_object_object_add(out, member, map);
	return out;
}

json_object *alto_aggregate_networkmap(json_object *local, const char *domain)
{
	return aggregate(local, domain, offsetof(struct peer, networkmap),
			 add_pids, "network-map");
}

#define PID_ENTITY "networkmap.pid:"
#define AGG_PID_ENTITY "agg-networkmap.pid:"

/*
 * One domain's entities: PIDs qualified by the domain, the pid property
 * too, and a priv:domain property saying whose each entity is.
 */
static void add_entities(json_object *out, json_object *pm, const char *domain)
{
	json_object *map = member(pm, "property-map");

	if (!json_object_is_type(map, json_type_object))
		return; /* none yet, or not a map */
	json_object_object_foreach(map, entity, props)
	{
		json_object *copy;
		char name[ALTO_DOMAIN_LEN + 128];

		if (!json_object_is_type(props, json_type_object))
			continue;
		copy = json_object_new_object();
		json_object_object_foreach(props, prop, value)
		{
			if (strcmp(prop, "networkmap.pid")) {
				json_object_object_add(copy, prop,
						       json_object_get(value));
				continue;
			}
			snprintf(name, sizeof(name), "%s:%s", domain,
				 json_object_get_string(value));
			json_object_object_add(copy, "agg-networkmap.pid",
					       json_object_new_string(name));
		}
		json_object_object_add(copy, "priv:domain",
				       json_object_new_string(domain));
		if (!strncmp(entity, PID_ENTITY, strlen(PID_ENTITY)))
			snprintf(name, sizeof(name), AGG_PID_ENTITY "%s:%s",
				 domain, entity + strlen(PID_ENTITY));
		else
			snprintf(name, sizeof(name), "%s", entity);
		json_object_object_add(out, name, copy);
	}
}

json_object *alto_aggregate_propmap(json_object *local, const char *domain)
{
	return aggregate(local, domain, offsetof(struct peer, propmap),
			 add_entities, "property-map");
}

void alto_aggregate_feed(const char *body, size_t len)
{
	static const struct alto_domain domain = {.name = "fuzz"};
	struct peer p = {.domain = &domain};
	char *buf = malloc(len + 1), *data = NULL, type[128] = "";
	json_object *out = json_object_new_object();

	if (buf) {
		memcpy(buf, body, len);
		buf[len] = '\0';
		parse_events(&p, buf, len, type, sizeof(type), &data);
	}
	add_pids(out, p.networkmap, domain.name);
	add_entities(out, p.propmap, domain.name);
	json_object_put(out);
	json_object_put(p.networkmap);
	json_object_put(p.propmap);
	free(data);
	free(buf);
}
