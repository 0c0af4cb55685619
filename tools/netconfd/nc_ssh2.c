/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SSH for libnetconf2 2.x: an endpoint set up by calls, authentication
 * by callbacks which apply nc_auth.h's rules before a user gets in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <libssh/libssh.h>

#include "nc_auth.h"
#include "nc_ssh.h"

#define ENDPOINT "ssh"

static char *host_key_path;
static char *keys_file_pattern;

static int host_key_clb(const char *name, void *user_data, char **privkey_path,
			char **privkey_data, NC_SSH_KEY_TYPE *privkey_type)
{
	(void)name, (void)user_data, (void)privkey_data, (void)privkey_type;
	*privkey_path = strdup(host_key_path);
	return *privkey_path ? 0 : -1;
}

/* One "type base64 [comment]" line of authorized_keys against key. */
static bool key_line_matches(char *line, ssh_key key)
{
	char *save = NULL;
	char *type = strtok_r(line, " \t\n", &save);
	char *b64 = strtok_r(NULL, " \t\n", &save);
	ssh_key known = NULL;
	bool same;

	if (!type || !b64 || type[0] == '#' ||
	    ssh_pki_import_pubkey_base64(b64, ssh_key_type_from_name(type),
					 &known) != SSH_OK)
		return false;
	same = !ssh_key_cmp(known, key, SSH_KEY_CMP_PUBLIC);
	ssh_key_free(known);
	return same;
}

/* The pattern with %h and %u of the user expanded. */
static void keys_file(const struct passwd *pw, char *path, size_t len)
{
	size_t n = 0;

	for (const char *p = keys_file_pattern; *p && n + 1 < len; p++) {
		const char *sub = NULL;

		if (p[0] == '%' && (p[1] == 'h' || p[1] == 'u'))
			sub = *++p == 'h' ? pw->pw_dir : pw->pw_name;
		if (sub)
			n += (size_t)snprintf(path + n, len - n, "%s", sub);
		else
			path[n++] = *p;
		n = n < len ? n : len - 1;
	}
	path[n] = '\0';
}

static int pubkey_clb(const struct nc_session *session, ssh_key key,
		      void *user_data)
{
	const struct passwd *pw =
		nc_auth_user(nc_session_get_username(session));
	char path[512], line[8192];
	bool found = false;
	FILE *f;

	(void)user_data;
	if (!pw)
		return 1;
	keys_file(pw, path, sizeof(path));
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f))
		found = key_line_matches(line, key);
	if (f)
		fclose(f);
	syslog(found ? LOG_INFO : LOG_WARNING, "public key of %s %s",
	       pw->pw_name, found ? "accepted" : "refused");
	return found ? 0 : 1;
}

static int password_clb(const struct nc_session *session, const char *password,
			void *user_data)
{
	const struct passwd *pw =
		nc_auth_user(nc_session_get_username(session));

	(void)user_data;
	return pw && nc_auth_password(pw, password) ? 0 : 1;
}

/*
 * libnetconf2 2.0 answers keyboard-interactive requests although the
 * endpoint does not offer the method, checking the system's passwords
 * itself, past the group rule and PAM: refused.
 */
static int interactive_clb(const struct nc_session *session,
			   const ssh_message msg, void *user_data)
{
	(void)session, (void)msg, (void)user_data;
	return 1;
}

bool nc_ssh_load_modules(struct ly_ctx *ctx)
{
	(void)ctx; /* libnetconf2 2.x is configured by calls, not data */
	return true;
}

bool nc_ssh_server_init(struct ly_ctx *ctx)
{
	return !nc_server_init(ctx);
}

bool nc_ssh_listen(struct ly_ctx *ctx, const struct nc_ssh_options *o)
{
	(void)ctx;
	host_key_path = strdup(o->host_key);
	keys_file_pattern = strdup(o->keys_file);
	nc_server_ssh_set_hostkey_clb(host_key_clb, NULL, NULL);
	nc_server_ssh_set_pubkey_auth_clb(pubkey_clb, NULL, NULL);
	nc_server_ssh_set_passwd_auth_clb(password_clb, NULL, NULL);
	nc_server_ssh_set_interactive_auth_clb(interactive_clb, NULL, NULL);
	return !nc_server_add_endpt(ENDPOINT, NC_TI_LIBSSH) &&
	       !nc_server_endpt_set_address(ENDPOINT, o->address) &&
	       !nc_server_endpt_set_port(ENDPOINT, o->port) &&
	       !nc_server_ssh_endpt_add_hostkey(ENDPOINT, "host-key", -1) &&
	       !nc_server_ssh_endpt_set_auth_methods(
		       ENDPOINT, NC_SSH_AUTH_PUBLICKEY | NC_SSH_AUTH_PASSWORD);
}

NC_MSG_TYPE nc_ssh_accept(struct ly_ctx *ctx, int timeout_ms,
			  struct nc_session **session)
{
	(void)ctx; /* the callbacks have let only allowed users in */
	return nc_accept(timeout_ms, session);
}
