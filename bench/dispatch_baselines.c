/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Today's alternatives to CFN: plain anycast, health-checked anycast as
 * exabgp's healthcheck.py does it, and static weighted ECMP by capacity
 * (FRR's link-bandwidth UCMP).
 */
#include <stdlib.h>
#include <string.h>

#include "dispatch_sim.h"

void split_nearest_one(const struct scenario *sc, unsigned int ingress,
		       split_t split)
{
	const uint32_t *cost = sc->ingress[ingress].igp_cost;
	unsigned int nearest = 0;

	for (unsigned int s = 1; s < SITES; s++)
		if (cost[s] < cost[nearest])
			nearest = s;
	memset(split[ingress], 0, sizeof(split[ingress]));
	split[ingress][nearest] = 1;
}

void split_nearest(const struct scenario *sc, split_t split)
{
	for (unsigned int i = 0; i < INGRESSES; i++)
		split_nearest_one(sc, i, split);
}

static unsigned int dispatch_anycast(void *self, const struct scenario *sc,
				     const struct site_state *sites,
				     uint64_t now_ms, split_t split)
{
	split_nearest(sc, split);
	return 0;
}

const struct strategy anycast_strategy = {
	.name = "anycast",
	.dispatch = dispatch_anycast,
};

/* Every ingress balances over every site, weighted by capacity. */
static unsigned int dispatch_static_ucmp(void *self, const struct scenario *sc,
					 const struct site_state *sites,
					 uint64_t now_ms, split_t split)
{
	double total = 0;

	for (unsigned int s = 0; s < SITES; s++)
		total += sc->site[s].capacity;
	for (unsigned int i = 0; i < INGRESSES; i++)
		for (unsigned int s = 0; s < SITES; s++)
			split[i][s] = sc->site[s].capacity / total;
	return 0;
}

const struct strategy static_ucmp_strategy = {
	.name = "static-ucmp",
	.dispatch = dispatch_static_ucmp,
};

/*
 * exabgp's healthcheck.py (Debian 12's exabgp 4.2.21), with its defaults:
 * a check every 5 s, every 1 s while the state is about to change, down
 * after 3 failed checks, up after 3 good ones; the route stays announced
 * (no --withdraw-on-down) with MED 100 when up and 1000 when down.
 */
#define HC_INTERVAL_MS 5000
#define HC_FAST_INTERVAL_MS 1000
#define HC_RISE 3
#define HC_FALL 3
#define HC_UP_MED 100
#define HC_DOWN_MED 1000
/* The sites' checks run independently: spread them over the interval. */
#define HC_PHASE_MS (HC_INTERVAL_MS / SITES)

enum hc_state { HC_UP, HC_FALLING, HC_DOWN, HC_RISING };

struct hc_site {
	enum hc_state state;
	unsigned int checks; /* in a row, while falling or rising */
	uint64_t next_check_ms;
	uint32_t announced_med; /* what the egress sends */
	uint32_t med;		/* what the ingresses have */
	struct in_flight update;
};

static void *start_healthcheck(const struct scenario *sc)
{
	struct hc_site *hc = calloc(SITES, sizeof(*hc));

	for (unsigned int s = 0; s < SITES && hc; s++)
		hc[s] = (struct hc_site){
			.state = HC_UP,
			.next_check_ms = s * HC_PHASE_MS,
			.announced_med = HC_UP_MED,
			.med = HC_UP_MED,
		};
	return hc;
}

/* healthcheck.py's state machine, for one check result. */
static enum hc_state hc_next(struct hc_site *h, bool healthy)
{
	bool counting = h->state == (healthy ? HC_RISING : HC_FALLING);
	unsigned int needed = healthy ? HC_RISE : HC_FALL;

	if (counting) {
		if (++h->checks >= needed)
			return healthy ? HC_UP : HC_DOWN;
		return h->state;
	}
	if (h->state == (healthy ? HC_UP : HC_DOWN))
		return h->state;
	h->checks = 1;
	return healthy ? HC_RISING : HC_FALLING;
}

/*
 * The check fails when the site is overloaded: the most load-aware check
 * this design allows. A liveness check would never fail in this scenario
 * and the strategy would be plain anycast.
 */
static unsigned int hc_check(struct hc_site *h, const struct site_state *site,
			     uint64_t now_ms)
{
	bool fast;
	uint32_t med;

	h->state = hc_next(h, !site->overloaded);
	fast = h->state == HC_FALLING || h->state == HC_RISING;
	h->next_check_ms =
		now_ms + (fast ? HC_FAST_INTERVAL_MS : HC_INTERVAL_MS);
	/* Only "up" and "down" announce; the same route again is no UPDATE. */
	med = h->state == HC_UP ? HC_UP_MED : HC_DOWN_MED;
	if (fast || h->announced_med == med)
		return 0;
	h->announced_med = med;
	in_flight_send(&h->update, now_ms);
	return 1;
}

/* BGP best path: the lowest MED first, then the lowest IGP cost. */
static void split_by_med(const struct scenario *sc, const struct hc_site *hc,
			 split_t split)
{
	for (unsigned int i = 0; i < INGRESSES; i++) {
		const uint32_t *cost = sc->ingress[i].igp_cost;
		unsigned int best = 0;

		for (unsigned int s = 1; s < SITES; s++)
			if (hc[s].med < hc[best].med ||
			    (hc[s].med == hc[best].med && cost[s] < cost[best]))
				best = s;
		memset(split[i], 0, sizeof(split[i]));
		split[i][best] = 1;
	}
}

static unsigned int dispatch_healthcheck(void *self, const struct scenario *sc,
					 const struct site_state *sites,
					 uint64_t now_ms, split_t split)
{
	struct hc_site *hc = self;
	unsigned int updates = 0;

	for (unsigned int s = 0; s < SITES; s++) {
		if (now_ms >= hc[s].next_check_ms)
			updates += hc_check(&hc[s], &sites[s], now_ms);
		if (in_flight_arrived(&hc[s].update, now_ms))
			hc[s].med = hc[s].announced_med;
	}
	split_by_med(sc, hc, split);
	return updates;
}

const struct strategy healthcheck_strategy = {
	.name = "healthcheck",
	.start = start_healthcheck,
	.dispatch = dispatch_healthcheck,
	.stop = free,
};
