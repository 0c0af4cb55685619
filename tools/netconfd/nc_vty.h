/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A client of bgpd's vty socket (the protocol vtysh speaks): each command
 * is sent NUL-terminated; bgpd answers with the output, three NUL bytes
 * and the command's status.
 */
#ifndef CFN_NC_VTY_H
#define CFN_NC_VTY_H

#include <stdbool.h>

struct nc_vty;

/* path: the daemon's vty socket, e.g. /var/run/frr/bgpd.vty */
struct nc_vty *nc_vty_open(const char *path, char *err, size_t errlen);
void nc_vty_close(struct nc_vty *vty);

/*
 * Runs one command. Returns its status (0 is success, -1 if the socket
 * failed); *output (if given) receives the text, to be freed by the
 * caller.
 */
int nc_vty_exec(struct nc_vty *vty, const char *command, char **output);

/* Runs one command on a new connection: for one-off "show" commands. */
int nc_vty_query(const char *path, const char *command, char **output);

#endif
