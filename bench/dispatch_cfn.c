/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CFN as the module runs it, with the real core code and the module's
 * defaults: at each egress, cfn-agent reports the instance's mean CPU
 * utilisation every second, the service table scores it (cfn_metric),
 * update damping decides whether to advertise (cfn_damp), and the
 * attribute goes on the wire (cfn_attr); after the BGP delay every
 * ingress decodes it into its per-service view (cfn_view) and selects
 * (cfn_select). Only the BGP transport and the clocks are modelled.
 * For balanced mode the agent also reports the service's request rate
 * and the peak background utilisation of its last few seconds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfn_damp.h"
#include "cfn_select.h"
#include "cfn_service.h"
#include "cfn_view.h"
#include "dispatch_sim.h"

#define AGENT_INTERVAL_MS 1000 /* cfn-agent's default "interval" */
/* Each egress and agent runs on its own clock. */
#define PHASE_MS (AGENT_INTERVAL_MS / SITES)
#define NODE_ID_BASE 0x0a000001 /* router IDs 10.0.0.1, ... */
/* cfn-agent's background-utilization: the peak over this window */
#define BACKGROUND_WINDOW_STEPS (3000 / STEP_MS)

/* The egress router of one site and what the ingresses know of it. */
struct cfn_site {
	struct cfn_service_table services;
	struct cfn_service *service;
	struct cfn_local_instance *instance;
	uint8_t wire[CFN_ATTR_MAX_LEN]; /* the attribute its SID route has */
	size_t wire_len;
	struct in_flight update;
	struct cfn_attr received; /* as the ingresses decoded it */
	bool have_received;
	double capacity;
	double busy_sum; /* measured utilisation since the last report */
	double rate_sum; /* requests per second, summed likewise */
	unsigned int busy_samples;
	double background[BACKGROUND_WINDOW_STEPS]; /* a ring, by step */
	unsigned int background_next;
	uint64_t next_report_ms;
};

struct cfn_sim {
	struct cfn_metric_model model;
	struct cfn_damping damping;
	struct cfn_policy policy;
	bool report_load; /* request rate and background too */
	struct cfn_prefix sid;
	struct cfn_site site[SITES];
	struct cfn_view view[INGRESSES];
};

static uint32_t node_id(unsigned int site)
{
	return NODE_ID_BASE + site;
}

static bool site_init(struct cfn_site *site, unsigned int index,
		      const struct site_spec *spec,
		      const struct cfn_prefix *sid)
{
	char bid_text[CFN_PREFIX_STRLEN], err[64];
	struct cfn_prefix bid;

	cfn_service_table_init(&site->services);
	snprintf(bid_text, sizeof(bid_text), "10.1.%u.11/32", index);
	if (!cfn_prefix_parse(bid_text, &bid, err, sizeof(err)) ||
	    cfn_service_set(&site->services, "video", sid, NULL) != CFN_OK)
		return false;
	site->service = cfn_service_find(&site->services, "video");
	if (cfn_instance_set(site->service, &bid, (uint32_t)spec->capacity) !=
	    CFN_OK)
		return false;
	site->instance = cfn_instance_find(site->service, &bid);
	site->capacity = spec->capacity;
	site->next_report_ms = index * PHASE_MS;
	return true;
}

static void cfn_stop(void *self)
{
	struct cfn_sim *sim = self;

	for (unsigned int s = 0; s < SITES; s++) {
		cfn_service_table_fini(&sim->site[s].services);
		cfn_attr_free(&sim->site[s].received);
	}
	for (unsigned int i = 0; i < INGRESSES; i++)
		cfn_view_fini(&sim->view[i]);
	free(sim);
}

static void *cfn_start(const struct scenario *sc, enum cfn_select_mode mode)
{
	struct cfn_sim *sim = calloc(1, sizeof(*sim));
	char err[64];
	bool ok;

	if (!sim)
		return NULL;
	cfn_metric_model_default(&sim->model);
	cfn_damping_default(&sim->damping);
	cfn_policy_default(&sim->policy);
	sim->policy.mode = mode;
	sim->report_load = mode == CFN_SELECT_BALANCED;
	for (unsigned int i = 0; i < INGRESSES; i++)
		cfn_view_init(&sim->view[i]);
	ok = cfn_prefix_parse("198.51.100.10/32", &sim->sid, err, sizeof(err));
	for (unsigned int s = 0; s < SITES && ok; s++)
		ok = site_init(&sim->site[s], s, &sc->site[s], &sim->sid);
	if (!ok) {
		cfn_stop(sim);
		return NULL;
	}
	return sim;
}

static void *cfn_start_best(const struct scenario *sc)
{
	return cfn_start(sc, CFN_SELECT_BEST);
}

static void *cfn_start_weighted(const struct scenario *sc)
{
	return cfn_start(sc, CFN_SELECT_WEIGHTED);
}

static void *cfn_start_balanced(const struct scenario *sc)
{
	return cfn_start(sc, CFN_SELECT_BALANCED);
}

/* Advertise the service's current state with a new sequence number. */
static unsigned int advertise(const struct cfn_sim *sim, struct cfn_site *site,
			      unsigned int index, uint64_t now_ms)
{
	struct cfn_service *service = site->service;
	struct cfn_attr attr;
	size_t len;

	if (cfn_service_build_attr(service, &sim->model, node_id(index),
				   service->sequence + 1, &attr) != CFN_OK)
		return 0;
	len = cfn_attr_encode(&attr, true, site->wire, sizeof(site->wire));
	cfn_attr_free(&attr);
	if (!len)
		return 0;
	site->wire_len = len;
	service->sequence++;
	service->damp.last_sent_ms = now_ms;
	service->damp.pending = false;
	in_flight_send(&site->update, now_ms);
	return 1;
}

/* The module's cfn_originate_damped, on the simulated clock. */
static unsigned int originate_damped(const struct cfn_sim *sim,
				     struct cfn_site *site, unsigned int index,
				     uint64_t now_ms)
{
	struct cfn_damp_state *damp = &site->service->damp;
	enum cfn_damp_verdict verdict = CFN_DAMP_SEND;
	struct cfn_attr sent, next;
	uint64_t due = 0;

	if (site->wire_len && cfn_attr_decode(site->wire, site->wire_len,
					      &sent) == CFN_DECODE_OK) {
		if (cfn_service_build_attr(site->service, &sim->model,
					   sent.node_id, sent.sequence,
					   &next) == CFN_OK) {
			verdict = cfn_damp_decide(&sim->damping, &sent, &next,
						  damp->last_sent_ms, now_ms,
						  &due);
			cfn_attr_free(&next);
		}
		cfn_attr_free(&sent);
	}
	switch (verdict) {
	case CFN_DAMP_SEND_NOW:
	case CFN_DAMP_SEND:
		return advertise(sim, site, index, now_ms);
	case CFN_DAMP_DELAY:
		damp->pending = true;
		damp->due_ms = due;
		break;
	case CFN_DAMP_SUPPRESS:
		damp->pending = false;
		break;
	}
	return 0;
}

static bool report_metric(struct cfn_site *site, uint16_t type,
			  enum cfn_statistic statistic, double units)
{
	struct cfn_metric_value value;
	char err[64];

	return cfn_metric_value_from_units(type, statistic, units, &value, err,
					   sizeof(err)) &&
	       cfn_instance_metric_set(site->instance, &value) == CFN_OK;
}

static double peak_background(const struct cfn_site *site)
{
	double peak = 0;

	for (unsigned int i = 0; i < BACKGROUND_WINDOW_STEPS; i++)
		peak = fmax(peak, site->background[i]);
	return peak;
}

/*
 * cfn-agent: the mean CPU utilisation over its interval, and for
 * balanced mode the mean request rate and the peak background, as an
 * update.
 */
static unsigned int agent_report(const struct cfn_sim *sim,
				 struct cfn_site *site, unsigned int index,
				 uint64_t now_ms)
{
	double samples = site->busy_samples ? site->busy_samples : 1;
	bool ok = report_metric(site, CFN_METRIC_CPU_UTIL, CFN_STAT_MEAN,
				100 * site->busy_sum / samples);

	if (ok && sim->report_load)
		ok = report_metric(site, CFN_METRIC_REQUEST_RATE, CFN_STAT_MEAN,
				   site->rate_sum / samples) &&
		     report_metric(site, CFN_METRIC_BACKGROUND_UTIL,
				   CFN_STAT_MAX,
				   fmin(100, 100 * peak_background(site)));
	site->busy_sum = 0;
	site->rate_sum = 0;
	site->busy_samples = 0;
	return ok ? originate_damped(sim, site, index, now_ms) : 0;
}

/* A periodic event (report, timer): true when due, then re-armed. */
static bool periodic_due(uint64_t now_ms, uint64_t *next_ms, uint32_t period_ms)
{
	if (now_ms < *next_ms)
		return false;
	*next_ms += period_ms;
	return true;
}

/* One step of an egress; true when its last update reached the ingresses. */
static bool egress_step(const struct cfn_sim *sim, struct cfn_site *site,
			unsigned int index, const struct site_state *state,
			uint64_t now_ms, unsigned int *updates)
{
	struct cfn_damp_state *damp = &site->service->damp;

	site->busy_sum += state->measured;
	site->rate_sum += state->rate;
	site->busy_samples++;
	/* the CPU time of other work than the service */
	site->background[site->background_next++ % BACKGROUND_WINDOW_STEPS] =
		fmax(0, state->offered - state->rate / site->capacity);
	if (periodic_due(now_ms, &site->next_report_ms, AGENT_INTERVAL_MS))
		*updates += agent_report(sim, site, index, now_ms);
	/* the module's timer sends a delayed update when it is due */
	if (damp->pending && now_ms >= damp->due_ms)
		*updates += originate_damped(sim, site, index, now_ms);
	if (!in_flight_arrived(&site->update, now_ms))
		return false;
	cfn_attr_free(&site->received);
	site->have_received = cfn_attr_decode(site->wire, site->wire_len,
					      &site->received) == CFN_DECODE_OK;
	return true;
}

/* What an ingress's bgpd hands the module: one path per egress. */
static size_t collect(const struct cfn_sim *sim, const struct scenario *sc,
		      unsigned int ingress, struct cfn_egress *candidates)
{
	size_t count = 0;

	for (unsigned int s = 0; s < SITES; s++) {
		struct cfn_egress *c = &candidates[count];

		if (!sim->site[s].have_received)
			continue;
		memset(c, 0, sizeof(*c));
		if (!cfn_attr_copy(&c->attr, &sim->site[s].received))
			continue;
		c->node_id = node_id(s);
		c->igp_metric = sc->ingress[ingress].igp_cost[s];
		c->reachable = true;
		count++;
	}
	return count;
}

/* The ingress's FIB: the selection, or bgpd's own route without one. */
static void split_selection(const struct scenario *sc,
			    const struct cfn_sid_view *sv, unsigned int ingress,
			    split_t split)
{
	const struct cfn_selection *sel = sv ? &sv->selection : NULL;
	double total = 0;

	if (!sel || !sel->count) {
		split_nearest_one(sc, ingress, split);
		return;
	}
	memset(split[ingress], 0, sizeof(split[ingress]));
	for (unsigned int c = 0; c < sel->count; c++)
		total += sel->chosen[c].weight;
	for (unsigned int c = 0; c < sel->count; c++)
		split[ingress][sel->chosen[c].node_id - NODE_ID_BASE] =
			sel->chosen[c].weight / total;
}

static void ingress_update(struct cfn_sim *sim, const struct scenario *sc,
			   unsigned int ingress, uint64_t now_ms)
{
	struct cfn_egress candidates[SITES];
	size_t count = collect(sim, sc, ingress, candidates);
	struct cfn_sid_view *sv;
	unsigned int changes;

	cfn_view_update(&sim->view[ingress], &sim->sid, candidates, count,
			now_ms, &changes);
	sv = cfn_view_find(&sim->view[ingress], &sim->sid);
	if (sv)
		cfn_select(&sim->policy, sv, now_ms, NULL);
}

static unsigned int cfn_dispatch(void *self, const struct scenario *sc,
				 const struct site_state *sites,
				 uint64_t now_ms, split_t split)
{
	struct cfn_sim *sim = self;
	unsigned int updates = 0;
	bool arrived = false;

	for (unsigned int s = 0; s < SITES; s++)
		arrived |= egress_step(sim, &sim->site[s], s, &sites[s], now_ms,
				       &updates);
	for (unsigned int i = 0; i < INGRESSES; i++) {
		if (arrived)
			ingress_update(sim, sc, i, now_ms);
		split_selection(sc, cfn_view_find(&sim->view[i], &sim->sid), i,
				split);
	}
	return updates;
}

const struct strategy cfn_best_strategy = {
	.name = "cfn-best",
	.start = cfn_start_best,
	.dispatch = cfn_dispatch,
	.stop = cfn_stop,
};

const struct strategy cfn_weighted_strategy = {
	.name = "cfn-weighted",
	.start = cfn_start_weighted,
	.dispatch = cfn_dispatch,
	.stop = cfn_stop,
};

const struct strategy cfn_balanced_strategy = {
	.name = "cfn-balanced",
	.start = cfn_start_balanced,
	.dispatch = cfn_dispatch,
	.stop = cfn_stop,
};
