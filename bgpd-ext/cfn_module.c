/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Module entry: registration with bgpd, per-instance state, and the
 * allocator that accounts the core's memory in "show memory".
 */
#include <zebra.h>

#include "hook.h"
#include "libfrr.h"
#include "linklist.h"
#include "memory.h"
#include "module.h"
#include "thread.h"

#include "bgpd/bgpd.h"

#include "cfn_alloc.h"
#include "cfn_debug.h"
#include "cfn_module.h"

DEFINE_MGROUP(CFN, "CFN compute-aware anycast");
DEFINE_MTYPE_STATIC(CFN, CFN_INSTANCE, "CFN per-BGP-instance state");
DEFINE_MTYPE_STATIC(CFN, CFN_CORE, "CFN core tables");
DEFINE_MTYPE(CFN, CFN_PENDING, "CFN pending RIB work");

static struct list *cfn_instances;
static struct thread *cfn_t_sweep;

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

struct cfn_instance *cfn_instance_get(struct bgp *bgp, bool create)
{
	struct listnode *node;
	struct cfn_instance *ci;

	for (ALL_LIST_ELEMENTS_RO(cfn_instances, node, ci))
		if (ci->bgp == bgp)
			return ci;
	if (!create)
		return NULL;

	ci = XCALLOC(MTYPE_CFN_INSTANCE, sizeof(*ci));
	ci->bgp = bgp;
	ci->attr_type = CFN_ATTR_TYPE_DEFAULT;
	cfn_service_table_init(&ci->services);
	cfn_metric_model_default(&ci->model);
	cfn_policy_default(&ci->policy);
	cfn_damping_default(&ci->damping);
	cfn_view_init(&ci->view);
	cfn_view_init(&ci->dispatch);
	listnode_add(cfn_instances, ci);
	return ci;
}

void cfn_instance_foreach(void (*fn)(struct cfn_instance *ci, void *arg),
			  void *arg)
{
	struct listnode *node;
	struct cfn_instance *ci;

	for (ALL_LIST_ELEMENTS_RO(cfn_instances, node, ci))
		fn(ci, arg);
}

uint64_t cfn_now_ms(void)
{
	struct timeval now;

	monotime(&now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_usec / 1000;
}

void cfn_prefix_to_frr(const struct cfn_prefix *in, struct prefix *out)
{
	memset(out, 0, sizeof(*out));
	out->family = in->family == CFN_FAMILY_IPV6 ? AF_INET6 : AF_INET;
	out->prefixlen = in->len;
	memcpy(&out->u.prefix, in->addr, cfn_family_addrlen(in->family));
}

bool cfn_prefix_from_frr(const struct prefix *in, struct cfn_prefix *out)
{
	memset(out, 0, sizeof(*out));
	if (in->family == AF_INET)
		out->family = CFN_FAMILY_IPV4;
	else if (in->family == AF_INET6)
		out->family = CFN_FAMILY_IPV6;
	else
		return false;
	out->len = in->prefixlen;
	memcpy(out->addr, &in->u.prefix, cfn_family_addrlen(out->family));
	return true;
}

static void cfn_instance_free(struct cfn_instance *ci)
{
	THREAD_OFF(ci->t_delayed);
	cfn_dispatch_instance_fini(ci);
	cfn_receive_instance_fini(ci);
	cfn_service_table_fini(&ci->services);
	XFREE(MTYPE_CFN_INSTANCE, ci);
}

static int cfn_bgp_delete(struct bgp *bgp)
{
	struct cfn_instance *ci = cfn_instance_get(bgp, false);

	if (ci) {
		CFN_DEBUG(events,
			  "BGP instance %s deleted, dropping its services",
			  bgp->name_pretty);
		listnode_delete(cfn_instances, ci);
		cfn_instance_free(ci);
	}
	return 0;
}

static void cfn_sweep(struct thread *t)
{
	struct listnode *node;
	struct cfn_instance *ci;

	for (ALL_LIST_ELEMENTS_RO(cfn_instances, node, ci)) {
		cfn_originate_sweep(ci);
		cfn_fib_sweep(ci);
	}
	thread_add_timer(THREAD_ARG(t), cfn_sweep, THREAD_ARG(t), 1,
			 &cfn_t_sweep);
}

static int cfn_late_init(struct thread_master *master)
{
	cfn_instances = list_new();
	cfn_vty_init();
	cfn_show_init();
	cfn_debug_init();
	cfn_receive_init();
	cfn_fib_init(master);
	cfn_api_init(master);
	thread_add_timer(master, cfn_sweep, master, 1, &cfn_t_sweep);
	zlog_info("CFN: module %s loaded", CFN_VERSION);
	return 0;
}

static int cfn_fini(void)
{
	struct cfn_instance *ci;

	THREAD_OFF(cfn_t_sweep);
	cfn_api_fini();
	cfn_receive_fini();
	cfn_fib_fini();
	while ((ci = listnode_head(cfn_instances))) {
		listnode_delete(cfn_instances, ci);
		cfn_instance_free(ci);
	}
	list_delete(&cfn_instances);
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
