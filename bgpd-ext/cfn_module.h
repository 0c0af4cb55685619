/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bgpd_cfn: compute-aware anycast for FRR's bgpd.
 * State the module keeps per BGP instance, shared by its glue files.
 */
#ifndef CFN_MODULE_H
#define CFN_MODULE_H

#include "memory.h"

#include "cfn_service.h"

struct bgp;

DECLARE_MGROUP(CFN);

struct cfn_instance {
	struct bgp *bgp;
	struct cfn_service_table services;
};

/* The module's state of a BGP instance; created on first use if asked. */
struct cfn_instance *cfn_instance_get(struct bgp *bgp, bool create);

/* Call fn for every BGP instance that has CFN state, in creation order. */
void cfn_instance_foreach(void (*fn)(struct cfn_instance *ci, void *arg),
			  void *arg);

void cfn_vty_init(void);
void cfn_debug_init(void);

#endif /* CFN_MODULE_H */
