/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configuration of the CFN module under "router bgp", and its
 * running-config. Every refused command says why and changes nothing.
 */
#include <zebra.h>

#include <math.h>

#include "command.h"
#include "vty.h"

#include "bgpd/bgpd.h"
#include "bgpd/bgp_vty.h"

#include "cfn_attr_bgp.h"
#include "cfn_config_lines.h"
#include "cfn_debug.h"
#include "cfn_edgemeta_bgp.h"
#include "cfn_module.h"
#include "cfn_trust_bgp.h"

#define CFN_STR "Compute-aware anycast (CFN)\n"
#define CFN_SERVICE_STR                                                        \
	"Service reachable at an anycast prefix\n"                             \
	"Service name\n"
#define CFN_INSTANCE_STR                                                       \
	"Local instance of the service\n"                                      \
	"Binding ID: IPv4 address of the instance\n"                           \
	"Binding ID: IPv6 address of the instance\n"
#define CFN_METRIC_TOKEN                                                       \
	"<cpu-utilization|gpu-utilization|memory-utilization|cpu-cores|active-sessions|queue-depth|processing-delay|network-utilization|request-rate|background-utilization>$metric"
#define CFN_METRIC_HELP                                                        \
	"CPU utilisation, percent\n"                                           \
	"GPU utilisation, percent\n"                                           \
	"Memory utilisation, percent\n"                                        \
	"CPU cores available\n"                                                \
	"Active sessions\n"                                                    \
	"Queued requests\n"                                                    \
	"Processing delay, milliseconds\n"                                     \
	"Network utilisation, percent\n"                                       \
	"Requests per second served\n"                                         \
	"Peak utilisation by other work than the service, percent\n"
#define CFN_STATISTIC_HELP                                                     \
	"How the value was measured over the window\n"                         \
	"Latest sample\n"                                                      \
	"Mean\n"                                                               \
	"Minimum\n"                                                            \
	"Maximum\n"

static bool cfn_parse_number(struct vty *vty, const char *what, const char *str,
			     double min, double max, double *out)
{
	double value;

	if (!cfn_parse_decimal(str, &value) || value < min || value > max) {
		vty_out(vty, "%% %s must be a number from %g to %g, not '%s'\n",
			what, min, max, str);
		return false;
	}
	*out = value;
	return true;
}

/* A value the positive form needs and the "no" form may leave out. */
static bool cfn_vty_missing(struct vty *vty, bool no, const void *value,
			    const char *what)
{
	if (no || value)
		return false;
	vty_out(vty, "%% Give %s\n", what);
	return true;
}

static struct cfn_service *
cfn_vty_service(struct vty *vty, struct cfn_instance *ci, const char *name)
{
	struct cfn_service *service =
		ci ? cfn_service_find(&ci->services, name) : NULL;

	if (!service)
		vty_out(vty, "%% No CFN service named %s\n", name);
	return service;
}

static struct cfn_local_instance *cfn_vty_instance(struct vty *vty,
						   struct cfn_service *service,
						   const char *bid_str,
						   struct cfn_prefix *bid)
{
	struct cfn_local_instance *instance;
	char reason[128];

	if (!cfn_bid_parse(bid_str, bid, reason, sizeof(reason))) {
		vty_out(vty, "%% Invalid binding ID: %s\n", reason);
		return NULL;
	}
	instance = cfn_instance_find(service, bid);
	if (!instance)
		vty_out(vty, "%% Service %s has no instance %s\n",
			service->name, bid_str);
	return instance;
}

#ifndef VTYSH_EXTRACT_PL
#include "bgpd-ext/cfn_vty_clippy.c"
#endif

DEFPY(cfn_service, cfn_service_cmd,
      "cfn service WORD$name sid <A.B.C.D/M|X:X::X:X/M>$sid",
      CFN_STR CFN_SERVICE_STR
      "Anycast prefix naming the service (service ID)\n"
      "IPv4 service ID\n"
      "IPv6 service ID\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, true);
	const struct cfn_service *holder = NULL;
	struct cfn_service *service;
	struct cfn_prefix prefix, old_sid;
	char reason[128];
	enum cfn_err err;

	if (!cfn_prefix_parse(sid_str, &prefix, reason, sizeof(reason))) {
		vty_out(vty, "%% Invalid SID: %s\n", reason);
		return CMD_WARNING_CONFIG_FAILED;
	}
	service = cfn_service_find(&ci->services, name);
	if (service)
		old_sid = service->sid;
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
	if (service && !cfn_prefix_equal(&old_sid, &prefix))
		cfn_withdraw_sid(ci, &old_sid);
	cfn_originate_service(ci, cfn_service_find(&ci->services, name));
	CFN_DEBUG(events, "%s: service %s sid %s configured", bgp->name_pretty,
		  name, sid_str);
	return CMD_SUCCESS;
}

DEFPY(no_cfn_service, no_cfn_service_cmd,
      "no cfn service WORD$name [sid <A.B.C.D/M|X:X::X:X/M>]",
      NO_STR CFN_STR CFN_SERVICE_STR
      "Anycast prefix naming the service (service ID)\n"
      "IPv4 service ID\n"
      "IPv6 service ID\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, false);
	struct cfn_service *service = cfn_vty_service(vty, ci, name);
	struct cfn_prefix old_sid;

	if (!service)
		return CMD_WARNING_CONFIG_FAILED;
	old_sid = service->sid;
	cfn_service_delete(&ci->services, name);
	cfn_withdraw_sid(ci, &old_sid);
	CFN_DEBUG(events, "%s: service %s removed", bgp->name_pretty, name);
	return CMD_SUCCESS;
}

DEFPY(cfn_instance, cfn_instance_cmd,
      "cfn service WORD$name instance <A.B.C.D|X:X::X:X>$bid [capacity (0-4294967295)$capacity]",
      CFN_STR CFN_SERVICE_STR CFN_INSTANCE_STR
      "Capacity of the instance, relative to the others (e.g. cores)\n"
      "Capacity\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, false);
	struct cfn_service *service = cfn_vty_service(vty, ci, name);
	struct cfn_local_instance *existing;
	struct cfn_prefix prefix;
	char reason[128];
	enum cfn_err err;

	if (!service)
		return CMD_WARNING_CONFIG_FAILED;
	if (!cfn_bid_parse(bid_str, &prefix, reason, sizeof(reason))) {
		vty_out(vty, "%% Invalid binding ID: %s\n", reason);
		return CMD_WARNING_CONFIG_FAILED;
	}
	existing = cfn_instance_find(service, &prefix);
	err = cfn_instance_set(service, &prefix,
			       capacity_str ? (uint32_t)capacity
			       : existing   ? existing->capacity
					    : 0);
	if (err != CFN_OK) {
		vty_out(vty, "%% Instance %s: %s\n", bid_str,
			cfn_strerror(err));
		return CMD_WARNING_CONFIG_FAILED;
	}
	/* configured now: no hold time, part of the configuration */
	cfn_instance_find(service, &prefix)->dynamic = false;
	cfn_originate_service(ci, service);
	return CMD_SUCCESS;
}

DEFPY(no_cfn_instance, no_cfn_instance_cmd,
      "no cfn service WORD$name instance <A.B.C.D|X:X::X:X>$bid [capacity [(0-4294967295)]]",
      NO_STR CFN_STR CFN_SERVICE_STR CFN_INSTANCE_STR
      "Capacity of the instance\n"
      "Capacity\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, false);
	struct cfn_service *service = cfn_vty_service(vty, ci, name);
	struct cfn_prefix prefix;

	if (!service || !cfn_vty_instance(vty, service, bid_str, &prefix))
		return CMD_WARNING_CONFIG_FAILED;
	cfn_instance_delete(service, &prefix);
	cfn_originate_service(ci, service);
	return CMD_SUCCESS;
}

DEFPY(cfn_instance_drain, cfn_instance_drain_cmd,
      "[no] cfn service WORD$name instance <A.B.C.D|X:X::X:X>$bid drain",
      NO_STR CFN_STR CFN_SERVICE_STR CFN_INSTANCE_STR
      "No new flows to the instance; those it has stay while affinity holds them\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, false);
	struct cfn_service *service = cfn_vty_service(vty, ci, name);
	struct cfn_local_instance *instance;
	struct cfn_prefix prefix;

	if (!service ||
	    !(instance = cfn_vty_instance(vty, service, bid_str, &prefix)))
		return CMD_WARNING_CONFIG_FAILED;
	instance->draining = !no;
	cfn_originate_service(ci, service);
	CFN_DEBUG(events, "%s: service %s instance %s %s", bgp->name_pretty,
		  name, bid_str, no ? "back in service" : "draining");
	return CMD_SUCCESS;
}

DEFPY(cfn_service_drain, cfn_service_drain_cmd,
      "[no] cfn service WORD$name drain",
      NO_STR CFN_STR CFN_SERVICE_STR
      "No new flows to this egress for the service; those it has stay while affinity holds them\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, false);
	struct cfn_service *service = cfn_vty_service(vty, ci, name);

	if (!service)
		return CMD_WARNING_CONFIG_FAILED;
	service->draining = !no;
	cfn_originate_service(ci, service);
	CFN_DEBUG(events, "%s: service %s %s", bgp->name_pretty, name,
		  no ? "back in service" : "draining");
	return CMD_SUCCESS;
}

DEFPY(cfn_service_dispatch, cfn_service_dispatch_cmd,
      "[no] cfn service WORD$name dispatch instances",
      NO_STR CFN_STR CFN_SERVICE_STR
      "How this egress delivers the SID\n"
      "To the service's instances (BIDs as next hops), split by the selection policy\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, false);
	struct cfn_service *service = cfn_vty_service(vty, ci, name);

	if (!service)
		return CMD_WARNING_CONFIG_FAILED;
	service->dispatch = !no;
	cfn_dispatch_service(ci, service);
	return CMD_SUCCESS;
}

DEFPY(cfn_instance_metric, cfn_instance_metric_cmd,
      "cfn service WORD$name instance <A.B.C.D|X:X::X:X>$bid metric " CFN_METRIC_TOKEN
      " WORD$value [statistic <current|mean|min|max>$stat]",
      CFN_STR CFN_SERVICE_STR CFN_INSTANCE_STR
      "A measured (L0) metric of the instance\n" CFN_METRIC_HELP
      "Value, in the metric's unit\n" CFN_STATISTIC_HELP)
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, false);
	struct cfn_service *service = cfn_vty_service(vty, ci, name);
	const struct cfn_metric_desc *desc = cfn_metric_desc_by_name(metric);
	enum cfn_statistic statistic = CFN_STAT_CURRENT;
	struct cfn_local_instance *instance;
	struct cfn_metric_value mv;
	struct cfn_prefix prefix;
	char reason[128];
	double units;

	if (!service ||
	    !(instance = cfn_vty_instance(vty, service, bid_str, &prefix)))
		return CMD_WARNING_CONFIG_FAILED;
	if (stat)
		cfn_statistic_by_name(stat, &statistic);
	if (!cfn_parse_number(vty, metric, value, 0, desc->max, &units))
		return CMD_WARNING_CONFIG_FAILED;
	if (!cfn_metric_value_from_units(desc->type, statistic, units, &mv,
					 reason, sizeof(reason))) {
		vty_out(vty, "%% %s\n", reason);
		return CMD_WARNING_CONFIG_FAILED;
	}
	if (cfn_instance_metric_set(instance, &mv) != CFN_OK) {
		vty_out(vty, "%% Instance %s: %s (at most %d)\n", bid_str,
			cfn_strerror(CFN_ERR_TOO_MANY_METRICS),
			CFN_METRICS_MAX);
		return CMD_WARNING_CONFIG_FAILED;
	}
	cfn_originate_service(ci, service);
	return CMD_SUCCESS;
}

DEFPY(no_cfn_instance_metric, no_cfn_instance_metric_cmd,
      "no cfn service WORD$name instance <A.B.C.D|X:X::X:X>$bid metric " CFN_METRIC_TOKEN
      " [WORD] [statistic <current|mean|min|max>$stat]",
      NO_STR CFN_STR CFN_SERVICE_STR CFN_INSTANCE_STR
      "A measured (L0) metric of the instance\n" CFN_METRIC_HELP
      "Value, in the metric's unit\n" CFN_STATISTIC_HELP)
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, false);
	struct cfn_service *service = cfn_vty_service(vty, ci, name);
	const struct cfn_metric_desc *desc = cfn_metric_desc_by_name(metric);
	enum cfn_statistic statistic = CFN_STAT_CURRENT;
	struct cfn_local_instance *instance;
	struct cfn_prefix prefix;

	if (!service ||
	    !(instance = cfn_vty_instance(vty, service, bid_str, &prefix)))
		return CMD_WARNING_CONFIG_FAILED;
	if (stat)
		cfn_statistic_by_name(stat, &statistic);
	if (!cfn_metric_set_remove(&instance->metrics, desc->type, statistic)) {
		vty_out(vty, "%% Instance %s has no %s %s value\n", bid_str,
			cfn_statistic_name(statistic), metric);
		return CMD_WARNING_CONFIG_FAILED;
	}
	cfn_originate_service(ci, service);
	return CMD_SUCCESS;
}

/* Scores are computed at the egress: re-advertise with the new model. */
static void cfn_model_changed(struct cfn_instance *ci)
{
	cfn_originate_all(ci);
}

DEFPY(cfn_metric_norm, cfn_metric_norm_cmd,
      "cfn metric " CFN_METRIC_TOKEN
      " normalize <min-max$minmax WORD$lo WORD$hi|sigmoid$sigmoid WORD$mid WORD$scale>",
      CFN_STR
      "How a measured (L0) metric becomes a 0..10 score\n" CFN_METRIC_HELP
      "Normalisation function\n"
      "Linear between two values\n"
      "Value scoring 10 (or 0 when higher is better)\n"
      "Value scoring 0 (or 10 when higher is better)\n"
      "Logistic curve\n"
      "Value scoring 5\n"
      "Distance from the midpoint where the score reaches ~2.7 or ~7.3\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, true);
	const struct cfn_metric_desc *desc = cfn_metric_desc_by_name(metric);
	struct cfn_norm norm = {};
	double a, b;

	if (minmax) {
		if (!cfn_parse_number(vty, "min", lo, 0, desc->max, &a) ||
		    !cfn_parse_number(vty, "max", hi, 0, desc->max, &b))
			return CMD_WARNING_CONFIG_FAILED;
		if (a >= b) {
			vty_out(vty, "%% min must be below max\n");
			return CMD_WARNING_CONFIG_FAILED;
		}
		norm = (struct cfn_norm){
			.method = CFN_NORM_MIN_MAX, .min = a, .max = b};
	} else {
		if (!cfn_parse_number(vty, "midpoint", mid, 0, desc->max, &a) ||
		    !cfn_parse_number(vty, "scale", scale, 1e-6, desc->max, &b))
			return CMD_WARNING_CONFIG_FAILED;
		norm = (struct cfn_norm){
			.method = CFN_NORM_SIGMOID, .midpoint = a, .scale = b};
	}
	ci->model.metric[desc->type].norm = norm;
	cfn_model_changed(ci);
	return CMD_SUCCESS;
}

DEFPY(cfn_metric_weight, cfn_metric_weight_cmd,
      "cfn metric " CFN_METRIC_TOKEN " weight WORD$weight",
      CFN_STR
      "How a measured (L0) metric becomes a 0..10 score\n" CFN_METRIC_HELP
      "Weight of the metric within its category (0 ignores it)\n"
      "Weight, 0 to 1000\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, true);
	const struct cfn_metric_desc *desc = cfn_metric_desc_by_name(metric);
	double w;

	if (!cfn_parse_number(vty, "weight", weight, 0, 1000, &w))
		return CMD_WARNING_CONFIG_FAILED;
	ci->model.metric[desc->type].weight = w;
	cfn_model_changed(ci);
	return CMD_SUCCESS;
}

DEFPY(no_cfn_metric, no_cfn_metric_cmd,
      "no cfn metric " CFN_METRIC_TOKEN
      " [<normalize$norm [<min-max|sigmoid> WORD WORD]|weight$weight [WORD]>]",
      NO_STR CFN_STR
      "How a measured (L0) metric becomes a 0..10 score\n" CFN_METRIC_HELP
      "Normalisation function: back to the default\n"
      "Linear (ignored)\n"
      "Sigmoid (ignored)\n"
      "Ignored\n"
      "Ignored\n"
      "Weight: back to the default\n"
      "Ignored\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, true);
	const struct cfn_metric_desc *desc = cfn_metric_desc_by_name(metric);
	struct cfn_metric_model defaults;

	cfn_metric_model_default(&defaults);
	if (!weight)
		ci->model.metric[desc->type].norm =
			defaults.metric[desc->type].norm;
	if (!norm)
		ci->model.metric[desc->type].weight =
			defaults.metric[desc->type].weight;
	cfn_model_changed(ci);
	return CMD_SUCCESS;
}

DEFPY(cfn_category_weight, cfn_category_weight_cmd,
      "[no] cfn category <compute|communication|service>$category weight [WORD$weight]",
      NO_STR CFN_STR
      "A metric category (L1 score)\n"
      "Compute: CPU, GPU, memory\n"
      "Communication: network utilisation\n"
      "Service: sessions, queue, processing delay\n"
      "Weight of the category in the single (L2) score\n"
      "Weight, 0 to 1000\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, true);
	enum cfn_category cat;
	double w = 1;

	cfn_category_by_name(category, &cat);
	if (!no && !weight) {
		vty_out(vty, "%% Give a weight from 0 to 1000\n");
		return CMD_WARNING_CONFIG_FAILED;
	}
	if (!no && !cfn_parse_number(vty, "weight", weight, 0, 1000, &w))
		return CMD_WARNING_CONFIG_FAILED;
	ci->model.category_weight[cat] = w;
	cfn_model_changed(ci);
	return CMD_SUCCESS;
}

DEFPY(cfn_attribute_type, cfn_attribute_type_cmd,
      "[no] cfn attribute-type [(1-255)$type]",
      NO_STR CFN_STR
      "BGP path attribute type code carrying CFN data (default 255)\n"
      "Type code, the same on every CFN node\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, true);
	unsigned int code = no ? CFN_ATTR_TYPE_DEFAULT : type;

	if (!no && !type_str) {
		vty_out(vty, "%% Give an attribute type code from 1 to 255\n");
		return CMD_WARNING_CONFIG_FAILED;
	}
	if (!cfn_attr_type_usable(code)) {
		vty_out(vty,
			"%% Attribute type %u is one bgpd parses itself; choose another (255 is reserved for development, RFC 2042)\n",
			code);
		return CMD_WARNING_CONFIG_FAILED;
	}
	if (code == ci->attr_type)
		return CMD_SUCCESS;
	ci->attr_type = (uint8_t)code;
	cfn_originate_all(ci);
	cfn_receive_rescan(ci);
	return CMD_SUCCESS;
}

/*
 * Selection policy, as the default ("cfn selection ...") or for one
 * service ("cfn service NAME selection ..."). "no" restores the default
 * (for a service: follows the default again).
 */
DEFPY(cfn_selection, cfn_selection_cmd,
      "[no] cfn [service WORD$name] selection <mode$mode_kw [<best|weighted|balanced>$mode]|weight$weight_kw [compute WORD$wc network WORD$wn]|igp-cost-max$cost_kw [(1-4294967295)$cost_max]|min-score$min_kw [(0-10)$min_score]|max-utilization$util_kw [WORD$max_util]|stale-after$stale_kw [(0-86400)$stale]|hysteresis$hyst_kw [WORD$hyst]|weight-threshold$wthr_kw [WORD$wthr]|max-paths$paths_kw [(1-16)$max_paths]|network-penalty$pen_kw [WORD$penalty]|spill-at$spill_kw [WORD$spill]|affinity$aff_kw [idle-timeout (1-86400)$aff_idle [buckets (8-4096)$aff_buckets]]>",
      NO_STR CFN_STR CFN_SERVICE_STR
      "How the egresses of a service are chosen\n"
      "Selection mode\n"
      "One egress, the best\n"
      "Several egresses, weights proportional to score x capacity\n"
      "Several egresses, water-filling the demand over free capacity (recommended)\n"
      "Weights of the two parts of an egress's score\n"
      "Compute: the egress's L2 score\n"
      "Weight, 0 to 1000\n"
      "Network: the IGP cost to the egress\n"
      "Weight, 0 to 1000\n"
      "IGP cost at which the network part of the score is 0\n"
      "IGP cost\n"
      "Egresses scoring (L2) below this are not eligible\n"
      "Score, 0 to 10 (IETF CATS: 0-3 not recommended)\n"
      "Egresses with an instance above this utilisation are not eligible\n"
      "Percent, 0 to 100\n"
      "Egresses whose data is older than this are not eligible\n"
      "Seconds (0: never stale)\n"
      "Best mode: another egress must score this much more to take over\n"
      "Score points, 0 to 10\n"
      "Weighted mode: weights change only when one moves by this much\n"
      "Percent of the weight range, 0 to 100\n"
      "Weighted mode: most egresses used\n"
      "Count\n"
      "Balanced mode: utilisation added to an egress at igp-cost-max\n"
      "Percent, 0 to 100\n"
      "Balanced mode: utilisation to which the nearest egresses fill before farther ones get new flows\n"
      "Percent, 0 to 100 (0: water-fill all at once)\n"
      "Flow affinity: established flows stay on their egress (resilient nexthop group)\n"
      "Idle time after which a flow may move\n"
      "Seconds\n"
      "Buckets of the group (default 128)\n"
      "Buckets\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, true);
	struct cfn_service *service = NULL;
	struct cfn_policy defaults, *policy = &ci->policy;
	const char *value;
	unsigned int field;
	double a = 0, b = 0;

	if (name) {
		service = cfn_vty_service(vty, ci, name);
		if (!service)
			return CMD_WARNING_CONFIG_FAILED;
		policy = &service->policy;
	}
	value = mode_kw	    ? mode
		: weight_kw ? wc
		: cost_kw   ? cost_max_str
		: min_kw    ? min_score_str
		: util_kw   ? max_util
		: stale_kw  ? stale_str
		: hyst_kw   ? hyst
		: wthr_kw   ? wthr
		: paths_kw  ? max_paths_str
		: pen_kw    ? penalty
		: spill_kw  ? spill
			    : aff_idle_str;
	if (cfn_vty_missing(vty, no, value, "a value"))
		return CMD_WARNING_CONFIG_FAILED;
	if (mode_kw) {
		field = CFN_POLICY_MODE;
		if (!no)
			cfn_select_mode_by_name(mode, &policy->mode);
	} else if (weight_kw) {
		field = CFN_POLICY_WEIGHTS;
		if (!no &&
		    (!cfn_parse_number(vty, "compute weight", wc, 0, 1000,
				       &a) ||
		     !cfn_parse_number(vty, "network weight", wn, 0, 1000, &b)))
			return CMD_WARNING_CONFIG_FAILED;
		if (!no && a + b <= 0) {
			vty_out(vty,
				"%% At least one weight must be positive\n");
			return CMD_WARNING_CONFIG_FAILED;
		}
		if (!no) {
			policy->compute_weight = a;
			policy->network_weight = b;
		}
	} else if (cost_kw) {
		field = CFN_POLICY_IGP_COST_MAX;
		if (!no)
			policy->igp_cost_max = (uint32_t)cost_max;
	} else if (min_kw) {
		field = CFN_POLICY_MIN_SCORE;
		if (!no)
			policy->min_score = (uint8_t)min_score;
	} else if (util_kw) {
		field = CFN_POLICY_MAX_UTILIZATION;
		if (!no && !cfn_parse_number(vty, "max-utilization", max_util,
					     0, 100, &policy->max_utilization))
			return CMD_WARNING_CONFIG_FAILED;
	} else if (stale_kw) {
		field = CFN_POLICY_STALE_AFTER;
		if (!no)
			policy->stale_after_s = (uint32_t)stale;
	} else if (hyst_kw) {
		field = CFN_POLICY_HYSTERESIS;
		if (!no && !cfn_parse_number(vty, "hysteresis", hyst, 0, 10,
					     &policy->hysteresis))
			return CMD_WARNING_CONFIG_FAILED;
	} else if (wthr_kw) {
		field = CFN_POLICY_WEIGHT_THRESHOLD;
		if (!no && !cfn_parse_number(vty, "weight-threshold", wthr, 0,
					     100, &policy->weight_threshold))
			return CMD_WARNING_CONFIG_FAILED;
	} else if (paths_kw) {
		field = CFN_POLICY_MAX_PATHS;
		if (!no)
			policy->max_paths = (uint8_t)max_paths;
	} else if (pen_kw) {
		field = CFN_POLICY_NETWORK_PENALTY;
		if (!no && !cfn_parse_number(vty, "network-penalty", penalty, 0,
					     100, &policy->network_penalty))
			return CMD_WARNING_CONFIG_FAILED;
	} else if (spill_kw) {
		field = CFN_POLICY_SPILL_AT;
		if (!no && !cfn_parse_number(vty, "spill-at", spill, 0, 100,
					     &policy->spill_at))
			return CMD_WARNING_CONFIG_FAILED;
	} else {
		field = CFN_POLICY_AFFINITY;
		if (!no) {
			policy->affinity_idle_s = (uint32_t)aff_idle;
			policy->affinity_buckets =
				aff_buckets_str ? (uint16_t)aff_buckets : 128;
		}
	}
	if (service) {
		if (no)
			service->policy_fields &= ~field;
		else
			service->policy_fields |= field;
	} else if (no) {
		cfn_policy_default(&defaults);
		cfn_policy_merge(policy, &defaults, field);
	}
	cfn_fib_select_all(ci);
	return CMD_SUCCESS;
}

DEFPY(cfn_api, cfn_api_cmd,
      "[no] cfn api <socket$sock_kw [PATH$path]|tcp$tcp_kw [A.B.C.D$addr port (1-65535)$port]|max-clients$clients_kw [(1-1024)$clients]|max-clients-per-user$per_user_kw [(1-1024)$per_user]|idle-timeout$idle_kw [(0-86400)$idle]|max-frame$frame_kw [(64-1048576)$frame]|max-instances$inst_kw [(1-64)$instances]|hold-time$hold_kw [(1-86400)$hold]|stale-after$stale_kw [(0-86400)$stale]>",
      NO_STR CFN_STR
      "Service notification API (protobuf over a stream socket)\n"
      "Unix socket path (default: cfn-api.sock in FRR's run directory)\n"
      "Path\n"
      "Also listen on TCP (off by default)\n"
      "Local address\n"
      "TCP port\n"
      "Port\n"
      "Most clients connected at once; root and bgpd's user may exceed it (default 64)\n"
      "Clients\n"
      "Most clients of one user (Unix: uid; TCP: source address) at once (default 8)\n"
      "Clients\n"
      "Close a connection without a request for this long (default 60, 0 never)\n"
      "Seconds\n"
      "Largest request accepted, octets (default 65536)\n"
      "Octets\n"
      "Most instances per service (default 64)\n"
      "Instances\n"
      "Hold time of instances that register without one (default 30)\n"
      "Seconds\n"
      "Instances without a metric report for this long are stale (default 15, 0 never)\n"
      "Seconds\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_api_config config = *cfn_api_config(), defaults;
	const char *value;

	if (bgp->inst_type != BGP_INSTANCE_TYPE_DEFAULT) {
		vty_out(vty,
			"%% The API serves the default BGP instance only\n");
		return CMD_WARNING_CONFIG_FAILED;
	}
	cfn_api_config_default(&defaults);
	value = sock_kw	      ? path
		: tcp_kw      ? addr_str
		: clients_kw  ? clients_str
		: per_user_kw ? per_user_str
		: idle_kw     ? idle_str
		: frame_kw    ? frame_str
		: inst_kw     ? instances_str
		: hold_kw     ? hold_str
			      : stale_str;
	if (cfn_vty_missing(vty, no, value, "a value"))
		return CMD_WARNING_CONFIG_FAILED;
	if (sock_kw) {
		if (!no && (path[0] != '/' ||
			    strlen(path) >= sizeof(config.socket_path))) {
			vty_out(vty,
				"%% Give an absolute path of at most %zu characters\n",
				sizeof(config.socket_path) - 1);
			return CMD_WARNING_CONFIG_FAILED;
		}
		strlcpy(config.socket_path, no ? "" : path,
			sizeof(config.socket_path));
	} else if (tcp_kw) {
		config.tcp_address = no ? defaults.tcp_address : addr;
		config.tcp_port = no ? 0 : (uint16_t)port;
	} else if (clients_kw) {
		config.max_clients =
			no ? defaults.max_clients : (uint32_t)clients;
	} else if (per_user_kw) {
		config.max_clients_per_user =
			no ? defaults.max_clients_per_user : (uint32_t)per_user;
	} else if (idle_kw) {
		config.idle_timeout_s =
			no ? defaults.idle_timeout_s : (uint32_t)idle;
	} else if (frame_kw) {
		config.limits.max_frame =
			no ? defaults.limits.max_frame : (uint32_t)frame;
	} else if (inst_kw) {
		config.limits.max_instances = no ? defaults.limits.max_instances
						 : (uint32_t)instances;
	} else if (hold_kw) {
		config.limits.default_hold_s =
			no ? defaults.limits.default_hold_s : (uint32_t)hold;
	} else {
		config.limits.stale_after_s =
			no ? defaults.limits.stale_after_s : (uint32_t)stale;
	}
	cfn_api_set_config(&config);
	return CMD_SUCCESS;
}

DEFPY(cfn_damping, cfn_damping_cmd,
      "[no] cfn damping <min-interval$min_kw [(0-3600000)$min_ms]|max-interval$max_kw [(0-86400)$max_s]|max-rate$rate_kw [(0-100000)$rate]|threshold " CFN_METRIC_TOKEN
      " [relative WORD$rel absolute WORD$abs]>",
      NO_STR CFN_STR
      "When metric changes are advertised in BGP\n"
      "Least time between two metric updates of a SID (default 1000)\n"
      "Milliseconds\n"
      "Refresh an unchanged advertisement this often (default 0: never)\n"
      "Seconds\n"
      "Metric updates this node sends, all SIDs together (default 0: no limit)\n"
      "Updates per second; beyond them the largest changes go first\n"
      "How much a metric must move to be advertised\n" CFN_METRIC_HELP
      "Relative to the advertised value\n"
      "Percent, 0 to 1000\n"
      "In the metric's unit\n"
      "Amount\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);
	struct cfn_instance *ci = cfn_instance_get(bgp, true);
	struct cfn_damping defaults;
	const struct cfn_metric_desc *desc;
	double r, a;

	cfn_damping_default(&defaults);
	if (cfn_vty_missing(vty, no,
			    min_kw    ? min_ms_str
			    : max_kw  ? max_s_str
			    : rate_kw ? rate_str
				      : rel,
			    "a value"))
		return CMD_WARNING_CONFIG_FAILED;
	if (min_kw) {
		ci->damping.min_interval_ms =
			no ? defaults.min_interval_ms : (uint32_t)min_ms;
	} else if (max_kw) {
		ci->damping.max_interval_s =
			no ? defaults.max_interval_s : (uint32_t)max_s;
	} else if (rate_kw) {
		ci->damping.max_rate = no ? defaults.max_rate : (uint32_t)rate;
	} else {
		desc = cfn_metric_desc_by_name(metric);
		if (no) {
			ci->damping.threshold[desc->type] =
				defaults.threshold[desc->type];
			return CMD_SUCCESS;
		}
		if (!cfn_parse_number(vty, "relative", rel, 0, 1000, &r) ||
		    !cfn_parse_number(vty, "absolute", abs, 0, desc->max, &a))
			return CMD_WARNING_CONFIG_FAILED;
		ci->damping.threshold[desc->type] =
			(struct cfn_damp_threshold){r / 100, a};
	}
	return CMD_SUCCESS;
}

/*
 * Running-config lines are the formats of lib/cfn_config_lines.c, which
 * cfn-netconfd reads too, filled with the values below.
 */
#define CFN_VALUE_LEN 64
#define CFN_U(x) cfn_value_u((char[CFN_VALUE_LEN]){0}, (x))
#define CFN_G(x) cfn_value_g((char[CFN_VALUE_LEN]){0}, (x))
#define CFN_VALUES(...) ((const char *const[]){__VA_ARGS__})
#define CFN_NVALUES(...) (sizeof(CFN_VALUES(__VA_ARGS__)) / sizeof(char *))
#define cfn_write_line(vty, scope, format, ...)                                \
	cfn_write_filled(vty, scope, format, CFN_VALUES(__VA_ARGS__),          \
			 CFN_NVALUES(__VA_ARGS__))
#define cfn_write_config(vty, id, ...)                                         \
	cfn_write_line(vty, NULL, cfn_config_lines[id].format, __VA_ARGS__)

static const char *cfn_value_u(char *buf, unsigned int value)
{
	snprintf(buf, CFN_VALUE_LEN, "%u", value);
	return buf;
}

static const char *cfn_value_g(char *buf, double value)
{
	snprintf(buf, CFN_VALUE_LEN, "%g", value);
	return buf;
}

/* scope: NULL, or the filled-in words that precede a policy line */
static void cfn_write_filled(struct vty *vty, const char *scope,
			     const char *format, const char *const *values,
			     size_t n)
{
	char line[512];

	/* the table and the writers are compiled together: a mismatch is
	 * a bug that must not cut the configuration silently */
	if (!cfn_config_line_fill(format, values, n, line, sizeof(line))) {
		zlog_err("CFN: cannot write configuration line '%s'", format);
		return;
	}
	if (scope)
		vty_out(vty, " cfn %s %s\n", scope, line);
	else
		vty_out(vty, " cfn %s\n", line);
}

static void cfn_config_write_norm(struct vty *vty, const char *name,
				  const struct cfn_norm *norm)
{
	if (norm->method == CFN_NORM_SIGMOID)
		cfn_write_config(vty, CFN_LINE_METRIC_SIGMOID, name,
				 CFN_G(norm->midpoint), CFN_G(norm->scale));
	else
		cfn_write_config(vty, CFN_LINE_METRIC_MIN_MAX, name,
				 CFN_G(norm->min), CFN_G(norm->max));
}

static void cfn_config_write_model(struct vty *vty,
				   const struct cfn_metric_model *model)
{
	struct cfn_metric_model defaults;

	cfn_metric_model_default(&defaults);
	for (unsigned int t = 1; t <= CFN_METRIC_TYPE_MAX; t++) {
		const struct cfn_metric_policy *policy = &model->metric[t];
		const char *name = cfn_metric_desc((uint16_t)t)->name;

		if (!cfn_norm_equal(&policy->norm, &defaults.metric[t].norm))
			cfn_config_write_norm(vty, name, &policy->norm);
		if (policy->weight != defaults.metric[t].weight)
			cfn_write_config(vty, CFN_LINE_METRIC_WEIGHT, name,
					 CFN_G(policy->weight));
	}
	for (unsigned int c = 0; c < CFN_CATEGORY_COUNT; c++)
		if (model->category_weight[c] != defaults.category_weight[c])
			cfn_write_config(vty, CFN_LINE_CATEGORY_WEIGHT,
					 cfn_category_name(c),
					 CFN_G(model->category_weight[c]));
}

static void cfn_config_write_instance(struct vty *vty,
				      const struct cfn_service *service,
				      const struct cfn_local_instance *inst)
{
	char bid[CFN_PREFIX_STRLEN];

	/* a BID is a host address: written without its length */
	cfn_prefix_format(&inst->bid, bid, sizeof(bid));
	*strchr(bid, '/') = '\0';
	cfn_write_config(vty, CFN_LINE_SERVICE_INSTANCE, service->name, bid,
			 CFN_U(inst->capacity));
	for (unsigned int m = 0; m < inst->metrics.count; m++) {
		const struct cfn_metric_value *mv = &inst->metrics.values[m];

		cfn_write_config(vty, CFN_LINE_SERVICE_INSTANCE_METRIC,
				 service->name, bid,
				 cfn_metric_desc(mv->type)->name,
				 CFN_G(cfn_metric_value_units(mv)),
				 cfn_statistic_name(mv->statistic));
	}
	if (inst->draining)
		cfn_write_config(vty, CFN_LINE_SERVICE_INSTANCE_DRAIN,
				 service->name, bid);
}

static void cfn_config_write_service(struct vty *vty,
				     const struct cfn_service *service)
{
	char sid[CFN_PREFIX_STRLEN];

	cfn_write_config(vty, CFN_LINE_SERVICE, service->name,
			 cfn_prefix_format(&service->sid, sid, sizeof(sid)));
	for (size_t i = 0; i < service->instances.count; i++) {
		const struct cfn_local_instance *inst =
			cfn_instance_at(service, i);

		if (!inst->dynamic) /* else registered over the API */
			cfn_config_write_instance(vty, service, inst);
	}
	if (service->draining)
		cfn_write_config(vty, CFN_LINE_SERVICE_DRAIN, service->name);
	if (service->dispatch)
		cfn_write_config(vty, CFN_LINE_SERVICE_DISPATCH, service->name,
				 "instances");
}

/* The fields of policy that differ from the defaults. */
static unsigned int cfn_policy_changed(const struct cfn_policy *policy)
{
	struct cfn_policy d;
	unsigned int fields = 0;

	cfn_policy_default(&d);
	if (policy->mode != d.mode)
		fields |= CFN_POLICY_MODE;
	if (policy->compute_weight != d.compute_weight ||
	    policy->network_weight != d.network_weight)
		fields |= CFN_POLICY_WEIGHTS;
	if (policy->igp_cost_max != d.igp_cost_max)
		fields |= CFN_POLICY_IGP_COST_MAX;
	if (policy->min_score != d.min_score)
		fields |= CFN_POLICY_MIN_SCORE;
	if (policy->max_utilization != d.max_utilization)
		fields |= CFN_POLICY_MAX_UTILIZATION;
	if (policy->stale_after_s != d.stale_after_s)
		fields |= CFN_POLICY_STALE_AFTER;
	if (policy->hysteresis != d.hysteresis)
		fields |= CFN_POLICY_HYSTERESIS;
	if (policy->weight_threshold != d.weight_threshold)
		fields |= CFN_POLICY_WEIGHT_THRESHOLD;
	if (policy->max_paths != d.max_paths)
		fields |= CFN_POLICY_MAX_PATHS;
	if (policy->network_penalty != d.network_penalty)
		fields |= CFN_POLICY_NETWORK_PENALTY;
	if (policy->spill_at != d.spill_at)
		fields |= CFN_POLICY_SPILL_AT;
	if (policy->affinity_idle_s != d.affinity_idle_s ||
	    policy->affinity_buckets != d.affinity_buckets)
		fields |= CFN_POLICY_AFFINITY;
	return fields;
}

#define cfn_write_policy(vty, scope, id, ...)                                  \
	cfn_write_line(vty, scope, cfn_policy_lines[id].format, __VA_ARGS__)

/* The policy's numeric settings that are in fields. */
static void cfn_config_write_policy_limits(struct vty *vty, const char *scope,
					   const struct cfn_policy *p,
					   unsigned int fields)
{
	if (fields & CFN_POLICY_IGP_COST_MAX)
		cfn_write_policy(vty, scope, CFN_POLICY_LINE_IGP_COST_MAX,
				 CFN_U(p->igp_cost_max));
	if (fields & CFN_POLICY_MIN_SCORE)
		cfn_write_policy(vty, scope, CFN_POLICY_LINE_MIN_SCORE,
				 CFN_U(p->min_score));
	if (fields & CFN_POLICY_MAX_UTILIZATION)
		cfn_write_policy(vty, scope, CFN_POLICY_LINE_MAX_UTILIZATION,
				 CFN_G(p->max_utilization));
	if (fields & CFN_POLICY_STALE_AFTER)
		cfn_write_policy(vty, scope, CFN_POLICY_LINE_STALE_AFTER,
				 CFN_U(p->stale_after_s));
	if (fields & CFN_POLICY_HYSTERESIS)
		cfn_write_policy(vty, scope, CFN_POLICY_LINE_HYSTERESIS,
				 CFN_G(p->hysteresis));
	if (fields & CFN_POLICY_WEIGHT_THRESHOLD)
		cfn_write_policy(vty, scope, CFN_POLICY_LINE_WEIGHT_THRESHOLD,
				 CFN_G(p->weight_threshold));
	if (fields & CFN_POLICY_MAX_PATHS)
		cfn_write_policy(vty, scope, CFN_POLICY_LINE_MAX_PATHS,
				 CFN_U(p->max_paths));
	if (fields & CFN_POLICY_NETWORK_PENALTY)
		cfn_write_policy(vty, scope, CFN_POLICY_LINE_NETWORK_PENALTY,
				 CFN_G(p->network_penalty));
	if (fields & CFN_POLICY_SPILL_AT)
		cfn_write_policy(vty, scope, CFN_POLICY_LINE_SPILL_AT,
				 CFN_G(p->spill_at));
}

/* scope: the filled-in words of cfn_policy_scopes before each line */
static void cfn_config_write_policy(struct vty *vty, const char *scope,
				    const struct cfn_policy *p,
				    unsigned int fields)
{
	if (fields & CFN_POLICY_MODE)
		cfn_write_policy(vty, scope, CFN_POLICY_LINE_MODE,
				 cfn_select_mode_name(p->mode));
	if (fields & CFN_POLICY_WEIGHTS)
		cfn_write_policy(vty, scope, CFN_POLICY_LINE_WEIGHT,
				 CFN_G(p->compute_weight),
				 CFN_G(p->network_weight));
	cfn_config_write_policy_limits(vty, scope, p, fields);
	if ((fields & CFN_POLICY_AFFINITY) && p->affinity_idle_s)
		cfn_write_policy(vty, scope, CFN_POLICY_LINE_AFFINITY,
				 CFN_U(p->affinity_idle_s),
				 CFN_U(p->affinity_buckets));
}

static void cfn_config_write_api_limits(struct vty *vty,
					const struct cfn_api_limits *l,
					const struct cfn_api_limits *d)
{
	if (l->max_frame != d->max_frame)
		cfn_write_config(vty, CFN_LINE_API_MAX_FRAME,
				 CFN_U(l->max_frame));
	if (l->max_instances != d->max_instances)
		cfn_write_config(vty, CFN_LINE_API_MAX_INSTANCES,
				 CFN_U(l->max_instances));
	if (l->default_hold_s != d->default_hold_s)
		cfn_write_config(vty, CFN_LINE_API_HOLD_TIME,
				 CFN_U(l->default_hold_s));
	if (l->stale_after_s != d->stale_after_s)
		cfn_write_config(vty, CFN_LINE_API_STALE_AFTER,
				 CFN_U(l->stale_after_s));
}

static void cfn_config_write_api(struct vty *vty)
{
	const struct cfn_api_config *c = cfn_api_config();
	struct cfn_api_config d;
	char address[INET_ADDRSTRLEN];

	cfn_api_config_default(&d);
	if (c->socket_path[0])
		cfn_write_config(vty, CFN_LINE_API_SOCKET, c->socket_path);
	if (c->tcp_port)
		cfn_write_config(vty, CFN_LINE_API_TCP,
				 inet_ntop(AF_INET, &c->tcp_address, address,
					   sizeof(address)),
				 CFN_U(c->tcp_port));
	if (c->max_clients != d.max_clients)
		cfn_write_config(vty, CFN_LINE_API_MAX_CLIENTS,
				 CFN_U(c->max_clients));
	if (c->max_clients_per_user != d.max_clients_per_user)
		cfn_write_config(vty, CFN_LINE_API_MAX_CLIENTS_PER_USER,
				 CFN_U(c->max_clients_per_user));
	if (c->idle_timeout_s != d.idle_timeout_s)
		cfn_write_config(vty, CFN_LINE_API_IDLE_TIMEOUT,
				 CFN_U(c->idle_timeout_s));
	cfn_config_write_api_limits(vty, &c->limits, &d.limits);
}

static void cfn_config_write_damping(struct vty *vty,
				     const struct cfn_damping *damping)
{
	struct cfn_damping d;

	cfn_damping_default(&d);
	if (damping->min_interval_ms != d.min_interval_ms)
		cfn_write_config(vty, CFN_LINE_DAMPING_MIN_INTERVAL,
				 CFN_U(damping->min_interval_ms));
	if (damping->max_interval_s != d.max_interval_s)
		cfn_write_config(vty, CFN_LINE_DAMPING_MAX_INTERVAL,
				 CFN_U(damping->max_interval_s));
	if (damping->max_rate != d.max_rate)
		cfn_write_config(vty, CFN_LINE_DAMPING_MAX_RATE,
				 CFN_U(damping->max_rate));
	for (unsigned int t = 1; t <= CFN_METRIC_TYPE_MAX; t++)
		if (damping->threshold[t].relative != d.threshold[t].relative ||
		    damping->threshold[t].absolute != d.threshold[t].absolute)
			cfn_write_config(
				vty, CFN_LINE_DAMPING_THRESHOLD,
				cfn_metric_desc((uint16_t)t)->name,
				CFN_G(damping->threshold[t].relative * 100),
				CFN_G(damping->threshold[t].absolute));
}

static void cfn_config_write_trust(const char *name,
				   const struct cfn_trust_config *config,
				   void *arg)
{
	const struct cfn_trust_policy *v = &config->values;
	struct vty *vty = arg;

	if (config->set & CFN_TRUST_ACCEPT)
		cfn_write_config(vty, CFN_LINE_NEIGHBOR_DATA, name,
				 v->accept ? "accept" : "ignore");
	if (config->set & CFN_TRUST_MAX_SCORE)
		cfn_write_config(vty, CFN_LINE_NEIGHBOR_MAX_SCORE, name,
				 CFN_U(v->max_score));
	if (config->set & CFN_TRUST_MAX_CAPACITY)
		cfn_write_config(vty, CFN_LINE_NEIGHBOR_MAX_CAPACITY, name,
				 CFN_U(v->max_capacity));
	if (config->set & CFN_TRUST_MAX_SIDS)
		cfn_write_config(vty, CFN_LINE_NEIGHBOR_MAX_SIDS, name,
				 CFN_U(v->max_sids));
	if (config->set & CFN_TRUST_CHANGE_LIMIT)
		cfn_write_config(vty, CFN_LINE_NEIGHBOR_CHANGE_LIMIT, name,
				 CFN_U(v->max_changes), CFN_U(v->window_s));
}

static int cfn_config_write(struct bgp *bgp, struct vty *vty)
{
	struct cfn_instance *ci = cfn_instance_get(bgp, false);

	if (bgp->inst_type == BGP_INSTANCE_TYPE_DEFAULT)
		cfn_config_write_api(vty);
	if (!ci)
		return 0;
	if (ci->attr_type != CFN_ATTR_TYPE_DEFAULT)
		cfn_write_config(vty, CFN_LINE_ATTRIBUTE_TYPE,
				 CFN_U(ci->attr_type));
	if (cfn_edgemeta_sending(bgp))
		cfn_write_filled(
			vty, NULL,
			cfn_config_lines[CFN_LINE_EDGE_METADATA_SEND].format,
			NULL, 0);
	cfn_config_write_model(vty, &ci->model);
	cfn_config_write_damping(vty, &ci->damping);
	cfn_config_write_policy(vty,
				cfn_policy_scopes[CFN_SCOPE_DEFAULT].format,
				&ci->policy, cfn_policy_changed(&ci->policy));
	for (size_t i = 0; i < cfn_service_count(&ci->services); i++) {
		const struct cfn_service *service =
			cfn_service_at(&ci->services, i);
		char scope[sizeof(service->name) + 32];

		cfn_config_write_service(vty, service);
		cfn_config_line_fill(
			cfn_policy_scopes[CFN_SCOPE_SERVICE].format,
			CFN_VALUES(service->name), 1, scope, sizeof(scope));
		cfn_config_write_policy(vty, scope, &service->policy,
					service->policy_fields);
	}
	cfn_trust_foreach_config(bgp, cfn_config_write_trust, vty);
	return 0;
}

void cfn_vty_init(void)
{
	hook_register(bgp_inst_config_write, cfn_config_write);
	install_element(BGP_NODE, &cfn_service_cmd);
	install_element(BGP_NODE, &no_cfn_service_cmd);
	install_element(BGP_NODE, &cfn_instance_cmd);
	install_element(BGP_NODE, &no_cfn_instance_cmd);
	install_element(BGP_NODE, &cfn_instance_drain_cmd);
	install_element(BGP_NODE, &cfn_service_drain_cmd);
	install_element(BGP_NODE, &cfn_service_dispatch_cmd);
	install_element(BGP_NODE, &cfn_instance_metric_cmd);
	install_element(BGP_NODE, &no_cfn_instance_metric_cmd);
	install_element(BGP_NODE, &cfn_metric_norm_cmd);
	install_element(BGP_NODE, &cfn_metric_weight_cmd);
	install_element(BGP_NODE, &no_cfn_metric_cmd);
	install_element(BGP_NODE, &cfn_category_weight_cmd);
	install_element(BGP_NODE, &cfn_attribute_type_cmd);
	install_element(BGP_NODE, &cfn_selection_cmd);
	install_element(BGP_NODE, &cfn_api_cmd);
	install_element(BGP_NODE, &cfn_damping_cmd);
}
