/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <crypt.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alto_auth.h"

#define USERS_MAX 256
#define PEM_MAX (1 << 20)

static struct {
	bool client_certs;
	size_t n_users;
	char *names[USERS_MAX], *hashes[USERS_MAX];
} auth;

char *alto_auth_read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = f ? malloc(PEM_MAX + 1) : NULL;
	size_t n = 0;

	if (text) {
		n = fread(text, 1, PEM_MAX, f);
		text[n] = '\0';
	}
	if (!f || !text || n == PEM_MAX || ferror(f)) {
		snprintf(err, errlen, "%s: %s", path,
			 !f ? strerror(errno) : "unreadable or too large");
		free(text);
		text = NULL;
	}
	if (f)
		fclose(f);
	return text;
}

static bool add_user(char *line, const char *path, unsigned int lineno,
		     char *err, size_t errlen)
{
	char *colon = strchr(line, ':');

	if (!colon || colon == line || !colon[1]) {
		snprintf(err, errlen, "%s:%u: expected NAME:HASH", path,
			 lineno);
		return false;
	}
	if (auth.n_users == USERS_MAX) {
		snprintf(err, errlen, "%s: more than %d users", path,
			 USERS_MAX);
		return false;
	}
	*colon = '\0';
	auth.names[auth.n_users] = strdup(line);
	auth.hashes[auth.n_users] = strdup(colon + 1);
	auth.n_users++;
	return true;
}

static bool load_users(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[512];
	unsigned int lineno = 0;
	bool ok = true;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	while (ok && fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] && line[0] != '#')
			ok = add_user(line, path, lineno, err, errlen);
	}
	fclose(f);
	if (ok && !auth.n_users) {
		snprintf(err, errlen, "%s: no users", path);
		ok = false;
	}
	return ok;
}

bool alto_auth_init(const struct alto_config *config, char *err, size_t errlen)
{
	auth.client_certs = config->tls_client_ca[0] != '\0';
	return !config->users[0] || load_users(config->users, err, errlen);
}

void alto_auth_fini(void)
{
	for (size_t i = 0; i < auth.n_users; i++) {
		free(auth.names[i]);
		free(auth.hashes[i]);
	}
	auth.n_users = 0;
}

static bool certificate_valid(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	unsigned int status = 1, n = 0;

	if (!info || !info->tls_session ||
	    !gnutls_certificate_get_peers(info->tls_session, &n) || !n)
		return false;
	return gnutls_certificate_verify_peers2(info->tls_session, &status) ==
		       0 &&
	       status == 0;
}

static bool password_valid(const char *user, const char *password)
{
	struct crypt_data data = {};

	for (size_t i = 0; i < auth.n_users; i++) {
		const char *hash;

		if (strcmp(auth.names[i], user))
			continue;
		hash = crypt_r(password, auth.hashes[i], &data);
		return hash && !strcmp(hash, auth.hashes[i]);
	}
	return false;
}

enum alto_auth_result alto_auth_check(struct MHD_Connection *conn)
{
	char *user, *password = NULL;
	bool ok;

	if (auth.client_certs && !certificate_valid(conn))
		return ALTO_AUTH_NO_CERTIFICATE;
	if (!auth.n_users)
		return ALTO_AUTH_OK;
	user = MHD_basic_auth_get_username_password(conn, &password);
	ok = user && password && password_valid(user, password);
	MHD_free(user);
	MHD_free(password);
	return ok ? ALTO_AUTH_OK : ALTO_AUTH_NO_PASSWORD;
}
