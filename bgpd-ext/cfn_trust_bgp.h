/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Trust in received CFN data, per neighbour or peer group
 * (lib/cfn_trust.h; doc/cli.md, "Trusting neighbours").
 */
#ifndef CFN_TRUST_BGP_H
#define CFN_TRUST_BGP_H

#include <stdbool.h>
#include <stddef.h>

#include "cfn_trust.h"
#include "cfn_view.h"

struct bgp;
struct peer;

void cfn_trust_init(void);
void cfn_trust_fini(void);

/*
 * May candidate's CFN data for sid, received from peer, enter the view?
 * Lowers its scores and capacity to the peer's bounds and gives it the
 * peer's change limit. count: a BGP update brought it (not a re-read),
 * so what the controls did is counted.
 */
bool cfn_trust_admit(struct peer *peer, const struct cfn_view *view,
		     const struct cfn_prefix *sid, bool count,
		     struct cfn_egress *candidate);

/* Count the candidates whose change the view held back. */
void cfn_trust_count_damped(struct bgp *bgp,
			    const struct cfn_egress *candidates, size_t count);

/* Each neighbour or peer group with settings, in name order. */
void cfn_trust_foreach_config(const struct bgp *bgp,
			      void (*fn)(const char *name,
					 const struct cfn_trust_config *config,
					 void *arg),
			      void *arg);

#endif /* CFN_TRUST_BGP_H */
