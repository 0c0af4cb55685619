/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The zero-delay oracle: balanced mode's split (lib's cfn_balance, with
 * the default network penalty and spill-at) on the true state of
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
	struct cfn_balance_site site[SITES];
	struct cfn_policy policy;
	double demand = 0;

	cfn_policy_default(&policy);
	for (unsigned int i = 0; i < INGRESSES; i++)
		demand += sc->demand[i][k];
	for (unsigned int i = 0; i < INGRESSES; i++) {
		for (unsigned int s = 0; s < SITES; s++) {
			double cost =
				fmin(1, (double)sc->ingress[i].igp_cost[s] /
						policy.igp_cost_max);

			site[s] = (struct cfn_balance_site){
				.capacity = sc->site[s].capacity,
				.background = sc->background[s][k],
				.penalty = policy.network_penalty / 100 * cost,
				.cost = sc->ingress[i].igp_cost[s],
			};
		}
		cfn_balance(site, SITES, demand, policy.spill_at / 100,
			    split[i]);
	}
	return 0;
}

const struct strategy oracle_strategy = {
	.name = "oracle",
	.dispatch = dispatch_oracle,
};
