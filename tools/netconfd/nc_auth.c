/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <libssh/libssh.h>
#include <nc_server.h>

#include "nc_auth.h"

#define CFN_PAM_SERVICE "cfn-netconfd"

static char *host_key_path;
static char *allowed_group;
static char *keys_file_pattern;

bool nc_auth_host_key(const char *path, char *err, size_t errlen)
{
	ssh_key key = NULL;
	mode_t old_mask;
	int rc;

	if (access(path, R_OK) == 0)
		return true;
	if (errno != ENOENT) {
		snprintf(err, errlen, "host key %s: %s", path, strerror(errno));
		return false;
	}
	if (ssh_pki_generate(SSH_KEYTYPE_ECDSA_P256, 256, &key) != SSH_OK) {
		snprintf(err, errlen, "cannot generate a host key");
		return false;
	}
	old_mask = umask(077);
	rc = ssh_pki_export_privkey_file(key, NULL, NULL, NULL, path);
	umask(old_mask);
	ssh_key_free(key);
	if (rc != SSH_OK) {
		snprintf(err, errlen, "cannot write host key %s", path);
		return false;
	}
	syslog(LOG_NOTICE, "generated SSH host key %s", path);
	return true;
}

static int host_key_clb(const char *name, void *user_data, char **privkey_path,
			char **privkey_data, NC_SSH_KEY_TYPE *privkey_type)
{
	(void)name, (void)user_data, (void)privkey_data, (void)privkey_type;
	*privkey_path = strdup(host_key_path);
	return *privkey_path ? 0 : -1;
}

/* root, or a member of the allowed group */
static bool user_allowed(const struct passwd *pw)
{
	const struct group *gr;

	if (pw->pw_uid == 0)
		return true;
	gr = allowed_group ? getgrnam(allowed_group) : NULL;
	if (!gr)
		return false;
	if (pw->pw_gid == gr->gr_gid)
		return true;
	for (char **member = gr->gr_mem; *member; member++)
		if (!strcmp(*member, pw->pw_name))
			return true;
	return false;
}

static const struct passwd *session_user(const struct nc_session *session)
{
	const char *name = nc_session_get_username(session);
	const struct passwd *pw = name ? getpwnam(name) : NULL;

	if (!pw || !user_allowed(pw)) {
		syslog(LOG_WARNING, "refused user %s: not root nor in group %s",
		       name ? name : "?", allowed_group ? allowed_group : "-");
		return NULL;
	}
	return pw;
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
	const struct passwd *pw = session_user(session);
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

/* PAM asks; we answer every hidden prompt with the password given. */
static int pam_conversation(int n, const struct pam_message **msg,
			    struct pam_response **resp, void *password)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			r[i].resp = strdup(password);
	*resp = r;
	return PAM_SUCCESS;
}

static int password_clb(const struct nc_session *session, const char *password,
			void *user_data)
{
	const struct passwd *pw = session_user(session);
	struct pam_conv conv = {pam_conversation, (void *)password};
	pam_handle_t *pamh = NULL;
	int rc;

	(void)user_data;
	if (!pw)
		return 1;
	rc = pam_start(CFN_PAM_SERVICE, pw->pw_name, &conv, &pamh);
	if (rc == PAM_SUCCESS)
		rc = pam_authenticate(pamh, PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(pamh, 0);
	syslog(rc == PAM_SUCCESS ? LOG_INFO : LOG_WARNING, "password of %s: %s",
	       pw->pw_name, pam_strerror(pamh, rc));
	pam_end(pamh, rc);
	return rc == PAM_SUCCESS ? 0 : 1;
}

void nc_auth_init(const char *host_key, const char *group,
		  const char *keys_file)
{
	host_key_path = strdup(host_key);
	allowed_group = group ? strdup(group) : NULL;
	keys_file_pattern = strdup(keys_file);
	nc_server_ssh_set_hostkey_clb(host_key_clb, NULL, NULL);
	nc_server_ssh_set_pubkey_auth_clb(pubkey_clb, NULL, NULL);
	nc_server_ssh_set_passwd_auth_clb(password_clb, NULL, NULL);
}
