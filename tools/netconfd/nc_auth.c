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

#include "nc_auth.h"

#define CFN_PAM_SERVICE "cfn-netconfd"

static char *allowed_group;

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

const struct passwd *nc_auth_user(const char *name)
{
	const struct passwd *pw = name ? getpwnam(name) : NULL;

	if (!pw || !user_allowed(pw)) {
		syslog(LOG_WARNING, "refused user %s: not root nor in group %s",
		       name ? name : "?", allowed_group ? allowed_group : "-");
		return NULL;
	}
	return pw;
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

bool nc_auth_password(const struct passwd *pw, const char *password)
{
	struct pam_conv conv = {pam_conversation, (void *)password};
	pam_handle_t *pamh = NULL;
	int rc;

	rc = pam_start(CFN_PAM_SERVICE, pw->pw_name, &conv, &pamh);
	if (rc == PAM_SUCCESS)
		rc = pam_authenticate(pamh, PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(pamh, 0);
	syslog(rc == PAM_SUCCESS ? LOG_INFO : LOG_WARNING, "password of %s: %s",
	       pw->pw_name, pam_strerror(pamh, rc));
	pam_end(pamh, rc);
	return rc == PAM_SUCCESS;
}

void nc_auth_init(const char *group)
{
	allowed_group = group ? strdup(group) : NULL;
}
