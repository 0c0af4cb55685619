/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Edge Metadata received per peer and prefix (cfn_edgemeta_bgp.c). */
#ifndef CFN_EDGEMETA_BGP_H
#define CFN_EDGEMETA_BGP_H

#include <stdbool.h>

#include "cfn_edgemeta.h"

struct peer;
struct prefix;

void cfn_edgemeta_init(void);
void cfn_edgemeta_fini(void);

/* The Edge Metadata peer sent with its route to p, if any. */
bool cfn_edgemeta_find(const struct peer *peer, const struct prefix *p,
		       struct cfn_edgemeta *meta);

#endif /* CFN_EDGEMETA_BGP_H */
