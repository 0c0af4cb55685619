/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alto_config.h"
#include "cfn_client.h"

void alto_config_default(struct alto_config *config)
{
	*config = (struct alto_config){
		.port = 8181,
		.max_clients = 2048,
		.max_clients_per_ip = 1100,
		.max_streams = 1500,
		.max_body = 65536,
	};
	strcpy(config->listen, "127.0.0.1");
	strcpy(config->domain, "local");
	strcpy(config->api_socket, CFN_CLIENT_DEFAULT_SOCKET);
}

static bool set_string(char *dst, size_t len, const char *value)
{
	return (size_t)snprintf(dst, len, "%s", value) < len;
}

/* A file read at start: checked now, so that the error names its line. */
static bool set_file(char *dst, size_t size, const char *path, char *why,
		     size_t len)
{
	if (access(path, R_OK)) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		return false;
	}
	if (!set_string(dst, size, path)) {
		snprintf(why, len, "path longer than %zu: %s", size - 1, path);
		return false;
	}
	return true;
}

static bool set_u32(uint32_t *dst, const char *value, uint32_t min,
		    uint32_t max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno || *end || end == value || v < min || v > max)
		return false;
	*dst = (uint32_t)v;
	return true;
}

static bool set_bool(bool *dst, const char *value)
{
	if (!strcmp(value, "yes") || !strcmp(value, "no")) {
		*dst = !strcmp(value, "yes");
		return true;
	}
	return false;
}

static bool add_client_prefix(struct alto_config *c, const char *value,
			      char *why, size_t len)
{
	if (c->n_client_prefixes == ALTO_CLIENT_PREFIXES_MAX) {
		snprintf(why, len, "more than %d client prefixes",
			 ALTO_CLIENT_PREFIXES_MAX);
		return false;
	}
	return cfn_prefix_parse(
		value, &c->client_prefixes[c->n_client_prefixes++], why, len);
}

/* Domain names qualify PIDs ("NAME:PID"): 1-32 of [A-Za-z0-9_-]. */
static bool domain_name_valid(const char *name)
{
	size_t len = strlen(name);

	return len && len <= ALTO_DOMAIN_LEN &&
	       strspn(name,
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789_-") == len;
}

/* "NAME http://HOST:PORT" (plain HTTP: a trusted network's peers). */
static bool add_domain(struct alto_config *c, const char *name, const char *url,
		       char *why, size_t len)
{
	struct alto_domain *d = &c->domains[c->n_domains];
	const char *host = url + strlen("http://"), *colon;
	uint32_t port;

	if (c->n_domains == ALTO_DOMAINS_MAX)
		snprintf(why, len, "more than %d aggregated domains",
			 ALTO_DOMAINS_MAX);
	else if (!domain_name_valid(name))
		snprintf(why, len, "domain \"%s\": 1-32 of A-Z a-z 0-9 _ -",
			 name);
	else if (strncmp(url, "http://", 7) || !(colon = strrchr(host, ':')) ||
		 colon == host || (size_t)(colon - host) >= sizeof(d->host) ||
		 !set_u32(&port, colon + 1, 1, 65535))
		snprintf(why, len, "\"%s\": expected http://HOST:PORT", url);
	else {
		snprintf(d->name, sizeof(d->name), "%s", name);
		snprintf(d->host, sizeof(d->host), "%.*s", (int)(colon - host),
			 host);
		d->port = (uint16_t)port;
		c->n_domains++;
		return true;
	}
	return false;
}

/* One "key value" line; false with the reason in why. */
static bool apply(struct alto_config *c, const char *key, const char *value,
		  char *why, size_t len)
{
	uint32_t port;
	bool ok;

	if (!strcmp(key, "listen")) {
		unsigned char addr[16];

		ok = (inet_pton(AF_INET, value, addr) == 1 ||
		      inet_pton(AF_INET6, value, addr) == 1) &&
		     set_string(c->listen, sizeof(c->listen), value);
	} else if (!strcmp(key, "port")) {
		ok = set_u32(&port, value, 1, 65535);
		c->port = (uint16_t)port;
	} else if (!strcmp(key, "api-socket"))
		ok = set_string(c->api_socket, sizeof(c->api_socket), value);
	else if (!strcmp(key, "tls-cert"))
		return set_file(c->tls_cert, sizeof(c->tls_cert), value, why,
				len);
	else if (!strcmp(key, "tls-key"))
		return set_file(c->tls_key, sizeof(c->tls_key), value, why,
				len);
	else if (!strcmp(key, "tls-client-ca"))
		return set_file(c->tls_client_ca, sizeof(c->tls_client_ca),
				value, why, len);
	else if (!strcmp(key, "users"))
		return set_file(c->users, sizeof(c->users), value, why, len);
	else if (!strcmp(key, "allow-plain-http"))
		ok = set_bool(&c->allow_plain_http, value);
	else if (!strcmp(key, "max-clients"))
		ok = set_u32(&c->max_clients, value, 1, 65536);
	else if (!strcmp(key, "max-clients-per-ip"))
		ok = set_u32(&c->max_clients_per_ip, value, 1, 65536);
	else if (!strcmp(key, "max-streams"))
		ok = set_u32(&c->max_streams, value, 0, 65536);
	else if (!strcmp(key, "max-body"))
		ok = set_u32(&c->max_body, value, 256, 16 << 20);
	else if (!strcmp(key, "client-prefix"))
		return add_client_prefix(c, value, why, len);
	else if (!strcmp(key, "domain"))
		ok = domain_name_valid(value) &&
		     set_string(c->domain, sizeof(c->domain), value);
	else {
		snprintf(why, len, "unknown key \"%s\"", key);
		return false;
	}
	if (!ok)
		snprintf(why, len, "bad value \"%s\" for %s", value, key);
	return ok;
}

/* One line; false with the reason in why. */
static bool load_line(struct alto_config *config, char *line,
		      unsigned int lineno, char *why, size_t len)
{
	char *save = NULL, *key, *value, *url;

	line[strcspn(line, "#\r\n")] = '\0';
	key = strtok_r(line, " \t", &save);
	if (!key)
		return true;
	value = strtok_r(NULL, " \t", &save);
	url = value ? strtok_r(NULL, " \t", &save) : NULL;
	if (!strcmp(key, "aggregate")) {
		snprintf(why, len, "aggregate NAME http://HOST:PORT");
		return value && url && !strtok_r(NULL, " \t", &save) &&
		       add_domain(config, value, url, why, len);
	}
	if (!value || url) {
		snprintf(why, len, "\"%s\" needs one value", key);
		return false;
	}
	if (!strcmp(key, "listen"))
		config->listen_line = lineno;
	else if (!strncmp(key, "tls-", 4))
		config->tls_line = lineno;
	return apply(config, key, value, why, len);
}

bool alto_config_load(struct alto_config *config, const char *path, char *err,
		      size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[512], why[200];
	unsigned int lineno = 0;
	bool ok = true;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	while (ok && fgets(line, sizeof(line), f)) {
		lineno++;
		ok = load_line(config, line, lineno, why, sizeof(why));
	}
	if (!ok)
		snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
	fclose(f);
	return ok;
}

bool alto_config_loopback(const struct alto_config *config)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, config->listen, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, config->listen, &v6) == 1 &&
	       IN6_IS_ADDR_LOOPBACK(&v6);
}

const char *alto_config_refusal(const struct alto_config *config,
				unsigned int *line)
{
	bool tls = config->tls_cert[0] || config->tls_key[0];

	*line = config->tls_line;
	if (tls && !(config->tls_cert[0] && config->tls_key[0]))
		return "tls-cert and tls-key go together";
	if (config->tls_client_ca[0] && !tls)
		return "tls-client-ca needs tls-cert and tls-key";
	*line = config->listen_line;
	if (!tls && !alto_config_loopback(config) && !config->allow_plain_http)
		return "plain HTTP on a non-loopback address: configure "
		       "tls-cert and tls-key, or allow-plain-http yes";
	return NULL;
}
