/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SSH identity and client authentication: a host key generated on first
 * start; users authenticate with a key from their ~/.ssh/authorized_keys
 * or with their password through PAM (service "cfn-netconfd"). Only root
 * and members of the configured group (frrvty: those who may configure
 * FRR through vtysh) are let in.
 */
#ifndef CFN_NC_AUTH_H
#define CFN_NC_AUTH_H

#include <stdbool.h>
#include <stddef.h>

/* Creates the host key at path if it is missing. */
bool nc_auth_host_key(const char *path, char *err, size_t errlen);

/*
 * Installs the callbacks into libnetconf2; group may be NULL (root
 * only). keys_file: where a user's authorized keys are, "%h" standing
 * for the home directory and "%u" for the user name.
 */
void nc_auth_init(const char *host_key_path, const char *group,
		  const char *keys_file);

#endif
