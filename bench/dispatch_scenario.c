/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The scenario every strategy replays: four egress sites of different
 * size and distance, three client regions, and the traces of demand and
 * background load, generated from fixed seeds so that every run and
 * every strategy sees the same numbers.
 */
#include <math.h>

#include "dispatch_sim.h"

static const struct site_spec sites[SITES] = {
	{"edge-a", 400, LOAD_BURSTY, 0.10, 0.90, 0.03},
	{"edge-b", 300, LOAD_RAMP, 0.10, 0.80, 0.02},
	{"metro", 600, LOAD_STEADY, 0.25, 0, 0.03},
	{"core", 1000, LOAD_STEADY, 0.15, 0, 0.03},
};

/* Each region has a nearby edge site; the core is far from all. */
static const struct ingress_spec ingresses[INGRESSES] = {
	{"west", {4, 18, 12, 30}, 320, 120},
	{"east", {18, 4, 12, 30}, 260, 150},
	{"south", {20, 16, 6, 24}, 300, 180},
};

/* Field trial: 90 % for 4 s, then 10 % for 2 s. */
#define BURST_ON_S 4.0
#define BURST_PERIOD_S 6.0
/* Demand between 55 % of its peak (night) and 100 % (the peak). */
#define DEMAND_FLOOR 0.55
#define DEMAND_NOISE 0.05
#define BACKGROUND_MAX 0.95

/* splitmix64: small, and the same sequence on every platform. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform(uint64_t *state)
{
	return ((next_random(state) >> 11) + 0.5) / 9007199254740992.0;
}

/* Box-Muller; one of the pair is enough here. */
static double gaussian(uint64_t *state, double sigma)
{
	double u = uniform(state), v = uniform(state);

	return sigma * sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static double background_level(const struct site_spec *s, double t)
{
	switch (s->pattern) {
	case LOAD_BURSTY:
		return fmod(t, BURST_PERIOD_S) < BURST_ON_S ? s->high : s->low;
	case LOAD_RAMP:
		return s->low + (s->high - s->low) * t / DURATION_S;
	case LOAD_STEADY:
		break;
	}
	return s->low;
}

static double noisy_background(const struct site_spec *s, double t,
			       uint64_t *seed)
{
	double level = background_level(s, t) + gaussian(seed, s->noise);

	return fmin(BACKGROUND_MAX, fmax(0, level));
}

/* A day squeezed into the run: a raised cosine around the region's peak. */
static double demand_level(const struct ingress_spec *in, double t)
{
	double day = 0.5 + 0.5 * cos(2 * M_PI * (t - in->peak_s) / DURATION_S);

	return in->peak_demand * (DEMAND_FLOOR + (1 - DEMAND_FLOOR) * day);
}

void scenario_build(struct scenario *sc, double demand_scale)
{
	uint64_t seed = 8; /* issue 8 */

	sc->site = sites;
	sc->ingress = ingresses;
	sc->service_ms = 20;
	for (unsigned int k = 0; k < STEPS; k++) {
		double t = k * STEP_S;

		for (unsigned int s = 0; s < SITES; s++)
			sc->background[s][k] =
				noisy_background(&sites[s], t, &seed);
		for (unsigned int i = 0; i < INGRESSES; i++)
			sc->demand[i][k] = fmax(
				0, demand_scale *
					   demand_level(&ingresses[i], t) *
					   (1 + gaussian(&seed, DEMAND_NOISE)));
	}
}
