/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alto_maps.h"
#include "cfn_metric.h"

#define PID_LEN 80

/* -- walking the model ------------------------------------------------- */

static json_object *get(json_object *obj, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(obj, key, &v);
	return v;
}

static int64_t get_int(json_object *obj, const char *key)
{
	return json_object_get_int64(get(obj, key));
}

static double get_double(json_object *obj, const char *key)
{
	return json_object_get_double(get(obj, key));
}

static const char *get_string(json_object *obj, const char *key)
{
	return json_object_get_string(get(obj, key));
}

/* to[key] = from[from_key], shared. */
static void copy(json_object *to, const char *key, json_object *from,
		 const char *from_key)
{
	json_object_object_add(to, key, json_object_get(get(from, from_key)));
}

static json_object *no_sids;

static void make_no_sids(void)
{
	no_sids = json_object_new_object();
}

/* The model's SIDs; an empty object before the first event. */
static json_object *sids_of(json_object *model)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	json_object *sids = get(model, "sids");

	pthread_once(&once, make_no_sids);
	return sids ? sids : no_sids;
}

static void egress_pid(const char *node_id, char *pid)
{
	snprintf(pid, PID_LEN, "egress-%s", node_id);
}

/* "192.0.2.10/32" -> "sid-192.0.2.10-32": PID names have no '/'. */
static void sid_pid(const char *sid, char *pid)
{
	char *slash;

	snprintf(pid, PID_LEN, "sid-%s", sid);
	/* a SID without a length (bgpd sends none such) keeps its name */
	slash = strchr(pid, '/');
	if (slash)
		*slash = '-';
}

/* The chosen egress of a SID with the highest weight, or NULL. */
static json_object *chosen_egress(json_object *sid)
{
	json_object *egresses = get(sid, "egresses"), *best = NULL;

	for (size_t i = 0; i < json_object_array_length(egresses); i++) {
		json_object *e = json_object_array_get_idx(egresses, i);

		if (get_int(e, "weight") > (best ? get_int(best, "weight") : 0))
			best = e;
	}
	return best;
}

/* summary[key]: true when it is true for any of the egress's SIDs. */
static void any_of(json_object *summary, json_object *egress, const char *key)
{
	if (json_object_get_boolean(get(egress, key)))
		json_object_object_add(summary, key,
				       json_object_new_boolean(true));
	else if (!get(summary, key))
		json_object_object_add(summary, key,
				       json_object_new_boolean(false));
}

/*
 * Per egress, over the SIDs it serves: the lowest IGP cost, the best
 * score, L2 and weight, the L1 and capacity of its best-L2 report.
 */
static json_object *egress_summary(json_object *model)
{
	json_object *summary = json_object_new_object();

	json_object_object_foreach(sids_of(model), sid, sv)
	{
		json_object *egresses = get(sv, "egresses");

		for (size_t i = 0; i < json_object_array_length(egresses);
		     i++) {
			json_object *e = json_object_array_get_idx(egresses, i);
			const char *node = get_string(e, "nodeId");
			json_object *s = get(summary, node);

			if (!s) {
				s = json_object_new_object();
				json_object_object_add(s, "sids",
						       json_object_new_array());
				json_object_object_add(summary, node, s);
			}
			json_object_array_add(get(s, "sids"),
					      json_object_new_string(sid));
			if (!get(s, "igpMetric") ||
			    get_int(e, "igpMetric") < get_int(s, "igpMetric"))
				copy(s, "igpMetric", e, "igpMetric");
			if (!get(s, "score") ||
			    get_double(e, "score") > get_double(s, "score"))
				copy(s, "score", e, "score");
			if (!get(s, "weight") ||
			    get_int(e, "weight") > get_int(s, "weight"))
				copy(s, "weight", e, "weight");
			if (!get(s, "l2") ||
			    get_int(e, "l2") > get_int(s, "l2")) {
				copy(s, "l2", e, "l2");
				copy(s, "l1", e, "l1");
				copy(s, "capacity", e, "capacity");
			}
			any_of(s, e, "reachable");
			any_of(s, e, "draining");
		}
	}
	return summary;
}

/* -- network map ------------------------------------------------------- */

struct pid_builder {
	json_object *map;      /* PID -> {"ipv4": {prefix: true}, ...} */
	json_object *assigned; /* prefix -> PID: one PID per prefix */
};

static void pid_add(struct pid_builder *b, const char *pid, const char *prefix)
{
	json_object *entry = get(b->map, pid), *set;
	const char *family = strchr(prefix, ':') ? "ipv6" : "ipv4";

	if (!entry) {
		entry = json_object_new_object();
		json_object_object_add(b->map, pid, entry);
	}
	if (!prefix[0] || get(b->assigned, prefix))
		return;
	json_object_object_add(b->assigned, prefix,
			       json_object_new_string(pid));
	set = get(entry, family);
	if (!set) {
		set = json_object_new_object();
		json_object_object_add(entry, family, set);
	}
	json_object_object_add(set, prefix, json_object_new_boolean(true));
}

/* An address as a host prefix: "A" -> "A/32" or "A/128". */
static void host_prefix(const char *addr, char *out, size_t len)
{
	snprintf(out, len, "%s/%d", addr, strchr(addr, ':') ? 128 : 32);
}

static void add_connected(struct pid_builder *b)
{
	struct ifaddrs *ifas, *ifa;

	if (getifaddrs(&ifas) < 0)
		return;
	for (ifa = ifas; ifa; ifa = ifa->ifa_next) {
		struct cfn_prefix p = {};
		const uint8_t *addr, *mask;
		char text[CFN_PREFIX_STRLEN];
		size_t bytes;

		if (!ifa->ifa_addr || !ifa->ifa_netmask ||
		    (ifa->ifa_flags & IFF_LOOPBACK))
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET) {
			addr = (uint8_t *)&((struct sockaddr_in *)ifa->ifa_addr)
				       ->sin_addr;
			mask = (uint8_t *)&(
				       (struct sockaddr_in *)ifa->ifa_netmask)
				       ->sin_addr;
			p.family = CFN_FAMILY_IPV4;
			bytes = 4;
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			addr = (uint8_t *)&(
				       (struct sockaddr_in6 *)ifa->ifa_addr)
				       ->sin6_addr;
			mask = (uint8_t *)&(
				       (struct sockaddr_in6 *)ifa->ifa_netmask)
				       ->sin6_addr;
			if (addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80)
				continue; /* link-local: not a client's */
			p.family = CFN_FAMILY_IPV6;
			bytes = 16;
		} else
			continue;
		for (size_t i = 0; i < bytes; i++) {
			p.addr[i] = addr[i] & mask[i];
			p.len += (uint8_t)__builtin_popcount(mask[i]);
		}
		pid_add(b, ALTO_PID_CLIENTS,
			cfn_prefix_format(&p, text, sizeof(text)));
	}
	freeifaddrs(ifas);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(json_object_get_string(*(json_object *const *)a),
		      json_object_get_string(*(json_object *const *)b));
}

/* {prefix: true} sets as sorted arrays: the same map, the same text. */
static json_object *sorted_map(json_object *map)
{
	json_object *out = json_object_new_object();

	json_object_object_foreach(map, pid, entry)
	{
		json_object *families = json_object_new_object();

		json_object_object_foreach(entry, family, set)
		{
			json_object *arr = json_object_new_array();

			json_object_object_foreach(set, prefix, unused)
			{
				(void)unused;
				json_object_array_add(
					arr, json_object_new_string(prefix));
			}
			json_object_array_sort(arr, compare_strings);
			json_object_object_add(families, family, arr);
		}
		json_object_object_add(out, pid, families);
	}
	return out;
}

json_object *alto_networkmap(json_object *model,
			     const struct alto_config *config)
{
	struct pid_builder b = {json_object_new_object(),
				json_object_new_object()};
	json_object *summary = egress_summary(model), *out;
	char pid[PID_LEN], prefix[CFN_PREFIX_STRLEN + 8];

	json_object_object_foreach(sids_of(model), sid, sv)
	{
		(void)sv;
		sid_pid(sid, pid);
		pid_add(&b, pid, sid);
	}
	json_object_object_foreach(summary, node, s)
	{
		(void)s;
		egress_pid(node, pid);
		host_prefix(node, prefix, sizeof(prefix));
		pid_add(&b, pid, prefix);
	}
	json_object_object_foreach(sids_of(model), sid2, sv2)
	{
		json_object *egresses = get(sv2, "egresses");

		(void)sid2;
		for (size_t i = 0; i < json_object_array_length(egresses);
		     i++) {
			json_object *e = json_object_array_get_idx(egresses, i);
			json_object *insts = get(e, "instances");

			egress_pid(get_string(e, "nodeId"), pid);
			for (size_t k = 0; k < json_object_array_length(insts);
			     k++) {
				host_prefix(
					get_string(json_object_array_get_idx(
							   insts, k),
						   "bid"),
					prefix, sizeof(prefix));
				pid_add(&b, pid, prefix);
			}
		}
	}
	pid_add(&b, ALTO_PID_CLIENTS, "");
	for (size_t i = 0; i < config->n_client_prefixes; i++)
		pid_add(&b, ALTO_PID_CLIENTS,
			cfn_prefix_format(&config->client_prefixes[i], prefix,
					  sizeof(prefix)));
	add_connected(&b);
	out = json_object_new_object();
	json_object_object_add(out, "network-map", sorted_map(b.map));
	json_object_put(b.map);
	json_object_put(b.assigned);
	json_object_put(summary);
	return out;
}

/* -- cost maps ---------------------------------------------------------- */

static bool higher_is_better(enum alto_metric metric)
{
	return metric != ALTO_METRIC_ROUTINGCOST;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Replace each value by its dense rank, 1 the most preferred. */
static void to_ordinal(json_object *costs, enum alto_metric metric)
{
	size_t n = (size_t)json_object_object_length(costs), unique = 0;
	double *values = calloc(n ? n : 1, sizeof(*values));

	if (!values)
		return;
	json_object_object_foreach(costs, d, v)
	{
		(void)d;
		values[unique++] = json_object_get_double(v);
	}
	qsort(values, n, sizeof(*values), compare_doubles);
	unique = 0;
	for (size_t i = 0; i < n; i++)
		if (!unique || values[i] != values[unique - 1])
			values[unique++] = values[i];
	json_object_object_foreach(costs, dst, val)
	{
		double x = json_object_get_double(val);
		int64_t rank = 1;

		for (size_t i = 0; i < unique; i++)
			rank += higher_is_better(metric) ? values[i] > x
							 : values[i] < x;
		json_object_object_add(costs, dst, json_object_new_int64(rank));
	}
	free(values);
}

static json_object *metric_value(json_object *egress, enum alto_metric metric)
{
	switch (metric) {
	case ALTO_METRIC_ROUTINGCOST:
		return json_object_new_int64(get_int(egress, "igpMetric"));
	case ALTO_METRIC_SCORE:
		return json_object_new_double(get_double(egress, "score"));
	default:
		return json_object_new_int64(get_int(egress, "l2"));
	}
}

static json_object *cost_type(enum alto_metric metric, enum alto_mode mode)
{
	json_object *ct = json_object_new_object();

	json_object_object_add(ct, "cost-mode",
			       json_object_new_string(alto_mode_name(mode)));
	json_object_object_add(
		ct, "cost-metric",
		json_object_new_string(alto_metric_name(metric)));
	return ct;
}

json_object *alto_costmap(json_object *model, enum alto_metric metric,
			  enum alto_mode mode)
{
	json_object *summary = egress_summary(model);
	json_object *costs = json_object_new_object();
	json_object *map = json_object_new_object();
	json_object *out = json_object_new_object();
	json_object *meta = json_object_new_object();
	char pid[PID_LEN];

	json_object_object_foreach(summary, node, s)
	{
		egress_pid(node, pid);
		json_object_object_add(costs, pid, metric_value(s, metric));
	}
	json_object_object_foreach(sids_of(model), sid, sv)
	{
		json_object *chosen = chosen_egress(sv);

		if (!chosen)
			continue;
		sid_pid(sid, pid);
		json_object_object_add(costs, pid,
				       metric_value(chosen, metric));
	}
	if (mode == ALTO_MODE_ORDINAL)
		to_ordinal(costs, metric);
	json_object_object_add(map, ALTO_PID_CLIENTS, costs);
	json_object_object_add(meta, "cost-type", cost_type(metric, mode));
	json_object_object_add(out, "meta", meta);
	json_object_object_add(out, "cost-map", map);
	json_object_put(summary);
	return out;
}

/* -- property maps ------------------------------------------------------ */

static const char *const base_properties[] = {
	"networkmap.pid",  "priv:l2",
	"priv:l1-compute", "priv:l1-communication",
	"priv:l1-service", "priv:capacity",
	"priv:stale",	   "priv:weight",
	"priv:sid",	   "priv:sids",
	"priv:igp-cost",   "priv:reachable",
	"priv:draining",
};

#define L0_PREFIX "priv:l0-"

bool alto_maps_property_known(const char *property)
{
	for (size_t i = 0;
	     i < sizeof(base_properties) / sizeof(base_properties[0]); i++)
		if (!strcmp(property, base_properties[i]))
			return true;
	return !strncmp(property, L0_PREFIX, strlen(L0_PREFIX)) &&
	       cfn_metric_desc_by_name(property + strlen(L0_PREFIX));
}

json_object *alto_maps_property_names(void)
{
	json_object *arr = json_object_new_array();
	char name[64];

	for (size_t i = 0;
	     i < sizeof(base_properties) / sizeof(base_properties[0]); i++)
		json_object_array_add(
			arr, json_object_new_string(base_properties[i]));
	for (uint16_t t = 1; t <= CFN_METRIC_TYPE_MAX; t++) {
		snprintf(name, sizeof(name), L0_PREFIX "%s",
			 cfn_metric_desc(t)->name);
		json_object_array_add(arr, json_object_new_string(name));
	}
	return arr;
}

static void add_scores(json_object *props, json_object *from)
{
	json_object *l1 = get(from, "l1");

	json_object_object_add(props, "priv:l2",
			       json_object_new_int64(get_int(from, "l2")));
	json_object_object_foreach(l1, category, score)
	{
		char name[48];

		snprintf(name, sizeof(name), "priv:l1-%s", category);
		json_object_object_add(props, name, json_object_get(score));
	}
	json_object_object_add(
		props, "priv:capacity",
		json_object_new_int64(get_int(from, "capacity")));
}

static void add_l0(json_object *props, json_object *metrics)
{
	for (size_t i = 0; i < json_object_array_length(metrics); i++) {
		json_object *m = json_object_array_get_idx(metrics, i);
		json_object *v = json_object_new_object();
		char name[64];

		snprintf(name, sizeof(name), L0_PREFIX "%s",
			 get_string(m, "name"));
		copy(v, "value", m, "value");
		copy(v, "unit", m, "unit");
		copy(v, "statistic", m, "statistic");
		json_object_object_add(props, name, v);
	}
}

static void add_instances(json_object *map, const char *sid, json_object *e)
{
	json_object *insts = get(e, "instances");
	char pid[PID_LEN], entity[96];

	egress_pid(get_string(e, "nodeId"), pid);
	for (size_t k = 0; k < json_object_array_length(insts); k++) {
		json_object *inst = json_object_array_get_idx(insts, k);
		const char *bid = get_string(inst, "bid");
		json_object *props = json_object_new_object();

		snprintf(entity, sizeof(entity), "%s:%s",
			 strchr(bid, ':') ? "ipv6" : "ipv4", bid);
		json_object_object_add(props, "networkmap.pid",
				       json_object_new_string(pid));
		json_object_object_add(props, "priv:sid",
				       json_object_new_string(sid));
		add_scores(props, inst);
		copy(props, "priv:stale", inst, "stale");
		copy(props, "priv:draining", inst, "draining");
		copy(props, "priv:weight", e, "weight");
		add_l0(props, get(inst, "metrics"));
		json_object_object_add(map, entity, props);
	}
}

static void add_egress(json_object *map, const char *node, json_object *s)
{
	json_object *props = json_object_new_object();
	char pid[PID_LEN], entity[PID_LEN + 16];

	egress_pid(node, pid);
	snprintf(entity, sizeof(entity), "networkmap.pid:%s", pid);
	add_scores(props, s);
	copy(props, "priv:weight", s, "weight");
	copy(props, "priv:igp-cost", s, "igpMetric");
	copy(props, "priv:reachable", s, "reachable");
	copy(props, "priv:draining", s, "draining");
	copy(props, "priv:sids", s, "sids");
	json_object_object_add(map, entity, props);
}

json_object *alto_propmap(json_object *model)
{
	json_object *summary = egress_summary(model);
	json_object *map = json_object_new_object();
	json_object *out = json_object_new_object();

	json_object_object_foreach(summary, node, s) add_egress(map, node, s);
	json_object_object_foreach(sids_of(model), sid, sv)
	{
		json_object *egresses = get(sv, "egresses");

		for (size_t i = 0; i < json_object_array_length(egresses); i++)
			add_instances(map, sid,
				      json_object_array_get_idx(egresses, i));
	}
	json_object_object_add(out, "property-map", map);
	json_object_put(summary);
	return out;
}

json_object *alto_propmap_filtered(json_object *model,
				   const struct alto_propmap_params *params)
{
	json_object *full = alto_propmap(model);
	json_object *all = get(full, "property-map");
	json_object *map = json_object_new_object();
	json_object *out = json_object_new_object();

	for (size_t i = 0; i < params->n_entities; i++) {
		json_object *props = get(all, params->entities[i]);
		json_object *chosen;

		if (!props)
			continue; /* unknown here: nothing to say of it */
		chosen = json_object_new_object();
		for (size_t k = 0; k < params->n_properties; k++) {
			json_object *v = get(props, params->properties[k]);

			if (v)
				json_object_object_add(chosen,
						       params->properties[k],
						       json_object_get(v));
		}
		json_object_object_add(map, params->entities[i], chosen);
	}
	json_object_object_add(out, "property-map", map);
	json_object_put(full);
	return out;
}

/* -- endpoint cost ------------------------------------------------------ */

/* What an endpoint is to the node: an instance's BID, or a SID. */
struct target {
	json_object *egress;   /* the egress serving it */
	json_object *instance; /* NULL for a SID */
};

static bool same_address(const struct cfn_prefix *a, const char *text)
{
	struct cfn_prefix p;
	char err[64];

	return cfn_prefix_parse(text, &p, err, sizeof(err)) &&
	       p.family == a->family &&
	       !memcmp(p.addr, a->addr, a->family == CFN_FAMILY_IPV4 ? 4 : 16);
}

static bool find_target(json_object *model, const struct cfn_prefix *dst,
			struct target *t)
{
	json_object_object_foreach(sids_of(model), sid, sv)
	{
		json_object *egresses = get(sv, "egresses");
		char addr[CFN_PREFIX_STRLEN];

		snprintf(addr, sizeof(addr), "%s", sid);
		addr[strcspn(addr, "/")] = '\0';
		if (same_address(dst, addr) &&
		    (t->egress = chosen_egress(sv))) {
			t->instance = NULL;
			return true;
		}
		for (size_t i = 0; i < json_object_array_length(egresses);
		     i++) {
			json_object *e = json_object_array_get_idx(egresses, i);
			json_object *insts = get(e, "instances");

			for (size_t k = 0; k < json_object_array_length(insts);
			     k++) {
				json_object *inst =
					json_object_array_get_idx(insts, k);

				if (same_address(dst,
						 get_string(inst, "bid"))) {
					t->egress = e;
					t->instance = inst;
					return true;
				}
			}
		}
	}
	return false;
}

/*
 * The selection's order: chosen egresses by weight, then the others by
 * score, then by IGP cost; ranks count distinct positions from 1.
 */
static int selection_order(json_object *a, json_object *b)
{
	int64_t wa = get_int(a, "weight"), wb = get_int(b, "weight");
	double sa = get_double(a, "score"), sb = get_double(b, "score");
	int64_t ia = get_int(a, "igpMetric"), ib = get_int(b, "igpMetric");

	if (wa != wb)
		return wa > wb ? -1 : 1;
	if (sa != sb)
		return sa > sb ? -1 : 1;
	return (ia > ib) - (ia < ib);
}

static json_object *selection_ranks(struct target *targets, size_t n,
				    const struct alto_endpointcost_params *p)
{
	json_object *costs = json_object_new_object();

	for (size_t i = 0; i < n; i++) {
		int64_t rank = 1;

		if (!targets[i].egress)
			continue;
		for (size_t j = 0; j < n; j++) {
			bool counted_before = false;

			if (!targets[j].egress ||
			    selection_order(targets[j].egress,
					    targets[i].egress) >= 0)
				continue;
			for (size_t k = 0; k < j; k++)
				counted_before |=
					targets[k].egress &&
					!selection_order(targets[k].egress,
							 targets[j].egress);
			rank += !counted_before;
		}
		json_object_object_add(costs, p->dst_names[i],
				       json_object_new_int64(rank));
	}
	return costs;
}

static json_object *target_costs(struct target *targets, size_t n,
				 const struct alto_endpointcost_params *p)
{
	json_object *costs;

	if (p->metric == ALTO_METRIC_SCORE && p->mode == ALTO_MODE_ORDINAL)
		return selection_ranks(targets, n, p);
	costs = json_object_new_object();
	for (size_t i = 0; i < n; i++) {
		json_object *from =
			targets[i].instance && p->metric == ALTO_METRIC_L2
				? targets[i].instance
				: targets[i].egress;

		if (from)
			json_object_object_add(costs, p->dst_names[i],
					       metric_value(from, p->metric));
	}
	if (p->mode == ALTO_MODE_ORDINAL)
		to_ordinal(costs, p->metric);
	return costs;
}

json_object *alto_endpointcost(json_object *model,
			       const struct alto_endpointcost_params *params)
{
	struct target *targets = calloc(params->n_dsts, sizeof(*targets));
	json_object *map = json_object_new_object();
	json_object *out = json_object_new_object();
	json_object *meta = json_object_new_object();
	json_object *costs;

	for (size_t i = 0; targets && i < params->n_dsts; i++)
		if (!find_target(model, &params->dsts[i], &targets[i]))
			targets[i].egress = NULL;
	costs = targets ? target_costs(targets, params->n_dsts, params)
			: json_object_new_object();
	/* every source sees the same costs: they are this node's */
	for (size_t s = 0; s < params->n_srcs; s++)
		json_object_object_add(map, params->src_names[s],
				       s + 1 < params->n_srcs
					       ? json_object_get(costs)
					       : costs);
	if (!params->n_srcs)
		json_object_put(costs);
	json_object_object_add(meta, "cost-type",
			       cost_type(params->metric, params->mode));
	json_object_object_add(out, "meta", meta);
	json_object_object_add(out, "endpoint-cost-map", map);
	free(targets);
	return out;
}
