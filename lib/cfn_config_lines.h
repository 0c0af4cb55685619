/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "cfn ..." configuration commands, listed once: each configuration
 * leaf of yang/frr-cfn.yang with the words of the command that sets it.
 * bgpd's running-config writer fills these formats in, and cfn-netconfd
 * maps YANG data to commands and back with them, so a command added here
 * is written and understood the same way by both.
 *
 * A format holds the words after "cfn". Placeholders: {.} the leaf's
 * value, {leaf} a child leaf, {list:key} the key of the enclosing list
 * entry. Writers fill them in order of appearance.
 */
#ifndef CFN_CONFIG_LINES_H
#define CFN_CONFIG_LINES_H

#include <stdbool.h>
#include <stddef.h>

struct cfn_config_line {
	const char *path; /* YANG data path below /frr-cfn:cfn */
	const char *format;
};

enum cfn_config_line_id {
	CFN_LINE_ATTRIBUTE_TYPE,
	CFN_LINE_API_SOCKET,
	CFN_LINE_API_TCP,
	CFN_LINE_API_MAX_CLIENTS,
	CFN_LINE_API_MAX_CLIENTS_PER_USER,
	CFN_LINE_API_IDLE_TIMEOUT,
	CFN_LINE_API_MAX_FRAME,
	CFN_LINE_API_MAX_INSTANCES,
	CFN_LINE_API_HOLD_TIME,
	CFN_LINE_API_STALE_AFTER,
	CFN_LINE_METRIC_MIN_MAX,
	CFN_LINE_METRIC_SIGMOID,
	CFN_LINE_METRIC_WEIGHT,
	CFN_LINE_CATEGORY_WEIGHT,
	CFN_LINE_DAMPING_MIN_INTERVAL,
	CFN_LINE_DAMPING_MAX_INTERVAL,
	CFN_LINE_DAMPING_MAX_RATE,
	CFN_LINE_DAMPING_THRESHOLD,
	CFN_LINE_SERVICE,
	CFN_LINE_SERVICE_INSTANCE,
	CFN_LINE_SERVICE_INSTANCE_METRIC,
	CFN_LINE_SERVICE_INSTANCE_DRAIN,
	CFN_LINE_SERVICE_DRAIN,
	CFN_LINE_SERVICE_DISPATCH,
	CFN_LINE_EDGE_METADATA_SEND,
	CFN_LINE_NEIGHBOR_DATA,
	CFN_LINE_NEIGHBOR_MAX_SCORE,
	CFN_LINE_NEIGHBOR_MAX_CAPACITY,
	CFN_LINE_NEIGHBOR_MAX_SIDS,
	CFN_LINE_NEIGHBOR_CHANGE_LIMIT,
	CFN_LINE_COUNT
};

/* The selection policy's lines, once as the default, once per service. */
enum cfn_policy_scope_id {
	CFN_SCOPE_DEFAULT,
	CFN_SCOPE_SERVICE,
	CFN_SCOPE_COUNT
};

enum cfn_policy_line_id {
	CFN_POLICY_LINE_MODE,
	CFN_POLICY_LINE_WEIGHT,
	CFN_POLICY_LINE_IGP_COST_MAX,
	CFN_POLICY_LINE_MIN_SCORE,
	CFN_POLICY_LINE_MAX_UTILIZATION,
	CFN_POLICY_LINE_STALE_AFTER,
	CFN_POLICY_LINE_HYSTERESIS,
	CFN_POLICY_LINE_WEIGHT_THRESHOLD,
	CFN_POLICY_LINE_MAX_PATHS,
	CFN_POLICY_LINE_NETWORK_PENALTY,
	CFN_POLICY_LINE_SPILL_AT,
	CFN_POLICY_LINE_AFFINITY,
	CFN_POLICY_LINE_COUNT
};

extern const struct cfn_config_line cfn_config_lines[CFN_LINE_COUNT];
extern const struct cfn_config_line cfn_policy_scopes[CFN_SCOPE_COUNT];
extern const struct cfn_config_line cfn_policy_lines[CFN_POLICY_LINE_COUNT];

/* Every line: the plain ones, then each scope's policy lines. */
#define CFN_CONFIG_LINE_TOTAL                                                  \
	(CFN_LINE_COUNT + CFN_SCOPE_COUNT * CFN_POLICY_LINE_COUNT)

/*
 * The i-th line (i < CFN_CONFIG_LINE_TOTAL) into path and format, each
 * of size len, policy lines prefixed with their scope.
 */
void cfn_config_line_at(size_t i, char *path, char *format, size_t len);

/*
 * format with its placeholders replaced, in order, by values[0..n) into
 * out (of size len). False if the counts differ or out is too small.
 */
bool cfn_config_line_fill(const char *format, const char *const *values,
			  size_t n, char *out, size_t len);

#endif /* CFN_CONFIG_LINES_H */
