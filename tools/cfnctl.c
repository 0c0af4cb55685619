/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cfnctl: register, update, deregister and list service instances on a
 * CFN node over its API, one at a time or several of a service in a
 * batch. Exit status: 0 done, 1 refused by the node (the
 * reason is printed), 2 usage error, 3 cannot reach the node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfn_api.h"
#include "cfn_client.h"
#include "cfn_getopt.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3
#define MAX_METRICS 16
#define MAX_BATCH 64 /* a service's instances on one node, at most */

static const char usage_text[] =
	"usage: cfnctl [-s SOCKET | -N PATHSPACE] [-j] COMMAND ...\n"
	"  register SERVICE BID [capacity N] [hold SECONDS] [NAME=VALUE[:STAT]]...\n"
	"  update SERVICE BID [capacity N] [NAME=VALUE[:STAT]]...\n"
	"  deregister SERVICE BID\n"
	"  heartbeat SERVICE BID\n"
	"  batch SERVICE ENTRY...   (one request, one advertisement)\n"
	"    ENTRY: register BID [capacity N] [hold SECONDS] [NAME=VALUE[:STAT]]...\n"
	"         | update BID [capacity N] [NAME=VALUE[:STAT]]...\n"
	"  drain SERVICE [BID]      (no new flows to BID, or to the whole node)\n"
	"  undrain SERVICE [BID]\n"
	"  list [SERVICE]\n"
	"SERVICE is a service name or its SID; BID an instance's address.\n"
	"SOCKET: a Unix socket path (default " CFN_CLIENT_DEFAULT_SOCKET
	") or tcp:HOST:PORT.\n"
	"-N uses FRR's pathspace: /var/run/frr/PATHSPACE/cfn-api.sock.\n"
	"-j prints the list as JSON.\n";

static int usage(void)
{
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static bool parse_uint(const char *str, uint32_t *out)
{
	char *end;
	unsigned long value = strtoul(str, &end, 10);

	if (*str < '0' || *str > '9' || *end || value > UINT32_MAX)
		return false;
	*out = (uint32_t)value;
	return true;
}

struct options {
	Cfn__Metric metrics[MAX_METRICS];
	Cfn__Metric *ptrs[MAX_METRICS];
	size_t n_metrics;
	bool has_capacity, has_hold;
	uint32_t capacity, hold;
};

/* The optional words after SERVICE BID. */
static bool parse_options(int argc, char **argv, bool hold_allowed,
			  struct options *o)
{
	char err[160];

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "capacity") == 0 && i + 1 < argc) {
			o->has_capacity = parse_uint(argv[++i], &o->capacity);
			if (!o->has_capacity)
				return false;
		} else if (hold_allowed && strcmp(argv[i], "hold") == 0 &&
			   i + 1 < argc) {
			o->has_hold = parse_uint(argv[++i], &o->hold);
			if (!o->has_hold)
				return false;
		} else if (o->n_metrics < MAX_METRICS &&
			   cfn_client_parse_metric(argv[i],
						   &o->metrics[o->n_metrics],
						   err, sizeof(err))) {
			o->ptrs[o->n_metrics] = &o->metrics[o->n_metrics];
			o->n_metrics++;
		} else {
			fprintf(stderr, "cfnctl: %s\n", err);
			return false;
		}
	}
	return true;
}

static void print_json_instance(const Cfn__InstanceInfo *in)
{
	printf("{\"service\":\"%s\",\"sid\":\"%s\",\"bid\":\"%s\",\"capacity\":%u,\"holdTime\":%u,\"ageMs\":%llu,\"client\":\"%s\",\"draining\":%s,\"metrics\":[",
	       in->service, in->sid, in->bid, in->capacity, in->hold_time,
	       (unsigned long long)in->age_ms, in->client,
	       in->draining ? "true" : "false");
	for (size_t m = 0; m < in->n_metrics; m++)
		printf("%s{\"name\":\"%s\",\"statistic\":\"%s\",\"value\":%g}",
		       m ? "," : "", in->metrics[m]->name,
		       in->metrics[m]->statistic, in->metrics[m]->value);
	printf("]}");
}

static void print_text_instance(const Cfn__InstanceInfo *in)
{
	printf("%s %s %s capacity %u hold %us age %.1fs client %s%s",
	       in->service, in->sid, in->bid, in->capacity, in->hold_time,
	       in->age_ms / 1000.0, in->client,
	       in->draining ? " DRAINING" : "");
	for (size_t m = 0; m < in->n_metrics; m++)
		printf(" %s=%g:%s", in->metrics[m]->name, in->metrics[m]->value,
		       in->metrics[m]->statistic);
	printf("\n");
}

static void print_list(const Cfn__Reply *reply, bool json)
{
	if (json)
		printf("[");
	for (size_t i = 0; i < reply->n_instances; i++) {
		if (json) {
			printf(i ? "," : "");
			print_json_instance(reply->instances[i]);
		} else {
			print_text_instance(reply->instances[i]);
		}
	}
	if (json)
		printf("]\n");
}

/* A batch request: registrations and updates of one service's instances. */
struct batch {
	Cfn__Batch body;
	Cfn__InstanceReport entries[MAX_BATCH];
	Cfn__InstanceReport *registers[MAX_BATCH], *updates[MAX_BATCH];
	struct options options[MAX_BATCH];
	size_t n;
};

static bool starts_entry(const char *word)
{
	return strcmp(word, "register") == 0 || strcmp(word, "update") == 0;
}

/* One ENTRY at argv[0] ("register"/"update" BID words...): words used. */
static int parse_entry(int argc, char **argv, struct batch *b)
{
	bool registering = strcmp(argv[0], "register") == 0;
	struct options *o = &b->options[b->n];
	Cfn__InstanceReport *e = &b->entries[b->n];
	int words = 2;

	if (argc < 2 || b->n == MAX_BATCH)
		return 0;
	while (words < argc && !starts_entry(argv[words]))
		words++;
	if (!parse_options(words - 2, argv + 2, registering, o))
		return 0;
	cfn__instance_report__init(e);
	e->bid = argv[1];
	e->has_capacity = o->has_capacity;
	e->capacity = o->capacity;
	e->has_hold_time = o->has_hold;
	e->hold_time = o->hold;
	e->n_metrics = o->n_metrics;
	e->metrics = o->ptrs;
	if (registering)
		b->registers[b->body.n_register_++] = e;
	else
		b->updates[b->body.n_update++] = e;
	b->n++;
	return words;
}

/* "batch SERVICE ENTRY...": argv starts at SERVICE. */
static bool parse_batch(int argc, char **argv, struct batch *b)
{
	cfn__batch__init(&b->body);
	b->body.service = argv[0];
	b->body.register_ = b->registers;
	b->body.update = b->updates;
	for (int i = 1; i < argc;) {
		int words = starts_entry(argv[i])
				    ? parse_entry(argc - i, argv + i, b)
				    : 0;

		if (!words)
			return false;
		i += words;
	}
	return b->n > 0;
}

/* drain/undrain SERVICE [BID] */
static bool build_drain(int argc, char **argv, Cfn__Request *req)
{
	static Cfn__Drain drain = CFN__DRAIN__INIT;

	if (argc < 2 || argc > 3)
		return false;
	drain.service = argv[1];
	drain.bid = argc == 3 ? argv[2] : NULL;
	drain.has_draining = true;
	drain.draining = strcmp(argv[0], "drain") == 0;
	req->body_case = CFN__REQUEST__BODY_DRAIN;
	req->drain = &drain;
	return true;
}

/* Build the request for argv (COMMAND and its words). */
static bool build(int argc, char **argv, Cfn__Request *req, struct options *o,
		  void *bodies[4])
{
	Cfn__Register *reg = bodies[0];
	Cfn__Update *upd = bodies[1];
	Cfn__Deregister *dereg = bodies[2];
	Cfn__Heartbeat *hb = bodies[3];
	const char *cmd = argv[0];

	if (strcmp(cmd, "list") == 0) {
		static Cfn__List list = CFN__LIST__INIT;

		if (argc > 2)
			return false;
		list.service = argc == 2 ? argv[1] : NULL;
		req->body_case = CFN__REQUEST__BODY_LIST;
		req->list = &list;
		return true;
	}
	if (strcmp(cmd, "drain") == 0 || strcmp(cmd, "undrain") == 0)
		return build_drain(argc, argv, req);
	if (argc < 3)
		return false;
	if (strcmp(cmd, "batch") == 0) {
		static struct batch batch;

		if (!parse_batch(argc - 1, argv + 1, &batch))
			return false;
		req->body_case = CFN__REQUEST__BODY_BATCH;
		req->batch = &batch.body;
	} else if (strcmp(cmd, "register") == 0) {
		if (!parse_options(argc - 3, argv + 3, true, o))
			return false;
		reg->service = argv[1];
		reg->bid = argv[2];
		reg->has_capacity = o->has_capacity;
		reg->capacity = o->capacity;
		reg->has_hold_time = o->has_hold;
		reg->hold_time = o->hold;
		reg->n_metrics = o->n_metrics;
		reg->metrics = o->ptrs;
		req->body_case = CFN__REQUEST__BODY_REGISTER;
		req->register_ = reg;
	} else if (strcmp(cmd, "update") == 0) {
		if (!parse_options(argc - 3, argv + 3, false, o))
			return false;
		upd->service = argv[1];
		upd->bid = argv[2];
		upd->has_capacity = o->has_capacity;
		upd->capacity = o->capacity;
		upd->n_metrics = o->n_metrics;
		upd->metrics = o->ptrs;
		req->body_case = CFN__REQUEST__BODY_UPDATE;
		req->update = upd;
	} else if (strcmp(cmd, "deregister") == 0 && argc == 3) {
		dereg->service = argv[1];
		dereg->bid = argv[2];
		req->body_case = CFN__REQUEST__BODY_DEREGISTER;
		req->deregister = dereg;
	} else if (strcmp(cmd, "heartbeat") == 0 && argc == 3) {
		hb->service = argv[1];
		hb->bid = argv[2];
		req->body_case = CFN__REQUEST__BODY_HEARTBEAT;
		req->heartbeat = hb;
	} else {
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	Cfn__Request req = CFN__REQUEST__INIT;
	Cfn__Register reg = CFN__REGISTER__INIT;
	Cfn__Update upd = CFN__UPDATE__INIT;
	Cfn__Deregister dereg = CFN__DEREGISTER__INIT;
	Cfn__Heartbeat hb = CFN__HEARTBEAT__INIT;
	void *bodies[4] = {&reg, &upd, &dereg, &hb};
	struct options opts = {};
	char where[256] = CFN_CLIENT_DEFAULT_SOCKET, err[256];
	bool json = false;
	Cfn__Reply *reply;
	int opt, fd, status;

	while ((opt = getopt_long(argc, argv, "s:N:jh", cfn_help_option,
				  NULL)) != -1) {
		switch (opt) {
		case 's':
			snprintf(where, sizeof(where), "%s", optarg);
			break;
		case 'N':
			snprintf(where, sizeof(where),
				 "/var/run/frr/%s/cfn-api.sock", optarg);
			break;
		case 'j':
			json = true;
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc ||
	    !build(argc - optind, argv + optind, &req, &opts, bodies))
		return usage();
	req.id = (uint32_t)getpid();

	fd = cfn_client_connect(where, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, "cfnctl: cannot reach the CFN node: %s\n", err);
		return EXIT_UNREACHABLE;
	}
	reply = cfn_client_call(fd, &req, 5000, err, sizeof(err));
	close(fd);
	if (!reply) {
		fprintf(stderr, "cfnctl: %s\n", err);
		return EXIT_UNREACHABLE;
	}
	status = reply->status == CFN__STATUS__OK ? 0 : EXIT_REFUSED;
	if (status)
		fprintf(stderr, "cfnctl: %s: %s\n",
			cfn_client_status_name(reply->status),
			reply->error ? reply->error : "refused");
	else if (req.body_case == CFN__REQUEST__BODY_LIST)
		print_list(reply, json);
	cfn_api_reply_free(reply);
	return status;
}
