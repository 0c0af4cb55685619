/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Per-BGP-instance state of the module, and the conversions every glue
 * file shares.
 */
#include <zebra.h>

#include "linklist.h"
#include "memory.h"
#include "cfn_frr_compat.h"

#include "cfn_instance.h"

DEFINE_HOOK(cfn_sid_changed,
	    (struct cfn_instance * ci, const struct cfn_prefix *sid),
	    (ci, sid));

void cfn_instance_sid_changed(struct cfn_instance *ci,
			      const struct cfn_prefix *sid)
{
	hook_call(cfn_sid_changed, ci, sid);
}

DEFINE_MTYPE_STATIC(CFN, CFN_INSTANCE, "CFN per-BGP-instance state");

static struct list *cfn_instances;

void cfn_instances_init(void)
{
	cfn_instances = list_new();
}

void cfn_instances_fini(void)
{
	list_delete(&cfn_instances);
}

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
	ci->budget_waiting = -1;
	cfn_view_init(&ci->view);
	cfn_view_init(&ci->dispatch);
	listnode_add(cfn_instances, ci);
	return ci;
}

void cfn_instance_foreach(void (*fn)(struct cfn_instance *ci, void *arg),
			  void *arg)
{
	struct listnode *node, *next;
	struct cfn_instance *ci;

	for (ALL_LIST_ELEMENTS(cfn_instances, node, next, ci))
		fn(ci, arg);
}

void cfn_instance_free(struct cfn_instance *ci)
{
	listnode_delete(cfn_instances, ci);
	EVENT_OFF(ci->t_delayed);
	cfn_view_fini(&ci->view);
	cfn_view_fini(&ci->dispatch);
	cfn_service_table_fini(&ci->services);
	XFREE(MTYPE_CFN_INSTANCE, ci);
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
