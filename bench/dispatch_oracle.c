/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The zero-delay oracle: balanced mode's water-filling (lib's
 * cfn_water_fill, with the default network penalty) on the true state of
 * the step itself, the demand and every site's background as they are,
 * with no measurement window and no BGP delay. What balanced mode would
 * do with perfect information: the bound it is measured against.
 */
#include <math.h>

#include "cfn_select.h"
#include "dispatch_sim.h"

static unsigned int dispatch_oracle(void *self, const struct scenario *sc,
				    const struct site_state *sites,
				    uint64_t now_ms, split_t split)
{
	unsigned int k = (unsigned int)(now_ms / STEP_MS);
	double capacity[SITES], base[SITES], demand = 0;
	struct cfn_policy policy;

	cfn_policy_default(&policy);
	for (unsigned int i = 0; i < INGRESSES; i++)
		demand += sc->demand[i][k];
	for (unsigned int i = 0; i < INGRESSES; i++) {
		for (unsigned int s = 0; s < SITES; s++) {
			double cost =
				fmin(1, (double)sc->ingress[i].igp_cost[s] /
						policy.igp_cost_max);

			capacity[s] = sc->site[s].capacity;
			base[s] = sc->background[s][k] +
				  policy.network_penalty / 100 * cost;
		}
		cfn_water_fill(capacity, base, SITES, demand, split[i]);
	}
	return 0;
}

const struct strategy oracle_strategy = {
	.name = "oracle",
	.dispatch = dispatch_oracle,
};
