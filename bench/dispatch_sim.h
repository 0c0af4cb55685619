/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Dispatch quality: one client demand trace and one set of instance load
 * traces replayed through several dispatch strategies, each site modelled
 * as a queue. What the simulator, the scenario and the strategies share.
 */
#ifndef DISPATCH_SIM_H
#define DISPATCH_SIM_H

#include <stdbool.h>
#include <stdint.h>

#define SITES 4
#define INGRESSES 3
#define STEP_MS 100
#define DURATION_S 300
#define STEPS (DURATION_S * 1000 / STEP_MS)
#define STEP_S (STEP_MS / 1000.0)

/*
 * A BGP update reaches every ingress's FIB this long after the egress
 * sent it: bench/fib_latency.py measured a median of 136 ms through a
 * route reflector, rounded up here to the next step.
 */
#define BGP_DELAY_MS 200

/* A site at or above this utilisation is overloaded. */
#define OVERLOAD_UTILIZATION 0.9

enum load_pattern {
	LOAD_STEADY, /* low */
	LOAD_BURSTY, /* high for 4 s, low for 2 s: the CFN field trial */
	LOAD_RAMP,   /* from low to high over the run */
};

/* An egress site: one service instance (or a pool behind a local LB). */
struct site_spec {
	const char *name;
	double capacity; /* requests per second at 100 % utilisation */
	enum load_pattern pattern;
	double low, high; /* background utilisation, 0..1 */
	double noise;	  /* sigma of the background's Gaussian noise */
};

/* An ingress router and the clients behind it. */
struct ingress_spec {
	const char *name;
	uint32_t igp_cost[SITES]; /* also the round-trip time in ms */
	double peak_demand;	  /* requests per second */
	double peak_s;		  /* when its demand peaks */
};

struct scenario {
	const struct site_spec *site;
	const struct ingress_spec *ingress;
	double service_ms; /* of one request on an idle instance */
	double background[SITES][STEPS]; /* fraction of capacity */
	double demand[INGRESSES][STEPS]; /* requests per second */
};

/* The traces, with every region's demand multiplied by demand_scale. */
void scenario_build(struct scenario *sc, double demand_scale);

/* A site during one step, as the simulator computed it. */
struct site_state {
	double rate;	    /* requests per second dispatched to it */
	double offered;	    /* (background + dispatched) / capacity */
	double measured;    /* what its CPU counters show: at most 1 */
	double backlog;	    /* requests beyond capacity still waiting */
	double response_ms; /* at the site: queueing and service */
	bool timed_out;	    /* the response took the clients' timeout */
	bool overloaded;
};

/* Per ingress, the share of its new requests each site receives. */
typedef double split_t[INGRESSES][SITES];

/*
 * A dispatch strategy. Each step it sees the sites as they were in the
 * previous step (what a health check or a metric report could observe)
 * and sets the split; it returns how many BGP UPDATEs its egresses sent
 * in the step. start and stop are NULL for a strategy without state.
 */
struct strategy {
	const char *name;
	void *(*start)(const struct scenario *sc);
	unsigned int (*dispatch)(void *self, const struct scenario *sc,
				 const struct site_state *sites,
				 uint64_t now_ms, split_t split);
	void (*stop)(void *self);
};

extern const struct strategy anycast_strategy;
extern const struct strategy healthcheck_strategy;
extern const struct strategy static_ucmp_strategy;
extern const struct strategy cfn_best_strategy;
extern const struct strategy cfn_weighted_strategy;
extern const struct strategy cfn_balanced_strategy;
extern const struct strategy oracle_strategy;

/* Plain BGP: each ingress sends everything to its nearest site. */
void split_nearest(const struct scenario *sc, split_t split);
void split_nearest_one(const struct scenario *sc, unsigned int ingress,
		       split_t split);

/* A BGP update on its way to the ingresses. */
struct in_flight {
	bool pending;
	uint64_t arrives_ms;
};

void in_flight_send(struct in_flight *flight, uint64_t now_ms);
/* True once, when the update has arrived. */
bool in_flight_arrived(struct in_flight *flight, uint64_t now_ms);

#endif /* DISPATCH_SIM_H */
