/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_api.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cfn_alloc.h"
#include "cfn_api.pb-c.h"

static void *pb_alloc(void *unused, size_t size)
{
	(void)unused;
	return cfn_malloc(size);
}

static void pb_free(void *unused, void *ptr)
{
	(void)unused;
	cfn_free(ptr);
}

/* protobuf-c allocates through the core, so it is accounted like it. */
static ProtobufCAllocator pb_allocator = {.alloc = pb_alloc, .free = pb_free};

void cfn_api_limits_default(struct cfn_api_limits *limits)
{
	*limits = (struct cfn_api_limits){
		.max_frame = CFN_API_MAX_FRAME_DEFAULT,
		.max_instances = CFN_SERVICE_INSTANCES_MAX,
		.default_hold_s = 30,
		.max_hold_s = 86400,
		.stale_after_s = 15,
	};
}

uint32_t cfn_api_frame_length(const uint8_t header[CFN_API_FRAME_HEADER])
{
	return (uint32_t)header[0] << 24 | (uint32_t)header[1] << 16 |
	       (uint32_t)header[2] << 8 | header[3];
}

/* One request being answered. */
struct answer {
	Cfn__Status status;
	char error[256];
	struct cfn_api_outcome *outcome;
};

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), 0 if none. */
static size_t utf8_length(const unsigned char *s)
{
	unsigned char low = 0x80, high = 0xbf;
	size_t len;

	if (*s < 0x80)
		return 1;
	if (*s < 0xc2 || *s > 0xf4)
		return 0;
	len = *s < 0xe0 ? 2 : *s < 0xf0 ? 3 : 4;
	if (*s == 0xe0)
		low = 0xa0; /* overlong */
	else if (*s == 0xed)
		high = 0x9f; /* surrogates */
	else if (*s == 0xf0)
		low = 0x90; /* overlong */
	else if (*s == 0xf4)
		high = 0x8f; /* beyond U+10FFFF */
	if (s[1] < low || s[1] > high)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static bool is_control(const unsigned char *s, size_t len)
{
	return (len == 1 && (*s < 0x20 || *s == 0x7f)) ||
	       (len == 2 && s[0] == 0xc2 && s[1] < 0xa0);
}

/*
 * Error texts quote the request. The reply's error is a protobuf string:
 * strict decoders refuse one that is not UTF-8, and a terminal would
 * obey the controls. Each byte of a bad sequence or control becomes '?'.
 */
static void printable_utf8(char *text)
{
	unsigned char *s = (unsigned char *)text;

	while (*s) {
		size_t len = utf8_length(s);

		if (!len || is_control(s, len))
			for (size_t i = 0; i < (len ? len : 1); i++)
				*s++ = '?';
		else
			s += len;
	}
}

static Cfn__Status refuse(struct answer *a, Cfn__Status status, const char *fmt,
			  ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->error, sizeof(a->error), fmt, ap);
	va_end(ap);
	printable_utf8(a->error);
	a->status = status;
	return status;
}

/* A protobuf varint at *pos; false when cut short or too long. */
static bool wire_varint(const uint8_t *buf, size_t len, size_t *pos,
			uint64_t *value)
{
	*value = 0;
	for (unsigned int shift = 0; shift < 64 && *pos < len; shift += 7) {
		uint8_t byte = buf[(*pos)++];

		*value |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return true;
	}
	return false;
}

/* Skip a value that is not length-delimited; false for a bad type. */
static bool wire_skip(const uint8_t *buf, size_t len, size_t *pos,
		      unsigned int wire_type)
{
	uint64_t ignored;

	switch (wire_type) {
	case 0:
		return wire_varint(buf, len, pos, &ignored);
	case 1:
		*pos += 8;
		return true;
	case 5:
		*pos += 4;
		return true;
	}
	return false;
}

/*
 * protobuf-c hands strings over NUL-terminated, without their length:
 * "video\0junk" would silently be "video". So the wire form of the
 * message (decoded already) is walked for string fields, nested messages
 * included, and one holding a NUL refuses the request.
 */
static bool strings_without_nul(const ProtobufCMessageDescriptor *desc,
				const uint8_t *buf, size_t len,
				struct answer *a)
{
	size_t pos = 0;

	while (pos < len) {
		const ProtobufCFieldDescriptor *field;
		uint64_t key, size;

		if (!wire_varint(buf, len, &pos, &key))
			return true; /* not ours to judge: the decoder took it
				      */
		if ((key & 7) != 2) {
			if (!wire_skip(buf, len, &pos, key & 7))
				return true;
			continue;
		}
		if (!wire_varint(buf, len, &pos, &size) || size > len - pos)
			return true;
		field = key >> 3 > UINT32_MAX
				? NULL
				: protobuf_c_message_descriptor_get_field(
					  desc, (unsigned int)(key >> 3));
		if (field && field->type == PROTOBUF_C_TYPE_STRING &&
		    memchr(buf + pos, 0, size)) {
			refuse(a, CFN__STATUS__INVALID,
			       "%s.%s: a string must not contain NUL bytes",
			       desc->short_name, field->name);
			return false;
		}
		if (field && field->type == PROTOBUF_C_TYPE_MESSAGE &&
		    !strings_without_nul(field->descriptor, buf + pos, size, a))
			return false;
		pos += size;
	}
	return true;
}

static struct cfn_service *find_service(struct cfn_service_table *table,
					const char *name_or_sid,
					struct answer *a)
{
	struct cfn_service *service = cfn_service_find(table, name_or_sid);
	struct cfn_prefix sid;
	char ignored[96];

	if (!service &&
	    cfn_prefix_parse(name_or_sid, &sid, ignored, sizeof(ignored)))
		service = cfn_service_find_sid(table, &sid);
	if (!service)
		refuse(a, CFN__STATUS__NOT_FOUND,
		       "no service '%s' on this node (configure 'cfn service NAME sid PREFIX')",
		       name_or_sid);
	return service;
}

static bool parse_bid(const char *str, struct cfn_prefix *bid, struct answer *a)
{
	char reason[128];

	if (!cfn_bid_parse(str, bid, reason, sizeof(reason))) {
		refuse(a, CFN__STATUS__INVALID, "binding ID: %s", reason);
		return false;
	}
	return true;
}

/* Apply metrics to a copy of `set`; nothing is kept unless all are valid. */
static bool parse_metrics(Cfn__Metric **metrics, size_t n,
			  struct cfn_metric_set *set, struct answer *a)
{
	struct cfn_metric_set copy = *set;

	for (size_t i = 0; i < n; i++) {
		const struct cfn_metric_desc *desc =
			cfn_metric_desc_by_name(metrics[i]->name);
		enum cfn_statistic statistic = CFN_STAT_CURRENT;
		struct cfn_metric_value value;
		char reason[128];

		if (!desc) {
			refuse(a, CFN__STATUS__INVALID, "unknown metric '%s'",
			       metrics[i]->name);
			return false;
		}
		if (metrics[i]->statistic &&
		    !cfn_statistic_by_name(metrics[i]->statistic, &statistic)) {
			refuse(a, CFN__STATUS__INVALID,
			       "unknown statistic '%s' (current, mean, min, max)",
			       metrics[i]->statistic);
			return false;
		}
		if (!cfn_metric_value_from_units(desc->type, statistic,
						 metrics[i]->value, &value,
						 reason, sizeof(reason))) {
			refuse(a, CFN__STATUS__INVALID, "%s", reason);
			return false;
		}
		if (!cfn_metric_set_put(&copy, &value)) {
			refuse(a, CFN__STATUS__LIMIT,
			       "at most %d metric values per instance",
			       CFN_METRICS_MAX);
			return false;
		}
	}
	*set = copy;
	return true;
}

/* The dynamic instance of service at bid (bid_str), or NULL with why. */
static struct cfn_local_instance *find_dynamic(struct cfn_service *service,
					       const struct cfn_prefix *bid,
					       const char *bid_str,
					       struct answer *a)
{
	struct cfn_local_instance *inst = cfn_instance_find(service, bid);

	if (!inst)
		refuse(a, CFN__STATUS__NOT_FOUND,
		       "service %s has no instance %s (register it first)",
		       service->name, bid_str);
	else if (!inst->dynamic)
		refuse(a, CFN__STATUS__CONFLICT,
		       "instance %s of %s is configured statically", bid_str,
		       service->name);
	return a->status == CFN__STATUS__OK ? inst : NULL;
}

/* find_dynamic() of the service and binding ID a request names. */
static struct cfn_local_instance *
find_named_dynamic(struct cfn_service_table *table, const char *service_name,
		   const char *bid_str, struct cfn_service **service,
		   struct answer *a)
{
	struct cfn_prefix bid;

	*service = find_service(table, service_name, a);
	if (!*service || !parse_bid(bid_str, &bid, a))
		return NULL;
	return find_dynamic(*service, &bid, bid_str, a);
}

static void changed(struct answer *a, struct cfn_service *service,
		    enum cfn_api_change change)
{
	a->outcome->service = service;
	if (change > a->outcome->change)
		a->outcome->change = change;
}

/* A metric report: a stale instance is fresh again, advertised at once. */
static void fresh_metrics(struct answer *a, struct cfn_service *service,
			  struct cfn_local_instance *inst, uint64_t now_ms)
{
	if (inst->stale)
		changed(a, service, CFN_API_INSTANCES);
	inst->stale = false;
	inst->metrics_ms = now_ms;
}

/* One instance as a request gives it: Register, Update or batch entry. */
struct entry {
	const char *bid;
	bool has_capacity, has_hold;
	uint32_t capacity, hold;
	Cfn__Metric **metrics;
	size_t n_metrics;
};

/*
 * What an entry does to its instance, worked out for every entry of a
 * request before any is applied: that is what makes a batch all or
 * nothing.
 */
struct change {
	struct entry in;
	bool registering;
	struct cfn_prefix bid;
	struct cfn_local_instance *inst; /* NULL until created */
	bool created;			 /* by this request */
	uint32_t hold;
	struct cfn_metric_set metrics; /* the instance's metrics after */
};

/* The fields Register, Update and InstanceReport share, by name. */
#define ENTRY_OF(req)                                                          \
	((struct entry){.bid = (req)->bid,                                     \
			.has_capacity = (req)->has_capacity,                   \
			.capacity = (req)->capacity,                           \
			.metrics = (req)->metrics,                             \
			.n_metrics = (req)->n_metrics})

static struct entry entry_of_register(const Cfn__Register *req)
{
	struct entry entry = ENTRY_OF(req);

	entry.has_hold = req->has_hold_time;
	entry.hold = req->hold_time;
	return entry;
}

static struct entry entry_of_report(const Cfn__InstanceReport *req)
{
	struct entry entry = ENTRY_OF(req);

	entry.has_hold = req->has_hold_time;
	entry.hold = req->hold_time;
	return entry;
}

/* A registration: *creating counts the instances the request adds. */
static bool check_register(struct cfn_service *service,
			   const struct cfn_api_limits *limits,
			   struct change *c, size_t *creating, struct answer *a)
{
	c->hold = c->in.has_hold ? c->in.hold : limits->default_hold_s;
	if (!parse_metrics(c->in.metrics, c->in.n_metrics, &c->metrics, a))
		return false;
	if (c->hold == 0 || c->hold > limits->max_hold_s) {
		refuse(a, CFN__STATUS__INVALID,
		       "hold time must be 1 to %u seconds", limits->max_hold_s);
		return false;
	}
	c->inst = cfn_instance_find(service, &c->bid);
	if (c->inst && !c->inst->dynamic) {
		refuse(a, CFN__STATUS__CONFLICT,
		       "instance %s of %s is configured statically", c->in.bid,
		       service->name);
		return false;
	}
	if (!c->inst &&
	    service->instances.count + *creating >= limits->max_instances) {
		refuse(a, CFN__STATUS__LIMIT,
		       "service %s already has %u instances (the limit)",
		       service->name, limits->max_instances);
		return false;
	}
	*creating += !c->inst;
	return true;
}

/* An update: metrics not named keep their values. */
static bool check_update(struct cfn_service *service, struct change *c,
			 struct answer *a)
{
	if (c->in.has_hold) {
		refuse(a, CFN__STATUS__INVALID,
		       "hold_time is given at registration only");
		return false;
	}
	c->inst = find_dynamic(service, &c->bid, c->in.bid, a);
	if (!c->inst)
		return false;
	c->metrics = c->inst->metrics;
	return parse_metrics(c->in.metrics, c->in.n_metrics, &c->metrics, a);
}

/* Create the instances the request registers anew: all of them or none. */
static bool create_instances(struct cfn_service *service,
			     struct change *changes, size_t n, struct answer *a)
{
	for (size_t i = 0; i < n; i++) {
		struct change *c = &changes[i];
		enum cfn_err err;

		if (c->inst)
			continue;
		err = cfn_instance_set(service, &c->bid,
				       c->in.has_capacity ? c->in.capacity : 0);
		if (err != CFN_OK) {
			for (size_t j = 0; j < i; j++)
				if (changes[j].created)
					cfn_instance_delete(service,
							    &changes[j].bid);
			refuse(a, CFN__STATUS__LIMIT, "%s", cfn_strerror(err));
			return false;
		}
		c->created = true;
	}
	for (size_t i = 0; i < n; i++)
		if (changes[i].created)
			changes[i].inst =
				cfn_instance_find(service, &changes[i].bid);
	return true;
}

/* Apply a checked entry to its (existing) instance: cannot fail. */
static void apply_change(struct answer *a, struct cfn_service *service,
			 const struct change *c, const char *client,
			 uint64_t now_ms)
{
	struct cfn_local_instance *inst = c->inst;

	if (c->created)
		changed(a, service, CFN_API_INSTANCES);
	else if (c->in.has_capacity && c->in.capacity != inst->capacity) {
		inst->capacity = c->in.capacity;
		changed(a, service, CFN_API_INSTANCES);
	}
	if (!cfn_metric_set_equal(&inst->metrics, &c->metrics))
		changed(a, service, CFN_API_METRICS);
	if (c->registering || c->in.n_metrics)
		fresh_metrics(a, service, inst, now_ms);
	inst->metrics = c->metrics;
	inst->last_seen_ms = now_ms;
	if (c->registering) {
		inst->dynamic = true;
		inst->hold_time_s = c->hold;
		snprintf(inst->client, sizeof(inst->client), "%s", client);
	}
	a->outcome->instances++;
}

/*
 * Name the entry a batch was refused for, in front of the reason: its
 * list and place in it (registrations and updates are separate lists).
 */
static void blame_entry(struct answer *a, const struct change *changes,
			size_t i)
{
	char reason[sizeof(a->error)];
	size_t place = 1;

	for (size_t j = 0; j < i; j++)
		place += changes[j].registering == changes[i].registering;
	memcpy(reason, a->error, sizeof(reason));
	refuse(a, a->status, "%s #%zu (%s): %s",
	       changes[i].registering ? "register" : "update", place,
	       changes[i].in.bid, reason);
}

static bool check_change(struct cfn_service *service,
			 const struct cfn_api_limits *limits,
			 struct change *changes, size_t i, size_t *creating,
			 struct answer *a)
{
	struct change *c = &changes[i];

	if (!parse_bid(c->in.bid, &c->bid, a))
		return false;
	for (size_t j = 0; j < i; j++)
		if (cfn_prefix_cmp(&changes[j].bid, &c->bid) == 0) {
			refuse(a, CFN__STATUS__INVALID,
			       "the instance is in the batch twice");
			return false;
		}
	return c->registering ? check_register(service, limits, c, creating, a)
			      : check_update(service, c, a);
}

/*
 * Check every change of a request, then apply them all; on any refusal
 * nothing changes. batch: the reason names the entry refused.
 */
static void apply_changes(struct cfn_service *service,
			  const struct cfn_api_limits *limits,
			  const char *client, uint64_t now_ms,
			  struct change *changes, size_t n, bool batch,
			  struct answer *a)
{
	size_t creating = 0;

	for (size_t i = 0; i < n; i++)
		if (!check_change(service, limits, changes, i, &creating, a)) {
			if (batch)
				blame_entry(a, changes, i);
			return;
		}
	if (!create_instances(service, changes, n, a))
		return;
	for (size_t i = 0; i < n; i++)
		apply_change(a, service, &changes[i], client, now_ms);
}

static void do_register(struct cfn_service_table *table,
			const struct cfn_api_limits *limits, const char *client,
			uint64_t now_ms, const Cfn__Register *req,
			struct answer *a)
{
	struct cfn_service *service = find_service(table, req->service, a);
	struct change change = {.in = entry_of_register(req),
				.registering = true};

	if (service)
		apply_changes(service, limits, client, now_ms, &change, 1,
			      false, a);
}

static void do_update(struct cfn_service_table *table,
		      const struct cfn_api_limits *limits, uint64_t now_ms,
		      const Cfn__Update *req, struct answer *a)
{
	struct cfn_service *service = find_service(table, req->service, a);
	struct change change = {.in = ENTRY_OF(req)};

	if (service)
		apply_changes(service, limits, NULL, now_ms, &change, 1, false,
			      a);
}

/* Registrations first, then updates, in the order the batch gives them. */
static void do_batch(struct cfn_service_table *table,
		     const struct cfn_api_limits *limits, const char *client,
		     uint64_t now_ms, const Cfn__Batch *req, struct answer *a)
{
	struct cfn_service *service = find_service(table, req->service, a);
	size_t n = req->n_register_ + req->n_update;
	struct change *changes;

	if (!service)
		return;
	if (n == 0 || n > limits->max_instances) {
		refuse(a, CFN__STATUS__INVALID,
		       "a batch carries 1 to %u instances (the service's limit)",
		       limits->max_instances);
		return;
	}
	changes = cfn_calloc(n, sizeof(*changes));
	if (!changes) {
		refuse(a, CFN__STATUS__LIMIT, "out of memory");
		return;
	}
	for (size_t i = 0; i < req->n_register_; i++) {
		changes[i].in = entry_of_report(req->register_[i]);
		changes[i].registering = true;
	}
	for (size_t i = 0; i < req->n_update; i++)
		changes[req->n_register_ + i].in =
			entry_of_report(req->update[i]);
	apply_changes(service, limits, client, now_ms, changes, n, true, a);
	cfn_free(changes);
}

static void do_deregister(struct cfn_service_table *table,
			  const Cfn__Deregister *req, struct answer *a)
{
	struct cfn_service *service;
	struct cfn_local_instance *inst =
		find_named_dynamic(table, req->service, req->bid, &service, a);

	if (!inst)
		return;
	cfn_instance_delete(service, &inst->bid);
	changed(a, service, CFN_API_INSTANCES);
}

static void do_heartbeat(struct cfn_service_table *table, uint64_t now_ms,
			 const Cfn__Heartbeat *req, struct answer *a)
{
	struct cfn_service *service;
	struct cfn_local_instance *inst =
		find_named_dynamic(table, req->service, req->bid, &service, a);

	if (inst)
		inst->last_seen_ms = now_ms;
}

static void do_drain(struct cfn_service_table *table, uint64_t now_ms,
		     const Cfn__Drain *req, struct answer *a)
{
	struct cfn_service *service;
	struct cfn_local_instance *inst;

	if (!req->bid) {
		service = find_service(table, req->service, a);
		if (service && service->draining != req->draining) {
			service->draining = req->draining;
			changed(a, service, CFN_API_INSTANCES);
		}
		return;
	}
	inst = find_named_dynamic(table, req->service, req->bid, &service, a);
	if (!inst)
		return;
	inst->last_seen_ms = now_ms;
	if (inst->draining != req->draining) {
		inst->draining = req->draining;
		changed(a, service, CFN_API_INSTANCES);
	}
}

/* "list": one InstanceInfo per dynamic instance, in table order. */
struct listing {
	size_t count;
	Cfn__InstanceInfo *infos;
	Cfn__InstanceInfo **ptrs;
	Cfn__Metric *metrics;
	Cfn__Metric **metric_ptrs;
	char (*strings)[2][CFN_PREFIX_STRLEN];
};

static size_t count_dynamic(const struct cfn_service_table *table,
			    const struct cfn_service *only)
{
	size_t count = 0;

	for (size_t s = 0; s < cfn_service_count(table); s++) {
		const struct cfn_service *service = cfn_service_at(table, s);

		for (size_t i = 0;
		     (!only || only == service) && i < service->instances.count;
		     i++)
			count += cfn_instance_at(service, i)->dynamic;
	}
	return count;
}

static void fill_info(struct listing *l, size_t k,
		      const struct cfn_service *service,
		      const struct cfn_local_instance *inst, uint64_t now_ms)
{
	Cfn__InstanceInfo *info = &l->infos[k];

	cfn__instance_info__init(info);
	info->service = (char *)service->name;
	info->sid = cfn_prefix_format(&service->sid, l->strings[k][0],
				      CFN_PREFIX_STRLEN);
	info->bid = cfn_prefix_format(&inst->bid, l->strings[k][1],
				      CFN_PREFIX_STRLEN);
	*strchr(info->bid, '/') = '\0';
	info->capacity = inst->capacity;
	info->hold_time = inst->hold_time_s;
	info->age_ms = now_ms - inst->last_seen_ms;
	info->client = (char *)inst->client;
	info->has_draining = true;
	info->draining = inst->draining;
	info->n_metrics = inst->metrics.count;
	info->metrics = &l->metric_ptrs[k * CFN_METRICS_MAX];
	for (unsigned int m = 0; m < inst->metrics.count; m++) {
		const struct cfn_metric_value *v = &inst->metrics.values[m];
		Cfn__Metric *out = &l->metrics[k * CFN_METRICS_MAX + m];

		cfn__metric__init(out);
		out->name = (char *)cfn_metric_desc(v->type)->name;
		out->value = cfn_metric_value_units(v);
		out->statistic = (char *)cfn_statistic_name(v->statistic);
		info->metrics[m] = out;
	}
	l->ptrs[k] = info;
}

static void listing_free(struct listing *l)
{
	cfn_free(l->infos);
	cfn_free(l->ptrs);
	cfn_free(l->metrics);
	cfn_free(l->metric_ptrs);
	cfn_free(l->strings);
}

static bool do_list(const struct cfn_service_table *table, uint64_t now_ms,
		    const Cfn__List *req, struct listing *l, struct answer *a)
{
	const struct cfn_service *only = NULL;
	size_t k = 0, n;

	if (req->service &&
	    !(only = find_service((struct cfn_service_table *)table,
				  req->service, a)))
		return true;
	n = count_dynamic(table, only);
	l->count = n;
	l->infos = cfn_calloc(n + 1, sizeof(*l->infos));
	l->ptrs = cfn_calloc(n + 1, sizeof(*l->ptrs));
	l->metrics = cfn_calloc(n * CFN_METRICS_MAX + 1, sizeof(*l->metrics));
	l->metric_ptrs =
		cfn_calloc(n * CFN_METRICS_MAX + 1, sizeof(*l->metric_ptrs));
	l->strings = cfn_calloc(n + 1, sizeof(*l->strings));
	if (!l->infos || !l->ptrs || !l->metrics || !l->metric_ptrs ||
	    !l->strings)
		return false;
	for (size_t s = 0; s < cfn_service_count(table); s++) {
		const struct cfn_service *service = cfn_service_at(table, s);

		for (size_t i = 0;
		     (!only || only == service) && i < service->instances.count;
		     i++)
			if (cfn_instance_at(service, i)->dynamic)
				fill_info(l, k++, service,
					  cfn_instance_at(service, i), now_ms);
	}
	return true;
}

/* A framed copy of a message: header, then the packed message. */
static size_t frame_message(const ProtobufCMessage *message, uint8_t **out)
{
	size_t len = protobuf_c_message_get_packed_size(message);
	uint8_t *frame = cfn_malloc(CFN_API_FRAME_HEADER + len);

	if (!frame)
		return 0;
	frame[0] = (uint8_t)(len >> 24);
	frame[1] = (uint8_t)(len >> 16);
	frame[2] = (uint8_t)(len >> 8);
	frame[3] = (uint8_t)len;
	protobuf_c_message_pack(message, frame + CFN_API_FRAME_HEADER);
	*out = frame;
	return CFN_API_FRAME_HEADER + len;
}

static void dispatch(struct cfn_service_table *table,
		     const struct cfn_api_limits *limits, const char *client,
		     uint64_t now_ms, const Cfn__Request *req,
		     struct listing *l, struct answer *a)
{
	switch (req->body_case) {
	case CFN__REQUEST__BODY_REGISTER:
		do_register(table, limits, client, now_ms, req->register_, a);
		break;
	case CFN__REQUEST__BODY_UPDATE:
		do_update(table, limits, now_ms, req->update, a);
		break;
	case CFN__REQUEST__BODY_BATCH:
		do_batch(table, limits, client, now_ms, req->batch, a);
		break;
	case CFN__REQUEST__BODY_DEREGISTER:
		do_deregister(table, req->deregister, a);
		break;
	case CFN__REQUEST__BODY_HEARTBEAT:
		do_heartbeat(table, now_ms, req->heartbeat, a);
		break;
	case CFN__REQUEST__BODY_DRAIN:
		do_drain(table, now_ms, req->drain, a);
		break;
	case CFN__REQUEST__BODY_WATCH:
		a->outcome->watch = true;
		a->outcome->watch_id = req->id;
		break;
	case CFN__REQUEST__BODY_LIST:
		if (!do_list(table, now_ms, req->list, l, a))
			refuse(a, CFN__STATUS__LIMIT, "out of memory");
		break;
	default:
		refuse(a, CFN__STATUS__INVALID, "empty request");
	}
}

size_t cfn_api_handle(struct cfn_service_table *table,
		      const struct cfn_api_limits *limits, const char *client,
		      uint64_t now_ms, const uint8_t *request, size_t len,
		      uint8_t **reply_out, struct cfn_api_outcome *outcome)
{
	Cfn__Request *req = cfn__request__unpack(&pb_allocator, len, request);
	Cfn__Reply reply = CFN__REPLY__INIT;
	struct answer a = {.status = CFN__STATUS__OK, .outcome = outcome};
	struct listing listing = {};
	size_t reply_len;

	memset(outcome, 0, sizeof(*outcome));
	if (!req)
		refuse(&a, CFN__STATUS__INVALID,
		       "not a cfn.Request (protobuf decoding failed)");
	else if (strings_without_nul(&cfn__request__descriptor, request, len,
				     &a))
		dispatch(table, limits, client, now_ms, req, &listing, &a);
	if (a.status != CFN__STATUS__OK) {
		memset(outcome, 0, sizeof(*outcome));
		outcome->refused = true;
	}
	reply.id = req ? req->id : 0;
	reply.status = a.status;
	reply.error = a.status != CFN__STATUS__OK ? a.error : NULL;
	reply.n_instances = a.status == CFN__STATUS__OK ? listing.count : 0;
	reply.instances = listing.ptrs;
	reply.has_api_version = true;
	reply.api_version = CFN_API_VERSION;
	reply_len = frame_message(&reply.base, reply_out);
	listing_free(&listing);
	if (req)
		cfn__request__free_unpacked(req, &pb_allocator);
	return reply_len;
}

size_t cfn_api_refusal(const char *reason, uint8_t **reply_out)
{
	Cfn__Reply reply = CFN__REPLY__INIT;

	reply.status = CFN__STATUS__LIMIT;
	reply.error = (char *)reason;
	reply.has_api_version = true;
	reply.api_version = CFN_API_VERSION;
	return frame_message(&reply.base, reply_out);
}

size_t cfn_api_frame_request(const struct Cfn__Request *request,
			     uint8_t **frame)
{
	return frame_message(&request->base, frame);
}

size_t cfn_api_frame_reply(const struct Cfn__Reply *reply, uint8_t **frame)
{
	return frame_message(&reply->base, frame);
}

struct Cfn__Reply *cfn_api_reply_decode(const uint8_t *payload, size_t len)
{
	return cfn__reply__unpack(&pb_allocator, len, payload);
}

void cfn_api_reply_free(struct Cfn__Reply *reply)
{
	cfn__reply__free_unpacked(reply, &pb_allocator);
}
