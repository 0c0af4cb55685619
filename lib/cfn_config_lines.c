/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cfn_config_lines.h"

const struct cfn_config_line cfn_config_lines[CFN_LINE_COUNT] = {
	[CFN_LINE_ATTRIBUTE_TYPE] = {"/attribute-type", "attribute-type {.}"},
	[CFN_LINE_API_SOCKET] = {"/api/socket", "api socket {.}"},
	[CFN_LINE_API_TCP] = {"/api/tcp", "api tcp {address} port {port}"},
	[CFN_LINE_API_MAX_CLIENTS] = {"/api/max-clients",
				      "api max-clients {.}"},
	[CFN_LINE_API_MAX_CLIENTS_PER_USER] = {"/api/max-clients-per-user",
					       "api max-clients-per-user {.}"},
	[CFN_LINE_API_IDLE_TIMEOUT] = {"/api/idle-timeout",
				       "api idle-timeout {.}"},
	[CFN_LINE_API_MAX_FRAME] = {"/api/max-frame", "api max-frame {.}"},
	[CFN_LINE_API_MAX_INSTANCES] = {"/api/max-instances",
					"api max-instances {.}"},
	[CFN_LINE_API_HOLD_TIME] = {"/api/hold-time", "api hold-time {.}"},
	[CFN_LINE_API_STALE_AFTER] = {"/api/stale-after",
				      "api stale-after {.}"},
	[CFN_LINE_METRIC_MIN_MAX] =
		{"/metric/normalize/min-max",
		 "metric {metric:type} normalize min-max {min} {max}"},
	[CFN_LINE_METRIC_SIGMOID] =
		{"/metric/normalize/sigmoid",
		 "metric {metric:type} normalize sigmoid {midpoint} {scale}"},
	[CFN_LINE_METRIC_WEIGHT] = {"/metric/weight",
				    "metric {metric:type} weight {.}"},
	[CFN_LINE_CATEGORY_WEIGHT] = {"/category/weight",
				      "category {category:name} weight {.}"},
	[CFN_LINE_DAMPING_MIN_INTERVAL] = {"/damping/min-interval",
					   "damping min-interval {.}"},
	[CFN_LINE_DAMPING_MAX_INTERVAL] = {"/damping/max-interval",
					   "damping max-interval {.}"},
	[CFN_LINE_DAMPING_MAX_RATE] = {"/damping/max-rate",
				       "damping max-rate {.}"},
	[CFN_LINE_DAMPING_THRESHOLD] =
		{"/damping/threshold",
		 "damping threshold {metric} relative {relative} absolute {absolute}"},
	[CFN_LINE_SERVICE] = {"/service", "service {name} sid {sid}"},
	[CFN_LINE_SERVICE_INSTANCE] =
		{"/service/instance",
		 "service {service:name} instance {bid} capacity {capacity}"},
	[CFN_LINE_SERVICE_INSTANCE_METRIC] =
		{"/service/instance/metric",
		 "service {service:name} instance {instance:bid} metric {type} {value} statistic {statistic}"},
	[CFN_LINE_SERVICE_INSTANCE_DRAIN] =
		{"/service/instance/drain",
		 "service {service:name} instance {instance:bid} drain"},
	[CFN_LINE_SERVICE_DRAIN] = {"/service/drain",
				    "service {service:name} drain"},
	[CFN_LINE_SERVICE_DISPATCH] = {"/service/dispatch",
				       "service {service:name} dispatch {.}"},
	[CFN_LINE_EDGE_METADATA_SEND] = {"/edge-metadata/send",
					 "edge-metadata send"},
	[CFN_LINE_NEIGHBOR_DATA] = {"/neighbor/data",
				    "neighbor {neighbor:name} data {.}"},
	[CFN_LINE_NEIGHBOR_MAX_SCORE] =
		{"/neighbor/max-score",
		 "neighbor {neighbor:name} max-score {.}"},
	[CFN_LINE_NEIGHBOR_MAX_CAPACITY] =
		{"/neighbor/max-capacity",
		 "neighbor {neighbor:name} max-capacity {.}"},
	[CFN_LINE_NEIGHBOR_MAX_SIDS] =
		{"/neighbor/max-sids", "neighbor {neighbor:name} max-sids {.}"},
	[CFN_LINE_NEIGHBOR_CHANGE_LIMIT] =
		{"/neighbor/change-limit",
		 "neighbor {neighbor:name} change-limit {changes} per {window}"},
};

const struct cfn_config_line cfn_policy_scopes[CFN_SCOPE_COUNT] = {
	[CFN_SCOPE_DEFAULT] = {"/selection", "selection"},
	[CFN_SCOPE_SERVICE] = {"/service/selection",
			       "service {service:name} selection"},
};

const struct cfn_config_line cfn_policy_lines[CFN_POLICY_LINE_COUNT] = {
	[CFN_POLICY_LINE_MODE] = {"/mode", "mode {.}"},
	[CFN_POLICY_LINE_WEIGHT] =
		{"/weight", "weight compute {compute} network {network}"},
	[CFN_POLICY_LINE_IGP_COST_MAX] = {"/igp-cost-max", "igp-cost-max {.}"},
	[CFN_POLICY_LINE_MIN_SCORE] = {"/min-score", "min-score {.}"},
	[CFN_POLICY_LINE_MAX_UTILIZATION] = {"/max-utilization",
					     "max-utilization {.}"},
	[CFN_POLICY_LINE_STALE_AFTER] = {"/stale-after", "stale-after {.}"},
	[CFN_POLICY_LINE_HYSTERESIS] = {"/hysteresis", "hysteresis {.}"},
	[CFN_POLICY_LINE_WEIGHT_THRESHOLD] = {"/weight-threshold",
					      "weight-threshold {.}"},
	[CFN_POLICY_LINE_MAX_PATHS] = {"/max-paths", "max-paths {.}"},
	[CFN_POLICY_LINE_NETWORK_PENALTY] = {"/network-penalty",
					     "network-penalty {.}"},
	[CFN_POLICY_LINE_SPILL_AT] = {"/spill-at", "spill-at {.}"},
	[CFN_POLICY_LINE_AFFINITY] =
		{"/affinity",
		 "affinity idle-timeout {idle-timeout} buckets {buckets}"},
};

void cfn_config_line_at(size_t i, char *path, char *format, size_t len)
{
	const struct cfn_config_line *scope, *line;

	if (i < CFN_LINE_COUNT) {
		snprintf(path, len, "%s", cfn_config_lines[i].path);
		snprintf(format, len, "%s", cfn_config_lines[i].format);
		return;
	}
	i -= CFN_LINE_COUNT;
	scope = &cfn_policy_scopes[i / CFN_POLICY_LINE_COUNT];
	line = &cfn_policy_lines[i % CFN_POLICY_LINE_COUNT];
	snprintf(path, len, "%s%s", scope->path, line->path);
	snprintf(format, len, "%s %s", scope->format, line->format);
}

bool cfn_config_line_fill(const char *format, const char *const *values,
			  size_t n, char *out, size_t len)
{
	size_t used = 0, next = 0;

	while (*format) {
		const char *end = NULL;
		const char *piece = format;
		size_t piece_len = 1;

		if (*format == '{')
			end = strchr(format, '}');
		if (end) {
			if (next == n)
				return false;
			piece = values[next++];
			piece_len = strlen(piece);
			format = end + 1;
		} else {
			format++;
		}
		if (used + piece_len >= len)
			return false;
		memcpy(out + used, piece, piece_len);
		used += piece_len;
	}
	out[used] = '\0';
	return next == n;
}
