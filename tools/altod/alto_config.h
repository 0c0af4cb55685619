/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfn-altod's configuration file: one "key value" per line, # comments.
 * Reference: doc/alto.md, "Configuration".
 */
#ifndef ALTO_CONFIG_H
#define ALTO_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfn_prefix.h"

#define ALTO_CONFIG_DEFAULT CFN_SYSCONFDIR "/frr/cfn-altod.conf"
#define ALTO_PATH_MAX 256
#define ALTO_CLIENT_PREFIXES_MAX 32
#define ALTO_DOMAINS_MAX 16
#define ALTO_DOMAIN_LEN 32

/* Another CFN node's cfn-altod whose maps this one aggregates. */
struct alto_domain {
	char name[ALTO_DOMAIN_LEN + 1];
	char host[64];
	uint16_t port;
};

struct alto_config {
	char listen[64]; /* an IPv4 or IPv6 address */
	uint16_t port;
	char api_socket[ALTO_PATH_MAX];
	char tls_cert[ALTO_PATH_MAX], tls_key[ALTO_PATH_MAX];
	char tls_client_ca[ALTO_PATH_MAX]; /* "": no client certificates */
	char users[ALTO_PATH_MAX];	   /* "": no HTTP authentication */
	bool allow_plain_http;		   /* on a non-loopback address */
	uint32_t max_clients, max_clients_per_ip, max_streams;
	uint32_t max_body; /* octets of a POST body */
	struct cfn_prefix client_prefixes[ALTO_CLIENT_PREFIXES_MAX];
	size_t n_client_prefixes;
	char domain[ALTO_DOMAIN_LEN + 1]; /* this node's, in aggregates */
	struct alto_domain domains[ALTO_DOMAINS_MAX];
	size_t n_domains;
	/* where listen and the last tls-* key were set (0: not in the
	 * file), for the lines of alto_config_refusal's reasons */
	unsigned int listen_line, tls_line;
};

void alto_config_default(struct alto_config *config);

/* Read path over the defaults; false with "FILE:LINE: why" in err. */
bool alto_config_load(struct alto_config *config, const char *path, char *err,
		      size_t errlen);

/* Is the listen address a loopback one (plain HTTP allowed there)? */
bool alto_config_loopback(const struct alto_config *config);

/*
 * Why the configuration cannot be served, or NULL when it can; *line is
 * the file's line the reason is about (0: a default).
 */
const char *alto_config_refusal(const struct alto_config *config,
				unsigned int *line);

#endif /* ALTO_CONFIG_H */
