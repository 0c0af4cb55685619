/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfn-agent: runs beside service instances, samples their load (CPU and
 * memory of the host or of a cgroup, GPU through nvidia-smi, and any
 * value a command prints) and reports it to the CFN node over its API at
 * a fixed interval, the instances of one service in one batch request.
 * Reconnects and registers everything again whenever the node restarts.
 * See doc/cfn-agent.md.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfn_api.h"
#include "cfn_client.h"
#include "cfn_getopt.h"
#include "cfn_metric.h"

#define MAX_INSTANCES 64
#define MAX_COMMANDS 8
#define LINE_MAX_LEN 1024

struct command_metric {
	char metric[32];
	char command[LINE_MAX_LEN];
	bool failing; /* logged once, until it works again */
};

struct instance {
	char service[64];
	char bid[48];
	uint32_t capacity;
	char cgroup[256];   /* "" for the whole host */
	bool commands_only; /* "sample commands": no CPU/memory/GPU */
	struct command_metric commands[MAX_COMMANDS];
	size_t n_commands;
	uint64_t cpu_busy, cpu_total; /* previous sample */
	bool registered;
};

static struct {
	char socket[256];
	unsigned int interval_s, hold_s;
	unsigned int drain_s; /* on SIGTERM: drain this long, then go */
	struct instance instances[MAX_INSTANCES];
	size_t n_instances;
	bool verbose, once;
} agent = {.socket = CFN_CLIENT_DEFAULT_SOCKET, .interval_s = 1, .hold_s = 5};

static volatile sig_atomic_t stopping, drain_requested;
static time_t drain_deadline; /* monotonic seconds; 0: not draining */

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("cfn-agent: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* -- configuration --------------------------------------------------- */

static bool config_line(char *line, int lineno)
{
	char *word[8] = {};
	int n = 0;
	char *rest = NULL, *save, *tok;

	for (tok = strtok_r(line, " \t\n", &save); tok && n < 8;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		word[n++] = tok;
		if (n == 4 && strcmp(word[0], "command") == 0) {
			rest = strtok_r(NULL, "\n", &save);
			break;
		}
	}
	if (n == 0 || word[0][0] == '#')
		return true;
	if (strcmp(word[0], "socket") == 0 && n == 2) {
		snprintf(agent.socket, sizeof(agent.socket), "%s", word[1]);
	} else if (strcmp(word[0], "interval") == 0 && n == 2) {
		agent.interval_s = (unsigned int)atoi(word[1]);
	} else if (strcmp(word[0], "hold-time") == 0 && n == 2) {
		agent.hold_s = (unsigned int)atoi(word[1]);
	} else if (strcmp(word[0], "drain-time") == 0 && n == 2) {
		agent.drain_s = (unsigned int)atoi(word[1]);
	} else if (strcmp(word[0], "instance") == 0 && n >= 3 &&
		   agent.n_instances < MAX_INSTANCES) {
		struct instance *in = &agent.instances[agent.n_instances++];

		snprintf(in->service, sizeof(in->service), "%s", word[1]);
		snprintf(in->bid, sizeof(in->bid), "%s", word[2]);
		for (int i = 3; i + 1 < n; i += 2) {
			if (strcmp(word[i], "capacity") == 0)
				in->capacity = (uint32_t)atoi(word[i + 1]);
			else if (strcmp(word[i], "cgroup") == 0)
				snprintf(in->cgroup, sizeof(in->cgroup), "%s",
					 word[i + 1]);
			else if (strcmp(word[i], "sample") == 0 &&
				 strcmp(word[i + 1], "commands") == 0)
				in->commands_only = true;
			else
				goto bad;
		}
	} else if (strcmp(word[0], "command") == 0 && n == 4) {
		/* command BID METRIC SHELL-COMMAND... */
		for (size_t i = 0; i < agent.n_instances; i++) {
			struct instance *in = &agent.instances[i];
			struct command_metric *c;

			if (strcmp(in->bid, word[1]) != 0 ||
			    in->n_commands == MAX_COMMANDS)
				continue;
			c = &in->commands[in->n_commands++];
			snprintf(c->metric, sizeof(c->metric), "%s", word[2]);
			snprintf(c->command, sizeof(c->command), "%s %s",
				 word[3], rest ? rest : "");
			return true;
		}
		say("line %d: no instance %s declared before", lineno, word[1]);
		return false;
	} else {
		goto bad;
	}
	if (agent.interval_s == 0 || agent.hold_s == 0) {
		say("line %d: interval and hold-time must be positive", lineno);
		return false;
	}
	return true;
bad:
	say("line %d: cannot understand '%s'", lineno, word[0]);
	return false;
}

static bool load_config(const char *path)
{
	char line[LINE_MAX_LEN];
	int lineno = 0;
	bool ok = true;
	FILE *f = fopen(path, "r");

	if (!f) {
		say("%s: %s", path, strerror(errno));
		return false;
	}
	while (fgets(line, sizeof(line), f))
		ok &= config_line(line, ++lineno);
	fclose(f);
	if (ok && !agent.n_instances)
		say("%s: no instance declared", path);
	return ok && agent.n_instances;
}

/* -- sampling -------------------------------------------------------- */

static bool read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n > 0;
}

/* CPU time used, and available, so far (microseconds). */
static bool cpu_counters(const struct instance *in, uint64_t *busy,
			 uint64_t *total)
{
	char buf[4096], path[300];
	struct timespec now;
	unsigned long long v[8] = {};

	if (in->cgroup[0]) {
		char *usage;

		snprintf(path, sizeof(path), "%s/cpu.stat", in->cgroup);
		if (!read_file(path, buf, sizeof(buf)) ||
		    !(usage = strstr(buf, "usage_usec ")))
			return false;
		clock_gettime(CLOCK_MONOTONIC, &now);
		*busy = strtoull(usage + 11, NULL, 10);
		*total = ((uint64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000) *
			 (uint64_t)sysconf(_SC_NPROCESSORS_ONLN);
		return true;
	}
	if (!read_file("/proc/stat", buf, sizeof(buf)) ||
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		return false;
	*total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	*busy = *total - v[3] - v[4]; /* minus idle and iowait */
	return true;
}

static bool sample_cpu(struct instance *in, double *percent)
{
	uint64_t busy, total;
	bool have_previous = in->cpu_total != 0;

	if (!cpu_counters(in, &busy, &total))
		return false;
	if (have_previous && total > in->cpu_total)
		*percent = 100.0 * (double)(busy - in->cpu_busy) /
			   (double)(total - in->cpu_total);
	in->cpu_busy = busy;
	in->cpu_total = total;
	if (*percent > 100)
		*percent = 100;
	return have_previous;
}

static bool sample_memory(const struct instance *in, double *percent)
{
	char buf[4096], path[300];
	unsigned long long total_kb = 0, avail_kb = 0, current, limit;
	char *p;

	if (!read_file("/proc/meminfo", buf, sizeof(buf)) ||
	    !(p = strstr(buf, "MemTotal:")) ||
	    sscanf(p, "MemTotal: %llu", &total_kb) != 1 ||
	    !(p = strstr(buf, "MemAvailable:")) ||
	    sscanf(p, "MemAvailable: %llu", &avail_kb) != 1 || !total_kb)
		return false;
	*percent = 100.0 * (double)(total_kb - avail_kb) / (double)total_kb;
	if (!in->cgroup[0])
		return true;
	snprintf(path, sizeof(path), "%s/memory.current", in->cgroup);
	if (!read_file(path, buf, sizeof(buf)))
		return false;
	current = strtoull(buf, NULL, 10);
	snprintf(path, sizeof(path), "%s/memory.max", in->cgroup);
	limit = read_file(path, buf, sizeof(buf)) &&
				isdigit((unsigned char)buf[0])
			? strtoull(buf, NULL, 10)
			: total_kb * 1024;
	*percent = limit ? 100.0 * (double)current / (double)limit : 0;
	return true;
}

/*
 * The number a command prints first on its first line, in decimal and in
 * the metric's range when the agent knows the metric: anything else would
 * have the node refuse the whole report. False with the reason in why.
 */
static bool run_command(const struct command_metric *c, double *value,
			char *why, size_t len)
{
	const struct cfn_metric_desc *desc = cfn_metric_desc_by_name(c->metric);
	struct cfn_metric_value wire;
	char line[128] = "";
	char *start, *end;
	FILE *p = popen(c->command, "r");

	snprintf(why, len, "its command failed");
	if (!p)
		return false;
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	if (pclose(p) != 0)
		return false;
	for (start = line; isspace((unsigned char)*start); start++)
		;
	strtod(start, &end);
	*end = '\0';
	snprintf(why, len, "its command printed no decimal number");
	if (end == start || !cfn_parse_decimal(start, value))
		return false;
	return !desc ||
	       cfn_metric_value_from_units(desc->type, CFN_STAT_CURRENT, *value,
					   &wire, why, len);
}

static bool sample_gpu(double *percent)
{
	static const struct command_metric nvidia_smi = {
		.metric = "gpu-utilization",
		.command =
			"/usr/bin/nvidia-smi --query-gpu=utilization.gpu "
			"--format=csv,noheader,nounits",
	};
	static int present = -1;
	char why[128];

	if (present < 0)
		present = access("/usr/bin/nvidia-smi", X_OK) == 0;
	return present && run_command(&nvidia_smi, percent, why, sizeof(why));
}

struct sample {
	Cfn__Metric metrics[4 + MAX_COMMANDS];
	Cfn__Metric *ptrs[4 + MAX_COMMANDS];
	size_t count;
};

static void add_metric(struct sample *s, const char *name, double value,
		       const char *statistic)
{
	Cfn__Metric *m = &s->metrics[s->count];

	cfn__metric__init(m);
	m->name = (char *)name;
	m->value = value;
	m->statistic = (char *)statistic;
	s->ptrs[s->count++] = m;
}

/* A failing command leaves its metric out; the others still go. */
static void sample_command(const struct instance *in, struct command_metric *c,
			   struct sample *s)
{
	char why[160];
	double value;
	bool ok = run_command(c, &value, why, sizeof(why));

	if (ok)
		add_metric(s, c->metric, value, "current");
	if (ok && c->failing)
		say("%s: %s reported again", in->bid, c->metric);
	else if (!ok && !c->failing)
		say("%s: %s left out of the reports: %s", in->bid, c->metric,
		    why);
	c->failing = !ok;
}

static void sample(struct instance *in, struct sample *s)
{
	double value = 0;

	s->count = 0;
	if (!in->commands_only && sample_cpu(in, &value))
		add_metric(s, "cpu-utilization", value, "mean");
	if (!in->commands_only && sample_memory(in, &value))
		add_metric(s, "memory-utilization", value, "current");
	if (!in->commands_only && sample_gpu(&value))
		add_metric(s, "gpu-utilization", value, "current");
	for (size_t i = 0; i < in->n_commands; i++)
		sample_command(in, &in->commands[i], s);
}

/* -- reporting ------------------------------------------------------- */

static uint32_t next_id;
static bool answered; /* a request got its reply on this connection */

/*
 * Send one request; false when the connection is unusable. A reply with
 * another id is the node refusing the connection (LIMIT, id 0).
 */
static bool call(int fd, Cfn__Request *req, Cfn__Status *status)
{
	char err[256];
	Cfn__Reply *reply;
	bool ours;

	req->id = ++next_id;
	reply = cfn_client_call(fd, req, 5000, err, sizeof(err));
	if (!reply) {
		say("%s", err);
		return false;
	}
	ours = reply->id == req->id;
	*status = reply->status;
	if (reply->status != CFN__STATUS__OK)
		say("%s%s: %s", ours ? "" : "connection refused: ",
		    cfn_client_status_name(reply->status),
		    reply->error ? reply->error : "refused");
	cfn_api_reply_free(reply);
	answered = answered || ours;
	return ours;
}

/* What the node's answer about an instance means for its registration. */
static void note_status(struct instance *in, Cfn__Status status)
{
	if (status == CFN__STATUS__OK && !in->registered) {
		in->registered = true;
		say("registered %s %s", in->service, in->bid);
	} else if (status == CFN__STATUS__NOT_FOUND) {
		in->registered = false; /* the node forgot it: register again */
	}
}

/* One instance in its own request: Register until registered, then Update. */
static bool report_one(int fd, struct instance *in, struct sample *s)
{
	Cfn__Request req = CFN__REQUEST__INIT;
	Cfn__Register reg = CFN__REGISTER__INIT;
	Cfn__Update upd = CFN__UPDATE__INIT;
	Cfn__Status status;

	if (!in->registered) {
		reg.service = in->service;
		reg.bid = in->bid;
		reg.has_capacity = true;
		reg.capacity = in->capacity;
		reg.has_hold_time = true;
		reg.hold_time = agent.hold_s;
		reg.n_metrics = s->count;
		reg.metrics = s->ptrs;
		req.body_case = CFN__REQUEST__BODY_REGISTER;
		req.register_ = &reg;
	} else {
		upd.service = in->service;
		upd.bid = in->bid;
		upd.n_metrics = s->count;
		upd.metrics = s->ptrs;
		req.body_case = CFN__REQUEST__BODY_UPDATE;
		req.update = &upd;
	}
	if (!call(fd, &req, &status))
		return false;
	note_status(in, status);
	if (agent.verbose)
		say("%s %s: %zu metrics reported", in->service, in->bid,
		    s->count);
	return true;
}

/* The instances of one service, reported together. */
struct group {
	struct instance *members[MAX_INSTANCES];
	struct sample samples[MAX_INSTANCES];
	size_t n;
};

/* Every instance of a service in one Batch: one advertisement for all. */
static bool report_batch(int fd, struct group *g, Cfn__Status *status)
{
	Cfn__Request req = CFN__REQUEST__INIT;
	Cfn__Batch batch = CFN__BATCH__INIT;
	Cfn__InstanceReport entries[MAX_INSTANCES];
	Cfn__InstanceReport *registers[MAX_INSTANCES], *updates[MAX_INSTANCES];

	for (size_t k = 0; k < g->n; k++) {
		const struct instance *in = g->members[k];
		Cfn__InstanceReport *e = &entries[k];

		cfn__instance_report__init(e);
		e->bid = (char *)in->bid;
		e->n_metrics = g->samples[k].count;
		e->metrics = g->samples[k].ptrs;
		if (in->registered) {
			updates[batch.n_update++] = e;
			continue;
		}
		e->has_capacity = e->has_hold_time = true;
		e->capacity = in->capacity;
		e->hold_time = agent.hold_s;
		registers[batch.n_register_++] = e;
	}
	batch.service = g->members[0]->service;
	batch.register_ = registers;
	batch.update = updates;
	req.body_case = CFN__REQUEST__BODY_BATCH;
	req.batch = &batch;
	return call(fd, &req, status);
}

/* The instances of the service of instance `first` (its first), sampled. */
static void collect(size_t first, struct group *g)
{
	const char *service = agent.instances[first].service;

	g->n = 0;
	for (size_t i = first; i < agent.n_instances; i++) {
		struct instance *in = &agent.instances[i];

		if (strcmp(in->service, service) != 0)
			continue;
		sample(in, &g->samples[g->n]);
		g->members[g->n++] = in;
	}
}

/*
 * Report a service's instances: several in one batch. A batch refused
 * whole (one instance the node forgot or refuses, or a node without
 * batches) is sent again instance by instance, so that the others still
 * get through and each learns its own status.
 */
static bool report_service(int fd, size_t first)
{
	static struct group g;
	Cfn__Status status;

	collect(first, &g);
	if (g.n > 1) {
		if (!report_batch(fd, &g, &status))
			return false;
		if (status == CFN__STATUS__OK) {
			for (size_t k = 0; k < g.n; k++)
				note_status(g.members[k], status);
			if (agent.verbose)
				say("%s: %zu instances reported in one request",
				    g.members[0]->service, g.n);
			return true;
		}
	}
	for (size_t k = 0; k < g.n; k++)
		if (!report_one(fd, g.members[k], &g.samples[k]))
			return false;
	return true;
}

/* Whether instance i is the first of its service (it leads its group). */
static bool first_of_service(size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(agent.instances[j].service,
			   agent.instances[i].service) == 0)
			return false;
	return true;
}

/* A Deregister or a Drain for each registered instance; false when the
 * connection broke. */
static bool tell_each(int fd, Cfn__Request__BodyCase kind)
{
	Cfn__Request req = CFN__REQUEST__INIT;
	Cfn__Deregister dereg = CFN__DEREGISTER__INIT;
	Cfn__Drain drain = CFN__DRAIN__INIT;
	Cfn__Status status;

	req.body_case = kind;
	if (kind == CFN__REQUEST__BODY_DRAIN)
		req.drain = &drain;
	else
		req.deregister = &dereg;
	for (size_t i = 0; i < agent.n_instances; i++) {
		if (!agent.instances[i].registered)
			continue;
		dereg.service = drain.service = agent.instances[i].service;
		dereg.bid = drain.bid = agent.instances[i].bid;
		if (!call(fd, &req, &status))
			return false;
	}
	return true;
}

static time_t monotonic_s(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec;
}

/*
 * After SIGTERM with a drain time: drained on this connection (again
 * after a reconnection); true while the drain time runs.
 */
static bool keep_draining(int fd, bool *drained)
{
	if (!drain_requested)
		return true;
	if (!drain_deadline) {
		drain_deadline = monotonic_s() + agent.drain_s;
		say("draining for %us before leaving", agent.drain_s);
	}
	if (!*drained)
		*drained = tell_each(fd, CFN__REQUEST__BODY_DRAIN);
	return monotonic_s() < drain_deadline;
}

/*
 * One connection: report every interval until it breaks or we stop.
 * True when the node answered on it (a connection closed later, e.g. by
 * the node's idle timeout, is opened again at once).
 */
static bool serve(int fd)
{
	bool drained = false;

	answered = false;
	while (!stopping) {
		for (size_t i = 0; i < agent.n_instances; i++)
			if (first_of_service(i) && !report_service(fd, i))
				return answered;
		if (agent.once)
			break;
		if (!keep_draining(fd, &drained)) {
			stopping = 1;
			break;
		}
		sleep(agent.interval_s);
	}
	tell_each(fd, CFN__REQUEST__BODY_DEREGISTER);
	return answered;
}

/*
 * SIGTERM with a drain time drains first (a second one, or SIGINT, stops
 * at once): the service manager's stop lets established flows finish.
 */
static void on_signal(int sig)
{
	if (sig == SIGTERM && agent.drain_s && !drain_requested)
		drain_requested = 1;
	else
		stopping = 1;
}

int main(int argc, char **argv)
{
	const char *config = "/etc/frr/cfn-agent.conf", *socket_arg = NULL;
	unsigned int backoff = 1;
	char err[256];
	bool served;
	int opt, fd;

	while ((opt = getopt_long(argc, argv, "c:s:v1h", cfn_help_option,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 's':
			socket_arg = optarg;
			break;
		case 'v':
			agent.verbose = true;
			break;
		case '1':
			agent.once = true;
			break;
		default:
			fputs("usage: cfn-agent [-c CONFIG] [-s SOCKET] [-v] [-1]\n",
			      stderr);
			return 2;
		}
	}
	if (!load_config(config))
		return 2;
	if (socket_arg) /* the command line wins over the file */
		snprintf(agent.socket, sizeof(agent.socket), "%s", socket_arg);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);

	while (!stopping) {
		fd = cfn_client_connect(agent.socket, err, sizeof(err));
		if (fd >= 0) {
			say("connected to %s", agent.socket);
			for (size_t i = 0; i < agent.n_instances; i++)
				agent.instances[i].registered = false;
			served = serve(fd);
			close(fd);
			if (served) {
				backoff = 1;
				if (agent.once)
					break;
				continue;
			}
			snprintf(err, sizeof(err), "no request answered");
		}
		if (stopping)
			break;
		say("cannot reach the CFN node: %s (retry in %us)", err,
		    backoff);
		sleep(backoff);
		backoff = backoff < 8 ? backoff * 2 : 10;
	}
	return 0;
}
