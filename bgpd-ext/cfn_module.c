/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Module entry: registration with bgpd, the start and stop of every glue
 * file, the per-second sweep, and the allocator that accounts the core's
 * memory in "show memory".
 */
#include <zebra.h>

#include "hook.h"
#include "libfrr.h"
#include "memory.h"
#include "module.h"
#include "cfn_frr_compat.h"

#include "bgpd/bgpd.h"

#include "cfn_alloc.h"
#include "cfn_debug.h"
#include "cfn_edgemeta_bgp.h"
#include "cfn_export_bgp.h"
#include "cfn_module.h"
#include "cfn_trust_bgp.h"

DEFINE_MGROUP(CFN, "CFN compute-aware anycast");
DEFINE_MTYPE_STATIC(CFN, CFN_CORE, "CFN core tables");
DEFINE_MTYPE(CFN, CFN_PENDING, "CFN pending RIB work");

static struct cfn_event *cfn_t_sweep;

static void *cfn_core_malloc(size_t size)
{
	return XMALLOC(MTYPE_CFN_CORE, size);
}

static void *cfn_core_realloc(void *ptr, size_t size)
{
	return XREALLOC(MTYPE_CFN_CORE, ptr, size);
}

static void cfn_core_free(void *ptr)
{
	XFREE(MTYPE_CFN_CORE, ptr);
}

static const struct cfn_allocator cfn_core_allocator = {
	.malloc = cfn_core_malloc,
	.realloc = cfn_core_realloc,
	.free = cfn_core_free,
};

static void cfn_instance_release(struct cfn_instance *ci, void *arg)
{
	cfn_dispatch_instance_fini(ci);
	cfn_receive_instance_fini(ci);
	cfn_instance_free(ci);
}

static int cfn_bgp_delete(struct bgp *bgp)
{
	struct cfn_instance *ci = cfn_instance_get(bgp, false);

	if (ci) {
		CFN_DEBUG(events,
			  "BGP instance %s deleted, dropping its services",
			  bgp->name_pretty);
		cfn_instance_release(ci, NULL);
	}
	return 0;
}

static void cfn_sweep_instance(struct cfn_instance *ci, void *arg)
{
	cfn_originate_sweep(ci, cfn_api_config()->limits.stale_after_s);
	cfn_dispatch_sweep(ci);
	cfn_fib_sweep(ci);
}

static void cfn_sweep(struct cfn_event *t)
{
	cfn_instance_foreach(cfn_sweep_instance, NULL);
	event_add_timer(EVENT_ARG(t), cfn_sweep, EVENT_ARG(t), 1, &cfn_t_sweep);
}

static int cfn_late_init(struct cfn_event_loop *master)
{
	cfn_instances_init();
	cfn_vty_init();
	cfn_show_init();
	cfn_debug_init();
	cfn_trust_init();
	cfn_edgemeta_init();
	cfn_export_init();
	cfn_receive_init();
	cfn_fib_init(master);
	cfn_api_init(master);
	event_add_timer(master, cfn_sweep, master, 1, &cfn_t_sweep);
	zlog_info("CFN: module %s loaded", CFN_VERSION);
	return 0;
}

static int cfn_fini(void)
{
	EVENT_OFF(cfn_t_sweep);
	cfn_api_fini();
	cfn_receive_fini();
	cfn_trust_fini();
	cfn_edgemeta_fini();
	cfn_export_fini();
	cfn_fib_fini();
	cfn_instance_foreach(cfn_instance_release, NULL);
	cfn_instances_fini();
	cfn_allocator_set(NULL);
	return 0;
}

static int cfn_module_init(void)
{
	cfn_allocator_set(&cfn_core_allocator);
	hook_register(bgp_inst_delete, cfn_bgp_delete);
	hook_register(frr_late_init, cfn_late_init);
	hook_register(frr_fini, cfn_fini);
	return 0;
}

FRR_MODULE_SETUP(.name = "bgpd_cfn", .version = CFN_VERSION,
		 .description = "bgpd compute-aware anycast (CFN) module",
		 .init = cfn_module_init);
