/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "nc_cli.h"
#include "nc_running.h"
#include "nc_vty.h"

static void unknown_line(const char *line)
{
	syslog(LOG_WARNING, "running-config line not in the model: %s", line);
}

static LY_ERR read_config(const struct ly_ctx *ctx, const char *vty_path,
			  struct lyd_node **config, unsigned long *asn,
			  char *err, size_t errlen)
{
	char *running = NULL;
	LY_ERR ret;

	*config = NULL;
	if (nc_vty_query(vty_path, "show running-config", &running) != 0) {
		snprintf(err, errlen, "cannot read bgpd's configuration: %s",
			 running ? running : "");
		free(running);
		return LY_EOTHER;
	}
	ret = nc_cli_parse(ctx, running, config, asn, unknown_line);
	free(running);
	if (!ret)
		ret = lyd_validate_all(config, ctx,
				       LYD_VALIDATE_NO_STATE | LYD_VALIDATE_PRESENT,
				       NULL);
	if (ret)
		snprintf(err, errlen, "bgpd's configuration does not fit the "
				      "model: %s",
			 ly_errmsg(ctx));
	return ret;
}

LY_ERR nc_running_read(const struct ly_ctx *ctx, const char *vty_path,
		       struct lyd_node **config, char *err, size_t errlen)
{
	unsigned long asn;

	return read_config(ctx, vty_path, config, &asn, err, errlen);
}

/* Runs the commands in "router bgp ASN"; index of the failed one or -1. */
static long run_commands(const char *vty_path, unsigned long asn,
			 const struct nc_cli_lines *commands, char *err,
			 size_t errlen)
{
	struct nc_vty *vty = nc_vty_open(vty_path, err, errlen);
	char context[64], *output = NULL, *save = NULL;
	long failed = -1;

	if (!vty)
		return 0;
	snprintf(context, sizeof(context), "router bgp %lu", asn);
	if (nc_vty_exec(vty, "configure terminal", NULL) != 0 ||
	    nc_vty_exec(vty, context, NULL) != 0) {
		snprintf(err, errlen, "bgpd refused '%s'", context);
		failed = 0;
	}
	for (size_t i = 0; failed < 0 && i < commands->count; i++) {
		syslog(LOG_INFO, "bgpd: %s", commands->v[i].text);
		if (nc_vty_exec(vty, commands->v[i].text, &output) != 0) {
			snprintf(err, errlen, "bgpd refused '%s': %s",
				 commands->v[i].text,
				 output ? strtok_r(output, "\n", &save)
					: "no reply");
			failed = (long)i;
		}
		free(output);
		output = NULL;
	}
	nc_vty_exec(vty, "end", NULL);
	nc_vty_close(vty);
	return failed;
}

/* The commands that take bgpd from the lines it has to target. */
static LY_ERR apply_plan(const char *vty_path, unsigned long asn,
			 const struct nc_cli_lines *now,
			 const struct nc_cli_lines *target, char *err,
			 size_t errlen)
{
	struct nc_cli_lines plan = {};
	LY_ERR ret = nc_cli_plan(now, target, &plan);

	if (!ret && plan.count && !asn) {
		snprintf(err, errlen, "bgpd has no 'router bgp' (default "
				      "instance): configure BGP first");
		ret = LY_EDENIED;
	}
	if (!ret && plan.count &&
	    run_commands(vty_path, asn, &plan, err, errlen) >= 0)
		ret = LY_EDENIED;
	nc_cli_lines_free(&plan);
	return ret;
}

/* What bgpd has, read and rendered as lines; *asn of "router bgp". */
static LY_ERR read_lines(const struct ly_ctx *ctx, const char *vty_path,
			 struct nc_cli_lines *lines, unsigned long *asn,
			 char *err, size_t errlen)
{
	struct lyd_node *current;
	LY_ERR ret = read_config(ctx, vty_path, &current, asn, err, errlen);

	*lines = (struct nc_cli_lines){};
	if (!ret)
		ret = nc_cli_render(current, lines);
	lyd_free_all(current);
	return ret;
}

LY_ERR nc_running_commit(const struct ly_ctx *ctx, const char *vty_path,
			 const struct lyd_node *desired, char *err,
			 size_t errlen)
{
	struct nc_cli_lines before = {}, after = {}, partial = {};
	char undo_err[256];
	unsigned long asn;
	LY_ERR ret;

	ret = read_lines(ctx, vty_path, &before, &asn, err, errlen);
	if (!ret)
		ret = nc_cli_render(desired, &after);
	if (!ret)
		ret = apply_plan(vty_path, asn, &before, &after, err, errlen);
	/* bgpd refused a command: back from what it took to before */
	if (ret == LY_EDENIED &&
	    (read_lines(ctx, vty_path, &partial, &asn, undo_err,
			sizeof(undo_err)) ||
	     apply_plan(vty_path, asn, &partial, &before, undo_err,
			sizeof(undo_err))))
		syslog(LOG_ERR, "could not undo a refused edit: %s",
		       undo_err);
	nc_cli_lines_free(&partial);
	nc_cli_lines_free(&before);
	nc_cli_lines_free(&after);
	return ret;
}
