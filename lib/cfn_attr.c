/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_attr.h"

#include <stdlib.h>
#include <string.h>

#include "cfn_alloc.h"

#define HEADER_LEN 2	      /* version, flags */
#define TLV_HEADER_LEN 3      /* type, length (2) */
#define SUBTLV_HEADER_LEN 3   /* type, length (2) */
#define EGRESS_LEN 16	      /* node ID, sequence, L2, L1 x3, capacity */
#define INSTANCE_FIXED_LEN 10 /* AFI, reserved, L2, L1 x3, capacity */
#define METRIC_LEN 8	      /* type (2), statistic, reserved, value (4) */
#define AFI_IPV4 1
#define AFI_IPV6 2

/* The most an instance takes with scores only: an IPv6 one. */
#define INSTANCE_SCORES_MAX_LEN (TLV_HEADER_LEN + INSTANCE_FIXED_LEN + 16)

_Static_assert(sizeof(struct cfn_instance_info) %
			       _Alignof(struct cfn_metric_value) ==
		       0,
	       "L0 values can follow the instances in one allocation");

_Static_assert(HEADER_LEN + TLV_HEADER_LEN + EGRESS_LEN +
			       CFN_ATTR_MAX_INSTANCES *
				       INSTANCE_SCORES_MAX_LEN <=
		       CFN_ATTR_MAX_LEN,
	       "the most instances fit in the attribute with scores only");

static const char *const error_names[CFN_DECODE_ERROR_COUNT] = {
	[CFN_DECODE_OK] = "ok",
	[CFN_DECODE_TRUNCATED] = "truncated",
	[CFN_DECODE_BAD_VERSION] = "unknown-version",
	[CFN_DECODE_BAD_LENGTH] = "bad-length",
	[CFN_DECODE_MISSING_EGRESS] = "missing-egress",
	[CFN_DECODE_DUPLICATE_EGRESS] = "duplicate-egress",
	[CFN_DECODE_BAD_FAMILY] = "bad-address-family",
	[CFN_DECODE_BAD_SCORE] = "bad-score",
	[CFN_DECODE_BAD_METRIC] = "bad-metric-value",
	[CFN_DECODE_DUPLICATE_INSTANCE] = "duplicate-instance",
	[CFN_DECODE_DUPLICATE_METRIC] = "duplicate-metric",
	[CFN_DECODE_TOO_MANY] = "too-many-instances",
	[CFN_DECODE_TOO_LONG] = "too-long",
	[CFN_DECODE_NOMEM] = "out-of-memory",
};

const char *cfn_decode_error_name(enum cfn_decode_error error)
{
	return error < CFN_DECODE_ERROR_COUNT ? error_names[error] : "unknown";
}

/* -- reading --------------------------------------------------------- */

struct reader {
	const uint8_t *p;
	size_t left;
};

static bool get_bytes(struct reader *r, void *dst, size_t n)
{
	if (r->left < n)
		return false;
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return true;
}

static bool get_u8(struct reader *r, uint8_t *v)
{
	return get_bytes(r, v, 1);
}

static bool get_u16(struct reader *r, uint16_t *v)
{
	uint8_t b[2];

	if (!get_bytes(r, b, 2))
		return false;
	*v = (uint16_t)(b[0] << 8 | b[1]);
	return true;
}

static bool get_u32(struct reader *r, uint32_t *v)
{
	uint8_t b[4];

	if (!get_bytes(r, b, 4))
		return false;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
	     b[3];
	return true;
}

/* Split off the value of the next TLV (1-octet type, 2-octet length). */
static enum cfn_decode_error next_tlv(struct reader *r, uint8_t *type,
				      struct reader *value)
{
	uint16_t len;

	if (!get_u8(r, type) || !get_u16(r, &len))
		return CFN_DECODE_TRUNCATED;
	if (len > r->left)
		return CFN_DECODE_TRUNCATED;
	value->p = r->p;
	value->left = len;
	r->p += len;
	r->left -= len;
	return CFN_DECODE_OK;
}

/* Call fn for each TLV of r, in order; the first error stops the walk. */
typedef enum cfn_decode_error (*tlv_fn)(uint8_t type, struct reader *value,
					void *ctx);

static enum cfn_decode_error walk_tlvs(struct reader r, tlv_fn fn, void *ctx)
{
	while (r.left) {
		struct reader value;
		uint8_t type;
		enum cfn_decode_error error = next_tlv(&r, &type, &value);

		if (!error)
			error = fn(type, &value, ctx);
		if (error)
			return error;
	}
	return CFN_DECODE_OK;
}

static bool score_valid(uint8_t score, bool none_allowed)
{
	return score <= CFN_SCORE_MAX ||
	       (none_allowed && score == CFN_SCORE_NONE);
}

static enum cfn_decode_error get_scores(struct reader *r,
					struct cfn_scores *scores)
{
	get_u8(r, &scores->l2);
	for (unsigned int c = 0; c < CFN_CATEGORY_COUNT; c++)
		get_u8(r, &scores->l1[c]);
	if (!score_valid(scores->l2, false))
		return CFN_DECODE_BAD_SCORE;
	for (unsigned int c = 0; c < CFN_CATEGORY_COUNT; c++)
		if (!score_valid(scores->l1[c], true))
			return CFN_DECODE_BAD_SCORE;
	return CFN_DECODE_OK;
}

static enum cfn_decode_error decode_egress(struct reader *value,
					   struct cfn_attr *attr)
{
	if (value->left < EGRESS_LEN)
		return CFN_DECODE_BAD_LENGTH;
	get_u32(value, &attr->node_id);
	get_u32(value, &attr->sequence);
	if (get_scores(value, &attr->scores) != CFN_DECODE_OK)
		return CFN_DECODE_BAD_SCORE;
	get_u32(value, &attr->capacity);
	return CFN_DECODE_OK; /* trailing octets: room for later versions */
}

static enum cfn_decode_error decode_metric(struct reader *value,
					   struct cfn_metric_set *set)
{
	struct cfn_metric_value metric;
	const struct cfn_metric_desc *desc;
	uint8_t reserved;

	if (value->left != METRIC_LEN)
		return CFN_DECODE_BAD_LENGTH;
	get_u16(value, &metric.type);
	get_u8(value, &metric.statistic);
	get_u8(value, &reserved);
	get_u32(value, &metric.raw);

	desc = cfn_metric_desc(metric.type);
	if (!desc || metric.statistic > CFN_STAT_MAX_VALUE)
		return CFN_DECODE_OK; /* unknown metrics are ignored */
	if ((double)metric.raw > desc->max * desc->scale)
		return CFN_DECODE_BAD_METRIC;
	for (unsigned int i = 0; i < set->count; i++)
		if (set->values[i].type == metric.type &&
		    set->values[i].statistic == metric.statistic)
			return CFN_DECODE_DUPLICATE_METRIC;
	if (set->count == CFN_METRICS_MAX)
		return CFN_DECODE_TOO_MANY;
	set->values[set->count++] = metric;
	return CFN_DECODE_OK;
}

static enum cfn_decode_error decode_subtlv(uint8_t type, struct reader *value,
					   void *metrics)
{
	if (type != CFN_SUBTLV_METRIC)
		return CFN_DECODE_OK; /* unknown sub-TLVs are skipped */
	return decode_metric(value, metrics);
}

static enum cfn_decode_error decode_instance(struct reader *value,
					     struct cfn_instance_info *inst,
					     struct cfn_metric_set *metrics)
{
	enum cfn_decode_error error;
	uint8_t afi;
	size_t addrlen;

	memset(inst, 0, sizeof(*inst));
	metrics->count = 0;
	if (value->left < INSTANCE_FIXED_LEN)
		return CFN_DECODE_BAD_LENGTH;
	get_u8(value, &afi);
	get_u8(value, &inst->flags); /* unknown bits are kept, not used */
	error = get_scores(value, &inst->scores);
	if (error)
		return error;
	get_u32(value, &inst->capacity);

	if (afi == AFI_IPV4)
		inst->bid.family = CFN_FAMILY_IPV4;
	else if (afi == AFI_IPV6)
		inst->bid.family = CFN_FAMILY_IPV6;
	else
		return CFN_DECODE_BAD_FAMILY;
	addrlen = cfn_family_addrlen(inst->bid.family);
	inst->bid.len = (uint8_t)(addrlen * 8);
	if (!get_bytes(value, inst->bid.addr, addrlen))
		return CFN_DECODE_BAD_LENGTH;

	error = walk_tlvs(*value, decode_subtlv, metrics);
	inst->metrics = cfn_metric_set_list(metrics);
	return error;
}

static int instance_cmp(const void *a, const void *b)
{
	return cfn_prefix_cmp(&((const struct cfn_instance_info *)a)->bid,
			      &((const struct cfn_instance_info *)b)->bid);
}

static bool has_duplicate_bid(const struct cfn_attr *attr)
{
	for (unsigned int i = 1; i < attr->n_instances; i++)
		if (instance_cmp(&attr->instances[i - 1],
				 &attr->instances[i]) == 0)
			return true;
	return false;
}

/*
 * The attribute as it is decoded, with room for the most instances and
 * metrics; cfn_attr_copy then stores exactly what it holds.
 */
struct decoding {
	struct cfn_attr *attr; /* its instances: the array below */
	bool have_egress;
	struct cfn_instance_info instances[CFN_ATTR_MAX_INSTANCES];
	struct cfn_metric_set metrics[CFN_ATTR_MAX_INSTANCES];
};

static enum cfn_decode_error decode_tlv(uint8_t type, struct reader *value,
					void *ctx)
{
	struct decoding *d = ctx;

	if (type == CFN_TLV_EGRESS) {
		if (d->have_egress)
			return CFN_DECODE_DUPLICATE_EGRESS;
		d->have_egress = true;
		return decode_egress(value, d->attr);
	}
	if (type == CFN_TLV_INSTANCE) {
		uint16_t i = d->attr->n_instances;

		if (i == CFN_ATTR_MAX_INSTANCES)
			return CFN_DECODE_TOO_MANY;
		d->attr->n_instances++;
		return decode_instance(value, &d->instances[i], &d->metrics[i]);
	}
	return CFN_DECODE_OK; /* unknown TLVs are skipped */
}

enum cfn_decode_error cfn_attr_decode(const uint8_t *data, size_t len,
				      struct cfn_attr *out)
{
	struct reader r = {.p = data, .left = len};
	struct cfn_attr decoded = {};
	struct decoding decoding;
	enum cfn_decode_error error;
	uint8_t version, flags;

	memset(out, 0, sizeof(*out));
	if (len > CFN_ATTR_MAX_LEN)
		return CFN_DECODE_TOO_LONG;
	if (!get_u8(&r, &version) || !get_u8(&r, &flags))
		return CFN_DECODE_TRUNCATED;
	if (version != CFN_ATTR_VERSION)
		return CFN_DECODE_BAD_VERSION;
	decoded.flags = flags;
	decoded.instances = decoding.instances;
	decoding.attr = &decoded;
	decoding.have_egress = false;
	error = walk_tlvs(r, decode_tlv, &decoding);
	if (!error && !decoding.have_egress)
		error = CFN_DECODE_MISSING_EGRESS;
	if (!error && decoded.n_instances > 1) {
		qsort(decoded.instances, decoded.n_instances,
		      sizeof(*decoded.instances), instance_cmp);
		if (has_duplicate_bid(&decoded))
			error = CFN_DECODE_DUPLICATE_INSTANCE;
	}
	if (!error && !cfn_attr_copy(out, &decoded))
		error = CFN_DECODE_NOMEM;
	return error;
}

/* -- writing --------------------------------------------------------- */

struct writer {
	uint8_t *p;
	size_t left;
	bool overflow;
};

static void put_bytes(struct writer *w, const void *src, size_t n)
{
	if (w->overflow || w->left < n) {
		w->overflow = true;
		return;
	}
	memcpy(w->p, src, n);
	w->p += n;
	w->left -= n;
}

static void put_u8(struct writer *w, uint8_t v)
{
	put_bytes(w, &v, 1);
}

static void put_u16(struct writer *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put_bytes(w, b, 2);
}

static void put_u32(struct writer *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
			(uint8_t)(v >> 8), (uint8_t)v};

	put_bytes(w, b, 4);
}

static void put_scores(struct writer *w, const struct cfn_scores *scores)
{
	put_u8(w, scores->l2);
	for (unsigned int c = 0; c < CFN_CATEGORY_COUNT; c++)
		put_u8(w, scores->l1[c]);
}

/* Open a TLV whose length is filled in by tlv_close. */
static uint8_t *tlv_open(struct writer *w, uint8_t type)
{
	uint8_t *start = w->p;

	put_u8(w, type);
	put_u16(w, 0);
	return start;
}

static void tlv_close(struct writer *w, uint8_t *start)
{
	size_t len;

	if (w->overflow)
		return;
	len = (size_t)(w->p - start) - TLV_HEADER_LEN;
	if (len > UINT16_MAX) {
		w->overflow = true;
		return;
	}
	start[1] = (uint8_t)(len >> 8);
	start[2] = (uint8_t)len;
}

static void put_instance(struct writer *w, const struct cfn_instance_info *inst,
			 bool with_metrics)
{
	uint8_t *tlv = tlv_open(w, CFN_TLV_INSTANCE);

	put_u8(w, inst->bid.family == CFN_FAMILY_IPV6 ? AFI_IPV6 : AFI_IPV4);
	put_u8(w, inst->flags);
	put_scores(w, &inst->scores);
	put_u32(w, inst->capacity);
	put_bytes(w, inst->bid.addr, cfn_family_addrlen(inst->bid.family));
	for (unsigned int i = 0; with_metrics && i < inst->metrics.count; i++) {
		const struct cfn_metric_value *m = &inst->metrics.values[i];

		put_u8(w, CFN_SUBTLV_METRIC);
		put_u16(w, METRIC_LEN);
		put_u16(w, m->type);
		put_u8(w, m->statistic);
		put_u8(w, 0);
		put_u32(w, m->raw);
	}
	tlv_close(w, tlv);
}

size_t cfn_attr_encode(const struct cfn_attr *attr, bool with_metrics,
		       uint8_t *buf, size_t buflen)
{
	struct writer w = {.p = buf, .left = buflen};
	uint8_t *tlv;

	if (attr->n_instances > CFN_ATTR_MAX_INSTANCES)
		return 0;
	if (w.left > CFN_ATTR_MAX_LEN)
		w.left = CFN_ATTR_MAX_LEN;
	put_u8(&w, CFN_ATTR_VERSION);
	put_u8(&w, attr->flags);
	tlv = tlv_open(&w, CFN_TLV_EGRESS);
	put_u32(&w, attr->node_id);
	put_u32(&w, attr->sequence);
	put_scores(&w, &attr->scores);
	put_u32(&w, attr->capacity);
	tlv_close(&w, tlv);
	for (unsigned int i = 0; i < attr->n_instances; i++)
		put_instance(&w, &attr->instances[i], with_metrics);
	return w.overflow ? 0 : (size_t)(w.p - buf);
}

bool cfn_sequence_newer(uint32_t a, uint32_t b)
{
	uint32_t ahead = a - b; /* modulo 2^32 */

	return ahead != 0 && ahead < UINT32_C(0x80000000);
}

struct cfn_metric_value *cfn_attr_alloc_instances(struct cfn_attr *attr,
						  size_t n_instances,
						  size_t n_metrics)
{
	size_t instances_size = n_instances * sizeof(*attr->instances);
	struct cfn_instance_info *block;

	if (n_instances > UINT16_MAX ||
	    n_metrics > (SIZE_MAX - instances_size) /
				sizeof(struct cfn_metric_value))
		return NULL;
	block = cfn_calloc(1,
			   instances_size +
				   n_metrics * sizeof(struct cfn_metric_value));
	if (!block)
		return NULL;
	attr->instances = block;
	attr->n_instances = (uint16_t)n_instances;
	return (struct cfn_metric_value *)(block + n_instances);
}

struct cfn_metric_value *
cfn_instance_store_metrics(struct cfn_instance_info *inst,
			   const struct cfn_metric_list *metrics,
			   struct cfn_metric_value *pool)
{
	if (metrics->count)
		memcpy(pool, metrics->values, metrics->count * sizeof(*pool));
	inst->metrics.values = pool;
	inst->metrics.count = metrics->count;
	return pool + metrics->count;
}

void cfn_attr_free(struct cfn_attr *attr)
{
	cfn_free(attr->instances);
	memset(attr, 0, sizeof(*attr));
}

static bool instance_equal(const struct cfn_instance_info *a,
			   const struct cfn_instance_info *b)
{
	return cfn_prefix_equal(&a->bid, &b->bid) && a->flags == b->flags &&
	       a->capacity == b->capacity &&
	       memcmp(&a->scores, &b->scores, sizeof(a->scores)) == 0 &&
	       cfn_metric_list_equal(&a->metrics, &b->metrics);
}

bool cfn_attr_equal(const struct cfn_attr *a, const struct cfn_attr *b)
{
	if (a->flags != b->flags || a->node_id != b->node_id ||
	    a->sequence != b->sequence || a->capacity != b->capacity ||
	    a->site_level != b->site_level ||
	    a->n_instances != b->n_instances ||
	    memcmp(&a->scores, &b->scores, sizeof(a->scores)) != 0)
		return false;
	for (unsigned int i = 0; i < a->n_instances; i++)
		if (!instance_equal(&a->instances[i], &b->instances[i]))
			return false;
	return true;
}

bool cfn_attr_copy(struct cfn_attr *dst, const struct cfn_attr *src)
{
	struct cfn_metric_value *pool;
	size_t n_metrics = 0;

	*dst = *src;
	dst->instances = NULL;
	if (!src->n_instances)
		return true;
	for (unsigned int i = 0; i < src->n_instances; i++)
		n_metrics += src->instances[i].metrics.count;
	pool = cfn_attr_alloc_instances(dst, src->n_instances, n_metrics);
	if (!pool) {
		memset(dst, 0, sizeof(*dst));
		return false;
	}
	for (unsigned int i = 0; i < src->n_instances; i++) {
		dst->instances[i] = src->instances[i];
		pool = cfn_instance_store_metrics(
			&dst->instances[i], &src->instances[i].metrics, pool);
	}
	return true;
}
