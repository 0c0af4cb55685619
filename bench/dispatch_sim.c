/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Dispatch quality: replays the scenario (dispatch_scenario.c) through
 * every strategy and writes, into the directory given (-s multiplies the
 * scenario's demand):
 *   dispatch_summary.csv     per strategy: response time mean, median,
 *                            p99; share of requests sent to overloaded
 *                            sites, share that timed out; BGP UPDATEs;
 *                            FIB changes
 *   dispatch_timeseries.csv  per strategy, step and site: load, traffic
 *   dispatch_cdf.csv         per strategy: response time quantiles
 *
 * Each site is a processor-sharing queue: a request takes
 *   RTT (the IGP cost, in ms) + service / (1 - utilisation) + backlog wait
 * where utilisation = background + dispatched / capacity. The steady-state
 * formula does not hold near and above 1, so it is capped there and the
 * overload is carried instead by a fluid backlog: requests beyond the
 * capacity left by the background queue up and drain when load falls.
 * Clients give up after a timeout, which bounds the backlog.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatch_sim.h"

#define UTILIZATION_CAP 0.95 /* the queueing factor stops at 20 */
#define CLIENT_TIMEOUT_MS 2000
#define CDF_POINTS 1000

static const struct strategy *const strategies[] = {
	&anycast_strategy,  &healthcheck_strategy,  &static_ucmp_strategy,
	&cfn_best_strategy, &cfn_weighted_strategy, &cfn_balanced_strategy,
	&oracle_strategy,
};

void in_flight_send(struct in_flight *flight, uint64_t now_ms)
{
	flight->pending = true;
	flight->arrives_ms = now_ms + BGP_DELAY_MS;
}

bool in_flight_arrived(struct in_flight *flight, uint64_t now_ms)
{
	if (!flight->pending || now_ms < flight->arrives_ms)
		return false;
	flight->pending = false;
	return true;
}

/* Requests that saw the same response time. */
struct sample {
	double ms;
	double requests;
};

struct outcome {
	struct sample *samples;
	size_t count, allocated;
	double requests, overloaded_requests, timed_out_requests;
	unsigned long bgp_updates, fib_changes;
};

static bool add_sample(struct outcome *out, double ms, double requests)
{
	if (out->count == out->allocated) {
		size_t more = out->allocated ? 2 * out->allocated : 4096;
		struct sample *grown =
			realloc(out->samples, more * sizeof(*grown));

		if (!grown)
			return false;
		out->samples = grown;
		out->allocated = more;
	}
	out->samples[out->count++] = (struct sample){ms, requests};
	out->requests += requests;
	return true;
}

/* Advance one site's queue by a step with the rate dispatched to it. */
static void site_step(const struct scenario *sc, unsigned int s, unsigned int k,
		      double rate, struct site_state *st)
{
	double capacity = sc->site[s].capacity;
	/* What the background leaves; the scenario keeps it above 5 %. */
	double spare = (1 - sc->background[s][k]) * capacity;

	st->rate = rate;
	st->offered = sc->background[s][k] + rate / capacity;
	st->backlog = fmax(0, st->backlog + (rate - spare) * STEP_S);
	st->measured = st->backlog > 0 ? 1 : fmin(1, st->offered);
	st->response_ms =
		sc->service_ms / (1 - fmin(st->offered, UTILIZATION_CAP)) +
		1000 * st->backlog / spare;
	st->timed_out = st->response_ms >= CLIENT_TIMEOUT_MS;
	if (st->timed_out) {
		/* Clients give up: their requests leave the queue. */
		st->response_ms = CLIENT_TIMEOUT_MS;
		st->backlog =
			fmin(st->backlog, spare * CLIENT_TIMEOUT_MS / 1000);
	}
	st->overloaded = st->offered >= OVERLOAD_UTILIZATION || st->backlog > 0;
}

static double dispatched_rate(const struct scenario *sc, unsigned int s,
			      unsigned int k, split_t split)
{
	double rate = 0;

	for (unsigned int i = 0; i < INGRESSES; i++)
		rate += sc->demand[i][k] * split[i][s];
	return rate;
}

/* Every ingress-to-site flow of requests of the step, as samples. */
static bool record_step(const struct scenario *sc, unsigned int k,
			split_t split, const struct site_state *sites,
			struct outcome *out)
{
	for (unsigned int i = 0; i < INGRESSES; i++)
		for (unsigned int s = 0; s < SITES; s++) {
			double requests =
				sc->demand[i][k] * split[i][s] * STEP_S;

			if (requests <= 0)
				continue;
			if (!add_sample(out,
					sc->ingress[i].igp_cost[s] +
						sites[s].response_ms,
					requests))
				return false;
			if (sites[s].overloaded)
				out->overloaded_requests += requests;
			if (sites[s].timed_out)
				out->timed_out_requests += requests;
		}
	return true;
}

static unsigned int split_changes(split_t before, split_t now)
{
	unsigned int changed = 0;

	for (unsigned int i = 0; i < INGRESSES; i++)
		changed += memcmp(before[i], now[i], sizeof(now[i])) != 0;
	return changed;
}

static void write_step(FILE *f, const char *name, const struct scenario *sc,
		       unsigned int k, const struct site_state *sites)
{
	double total = 0;

	for (unsigned int i = 0; i < INGRESSES; i++)
		total += sc->demand[i][k];
	for (unsigned int s = 0; s < SITES; s++)
		fprintf(f, "%s,%.1f,%s,%.3f,%.1f,%.4f,%.3f,%.1f,%d\n", name,
			k * STEP_S, sc->site[s].name, sc->background[s][k],
			sites[s].rate, sites[s].rate / total, sites[s].offered,
			sites[s].response_ms, sites[s].overloaded);
}

static bool simulate(const struct strategy *st, const struct scenario *sc,
		     FILE *series, struct outcome *out)
{
	struct site_state sites[SITES] = {};
	split_t split = {}, before;
	void *self = st->start ? st->start(sc) : NULL;
	bool ok = self || !st->start;

	/* Before the first request, the sites carry their background only. */
	for (unsigned int s = 0; s < SITES; s++)
		site_step(sc, s, 0, 0, &sites[s]);
	for (unsigned int k = 0; k < STEPS && ok; k++) {
		memcpy(before, split, sizeof(split));
		out->bgp_updates += st->dispatch(self, sc, sites,
						 (uint64_t)k * STEP_MS, split);
		if (k)
			out->fib_changes += split_changes(before, split);
		for (unsigned int s = 0; s < SITES; s++)
			site_step(sc, s, k, dispatched_rate(sc, s, k, split),
				  &sites[s]);
		ok = record_step(sc, k, split, sites, out);
		write_step(series, st->name, sc, k, sites);
	}
	if (self)
		st->stop(self);
	return ok;
}

static int by_ms(const void *pa, const void *pb)
{
	const struct sample *a = pa, *b = pb;

	return (a->ms > b->ms) - (a->ms < b->ms);
}

/* The response time below which a fraction q of the requests fall. */
static double quantile(const struct outcome *out, double q)
{
	double below = 0;

	for (size_t i = 0; i < out->count; i++) {
		below += out->samples[i].requests;
		if (below >= q * out->requests)
			return out->samples[i].ms;
	}
	return out->samples[out->count - 1].ms;
}

static double mean_ms(const struct outcome *out)
{
	double sum = 0;

	for (size_t i = 0; i < out->count; i++)
		sum += out->samples[i].ms * out->samples[i].requests;
	return sum / out->requests;
}

static void write_outcome(FILE *summary, FILE *cdf, const char *name,
			  struct outcome *out)
{
	qsort(out->samples, out->count, sizeof(*out->samples), by_ms);
	fprintf(summary, "%s,%.0f,%.1f,%.1f,%.1f,%.4f,%.4f,%lu,%lu\n", name,
		out->requests, mean_ms(out), quantile(out, 0.5),
		quantile(out, 0.99), out->overloaded_requests / out->requests,
		out->timed_out_requests / out->requests, out->bgp_updates,
		out->fib_changes);
	for (unsigned int p = 0; p <= CDF_POINTS; p++)
		fprintf(cdf, "%s,%.3f,%.1f\n", name, (double)p / CDF_POINTS,
			quantile(out, (double)p / CDF_POINTS));
}

static FILE *open_csv(const char *dir, const char *name, const char *header)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "dispatch_sim: %s: %s\n", path,
			strerror(errno));
	else
		fprintf(f, "%s\n", header);
	return f;
}

/* Written and closed without error; false too for one never opened. */
static bool close_csv(FILE *f)
{
	return f && fclose(f) == 0;
}

static bool run_all(const struct scenario *sc, FILE *summary, FILE *series,
		    FILE *cdf)
{
	for (size_t i = 0; i < sizeof(strategies) / sizeof(*strategies); i++) {
		struct outcome out = {};
		bool ok = simulate(strategies[i], sc, series, &out);

		if (ok)
			write_outcome(summary, cdf, strategies[i]->name, &out);
		free(out.samples);
		if (!ok) {
			fprintf(stderr, "dispatch_sim: %s: out of memory\n",
				strategies[i]->name);
			return false;
		}
	}
	return true;
}

/* [-s DEMAND-SCALE] OUTPUT-DIRECTORY */
static const char *parse_args(int argc, char **argv, double *demand_scale)
{
	char *end;
	int opt;

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's')
			return NULL;
		*demand_scale = strtod(optarg, &end);
		if (*end || !(*demand_scale > 0))
			return NULL;
	}
	return optind == argc - 1 ? argv[optind] : NULL;
}

int main(int argc, char **argv)
{
	static struct scenario sc;
	FILE *summary, *series, *cdf;
	double demand_scale = 1;
	const char *dir = parse_args(argc, argv, &demand_scale);
	bool ok;

	if (!dir) {
		fprintf(stderr,
			"usage: dispatch_sim [-s DEMAND-SCALE] OUTPUT-DIRECTORY\n");
		return 2;
	}
	scenario_build(&sc, demand_scale);
	summary = open_csv(dir, "dispatch_summary.csv",
			   "strategy,requests,mean_ms,p50_ms,p99_ms,"
			   "overloaded_share,timeout_share,bgp_updates,"
			   "fib_changes");
	series = open_csv(dir, "dispatch_timeseries.csv",
			  "strategy,t_s,site,background,rate,share,"
			  "utilization,site_ms,overloaded");
	cdf = open_csv(dir, "dispatch_cdf.csv",
		       "strategy,quantile,response_ms");
	ok = summary && series && cdf && run_all(&sc, summary, series, cdf);
	ok = close_csv(summary) && ok;
	ok = close_csv(series) && ok;
	ok = close_csv(cdf) && ok;
	return ok ? 0 : 1;
}
