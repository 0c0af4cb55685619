/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The HTTP side of cfn-altod (libmicrohttpd): TLS, authentication,
 * request bodies and their limits, resource dispatch, freshness headers
 * (ETag, Last-Modified, conditional GET) and ALTO error responses.
 */
#ifndef ALTO_HTTP_H
#define ALTO_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "alto_config.h"

/* Start serving; false with the reason in err. */
bool alto_http_start(const struct alto_config *config, char *err,
		     size_t errlen);
void alto_http_stop(void);

#endif /* ALTO_HTTP_H */
