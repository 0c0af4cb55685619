/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may use cfn-altod (RFC 7285 section 15): HTTP Basic authentication
 * against a users file of "name:crypt(3) hash" lines, and TLS client
 * certificates verified against a CA. Either, both, or neither (then
 * only loopback, or an operator's explicit allow-plain-http).
 */
#ifndef ALTO_AUTH_H
#define ALTO_AUTH_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "alto_config.h"

/* Read the users file, if configured; false with the reason in err. */
bool alto_auth_init(const struct alto_config *config, char *err, size_t errlen);
void alto_auth_fini(void);

enum alto_auth_result {
	ALTO_AUTH_OK,
	ALTO_AUTH_NO_CERTIFICATE, /* 403: no valid client certificate */
	ALTO_AUTH_NO_PASSWORD,	  /* 401: no or wrong credentials */
};

enum alto_auth_result alto_auth_check(struct MHD_Connection *conn);

/* A whole file into a string (free it), for PEM; NULL with err. */
char *alto_auth_read_file(const char *path, char *err, size_t errlen);

#endif /* ALTO_AUTH_H */
