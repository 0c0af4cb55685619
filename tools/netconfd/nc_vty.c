/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "nc_vty.h"

#define VTY_TRAILER 4 /* three NUL bytes and the status */

struct nc_vty {
	int fd;
};

struct nc_vty *nc_vty_open(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct nc_vty *vty;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "vty socket path too long: %s", path);
		return NULL;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		snprintf(err, errlen, "cannot reach bgpd at %s: %s", path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	vty = calloc(1, sizeof(*vty));
	if (!vty) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vty->fd = fd;
	/* connections start in view mode, as vtysh's do */
	if (nc_vty_exec(vty, "enable", NULL) != 0) {
		snprintf(err, errlen, "bgpd at %s refused 'enable'", path);
		nc_vty_close(vty);
		return NULL;
	}
	return vty;
}

void nc_vty_close(struct nc_vty *vty)
{
	if (!vty)
		return;
	close(vty->fd);
	free(vty);
}

static bool send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static bool has_trailer(const char *buf, size_t len)
{
	return len >= VTY_TRAILER && !buf[len - 4] && !buf[len - 3] &&
	       !buf[len - 2];
}

/* Reads up to and including the trailer; returns the status or -1. */
static int read_reply(int fd, char **output)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	int status;

	while (buf && !has_trailer(buf, len)) {
		ssize_t n;

		if (len == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (!buf || !has_trailer(buf, len)) {
		free(buf);
		return -1;
	}
	status = (unsigned char)buf[len - 1];
	buf[len - VTY_TRAILER] = '\0';
	if (output)
		*output = buf;
	else
		free(buf);
	return status;
}

int nc_vty_exec(struct nc_vty *vty, const char *command, char **output)
{
	if (output)
		*output = NULL;
	if (!send_all(vty->fd, command, strlen(command) + 1))
		return -1;
	return read_reply(vty->fd, output);
}

int nc_vty_query(const char *path, const char *command, char **output)
{
	char err[256];
	struct nc_vty *vty = nc_vty_open(path, err, sizeof(err));
	int status;

	/* what a request costs: in the debug log (-d) */
	syslog(LOG_DEBUG, "bgpd query: %s", command);

	if (!vty) {
		if (output)
			*output = strdup(err);
		return -1;
	}
	status = nc_vty_exec(vty, command, output);
	nc_vty_close(vty);
	return status;
}
