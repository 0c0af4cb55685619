/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SSH identity and client authentication: a host key generated on first
 * start; users authenticate with a key from their ~/.ssh/authorized_keys
 * or with their password through PAM (service "cfn-netconfd"). Only root
 * and members of the configured group (frrvty: those who may configure
 * FRR through vtysh) are let in. How these rules are handed to
 * libnetconf2 depends on its version: see nc_ssh.h.
 */
#ifndef CFN_NC_AUTH_H
#define CFN_NC_AUTH_H

#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>

/* Creates the host key at path if it is missing. */
bool nc_auth_host_key(const char *path, char *err, size_t errlen);

/* The group whose members may log in besides root; NULL: root only. */
void nc_auth_init(const char *group);

/* The user's passwd entry if they may log in, else NULL (logged). */
const struct passwd *nc_auth_user(const char *name);

/* Whether PAM accepts password for the user (logged either way). */
bool nc_auth_password(const struct passwd *pw, const char *password);

#endif
