/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CLI of the CFN module: configuration under "router bgp", its
 * running-config, and "show bgp cfn".
 */
#include <zebra.h>

#include "command.h"
#include "json.h"
#include "vty.h"

#include "bgpd/bgpd.h"
#include "bgpd/bgp_vty.h"

#include "cfn_debug.h"
#include "cfn_module.h"

#define CFN_STR "Compute-aware anycast (CFN)\n"
#define CFN_SERVICE_STR "Service reachable at an anycast prefix\n"

#ifndef VTYSH_EXTRACT_PL
#include "bgpd-ext/cfn_vty_clippy.c"
#endif

DEFPY(cfn_service, cfn_service_cmd,
      "cfn service WORD$name sid <A.B.C.D/M|X:X::X:X/M>$sid",
      CFN_STR CFN_SERVICE_STR
      "Service name\n"
      "Anycast prefix naming the service (service ID)\n"
      "IPv4 service ID\n"
      "IPv6 service ID\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, true);
	const struct cfn_service *holder = NULL;
	struct cfn_prefix prefix;
	char reason[128];
	enum cfn_err err;

	if (!cfn_prefix_parse(sid_str, &prefix, reason, sizeof(reason))) {
		vty_out(vty, "%% Invalid SID: %s\n", reason);
		return CMD_WARNING_CONFIG_FAILED;
	}
	err = cfn_service_set(&ci->services, name, &prefix, &holder);
	if (err == CFN_ERR_SID_IN_USE) {
		vty_out(vty, "%% SID %s already names service %s\n", sid_str,
			holder->name);
		return CMD_WARNING_CONFIG_FAILED;
	}
	if (err != CFN_OK) {
		vty_out(vty, "%% Service %s: %s\n", name, cfn_strerror(err));
		return CMD_WARNING_CONFIG_FAILED;
	}
	CFN_DEBUG(events, "%s: service %s sid %s configured", bgp->name_pretty,
		  name, sid_str);
	return CMD_SUCCESS;
}

DEFPY(no_cfn_service, no_cfn_service_cmd,
      "no cfn service WORD$name [sid <A.B.C.D/M|X:X::X:X/M>]",
      NO_STR CFN_STR CFN_SERVICE_STR
      "Service name\n"
      "Anycast prefix naming the service (service ID)\n"
      "IPv4 service ID\n"
      "IPv6 service ID\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, false);

	if (!ci || cfn_service_delete(&ci->services, name) != CFN_OK) {
		vty_out(vty, "%% No CFN service named %s\n", name);
		return CMD_WARNING_CONFIG_FAILED;
	}
	CFN_DEBUG(events, "%s: service %s removed", bgp->name_pretty, name);
	return CMD_SUCCESS;
}

static int cfn_config_write(struct bgp *bgp, struct vty *vty)
{
	struct cfn_instance *ci = cfn_instance_get(bgp, false);
	char sid[CFN_PREFIX_STRLEN];

	if (!ci)
		return 0;
	for (size_t i = 0; i < cfn_service_count(&ci->services); i++) {
		const struct cfn_service *service = cfn_service_at(&ci->services, i);

		vty_out(vty, " cfn service %s sid %s\n", service->name,
			cfn_prefix_format(&service->sid, sid, sizeof(sid)));
	}
	return 0;
}

struct cfn_show_ctx {
	struct vty *vty;
	json_object *json_instances;
};

static void cfn_show_instance_json(struct cfn_instance *ci, json_object *jarr)
{
	json_object *jinst = json_object_new_object();
	json_object *jservices = json_object_new_array();
	char sid[CFN_PREFIX_STRLEN];

	json_object_string_add(jinst, "vrfName",
			       ci->bgp->name ? ci->bgp->name : VRF_DEFAULT_NAME);
	json_object_int_add(jinst, "localAS", ci->bgp->as);
	for (size_t i = 0; i < cfn_service_count(&ci->services); i++) {
		const struct cfn_service *service = cfn_service_at(&ci->services, i);
		json_object *jservice = json_object_new_object();

		json_object_string_add(jservice, "name", service->name);
		json_object_string_add(
			jservice, "sid",
			cfn_prefix_format(&service->sid, sid, sizeof(sid)));
		json_object_array_add(jservices, jservice);
	}
	json_object_object_add(jinst, "services", jservices);
	json_object_array_add(jarr, jinst);
}

static void cfn_show_instance_text(struct cfn_instance *ci, struct vty *vty)
{
	char sid[CFN_PREFIX_STRLEN];

	vty_out(vty, "BGP instance %s, local AS %u: %zu service%s\n",
		ci->bgp->name_pretty, ci->bgp->as, cfn_service_count(&ci->services),
		cfn_service_count(&ci->services) == 1 ? "" : "s");
	if (!cfn_service_count(&ci->services))
		return;
	vty_out(vty, "  %-32s %s\n", "Service", "SID");
	for (size_t i = 0; i < cfn_service_count(&ci->services); i++) {
		const struct cfn_service *service = cfn_service_at(&ci->services, i);

		vty_out(vty, "  %-32s %s\n", service->name,
			cfn_prefix_format(&service->sid, sid, sizeof(sid)));
	}
}

static void cfn_show_instance(struct cfn_instance *ci, void *arg)
{
	struct cfn_show_ctx *ctx = arg;

	if (ctx->json_instances)
		cfn_show_instance_json(ci, ctx->json_instances);
	else
		cfn_show_instance_text(ci, ctx->vty);
}

DEFPY(cfn_show, cfn_show_cmd, "show bgp cfn [json]$uj",
      SHOW_STR BGP_STR CFN_STR JSON_STR)
{
	struct cfn_show_ctx ctx = { .vty = vty };
	json_object *json;

	if (!uj) {
		vty_out(vty, "CFN module %s\n", CFN_VERSION);
		cfn_instance_foreach(cfn_show_instance, &ctx);
		return CMD_SUCCESS;
	}
	json = json_object_new_object();
	ctx.json_instances = json_object_new_array();
	json_object_string_add(json, "version", CFN_VERSION);
	json_object_boolean_add(
		json, "debugEvents",
		DEBUG_MODE_CHECK(&cfn_debug_events, DEBUG_MODE_ALL));
	cfn_instance_foreach(cfn_show_instance, &ctx);
	json_object_object_add(json, "instances", ctx.json_instances);
	vty_json(vty, json);
	return CMD_SUCCESS;
}

void cfn_vty_init(void)
{
	hook_register(bgp_inst_config_write, cfn_config_write);
	install_element(BGP_NODE, &cfn_service_cmd);
	install_element(BGP_NODE, &no_cfn_service_cmd);
	install_element(VIEW_NODE, &cfn_show_cmd);
}
