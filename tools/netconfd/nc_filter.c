/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfn_prefix.h"
#include "nc_cli.h"
#include "nc_filter.h"

/*
 * The filter is parsed as data where it fits the schema and as opaque
 * nodes where it does not (an empty <sid/> selecting a list): these read
 * either kind.
 */
static const char *filter_name(const struct lyd_node *f)
{
	return f->schema ? f->schema->name
			 : ((const struct lyd_node_opaq *)f)->name.name;
}

/* The text of a content match node; NULL when it has none. */
static const char *filter_text(const struct lyd_node *f)
{
	const char *text = NULL;

	if (!f->schema)
		text = ((const struct lyd_node_opaq *)f)->value;
	else if (f->schema->nodetype & LYD_NODE_TERM)
		text = lyd_get_value(f);
	while (text && isspace((unsigned char)*text))
		text++;
	return text && *text ? text : NULL;
}

static bool is_content_match(const struct lyd_node *f)
{
	return !lyd_child(f) && filter_text(f);
}

static bool matches_content(const struct lyd_node *data,
			    const struct lyd_node *filter)
{
	const struct lyd_node *f, *d;

	LY_LIST_FOR (lyd_child(filter), f) {
		bool found = false;

		if (!is_content_match(f))
			continue;
		LY_LIST_FOR (lyd_child(data), d)
			found |= !strcmp(d->schema->name, filter_name(f)) &&
				 (d->schema->nodetype & LYD_NODE_TERM) &&
				 !strcmp(lyd_get_value(d), filter_text(f));
		if (!found)
			return false;
	}
	return true;
}

static bool has_selection(const struct lyd_node *filter)
{
	const struct lyd_node *f;

	LY_LIST_FOR (lyd_child(filter), f)
		if (!is_content_match(f))
			return true;
	return false;
}

static LY_ERR select_siblings(const struct lyd_node *filter,
			      const struct lyd_node *data,
			      struct lyd_node *parent, struct lyd_node **top);

/* Copies d under parent, or (top level) into *top; *copy if given. */
static LY_ERR add_copy(const struct lyd_node *d, bool recursive,
		       struct lyd_node *parent, struct lyd_node **top,
		       struct lyd_node **copy)
{
	struct lyd_node *dup = NULL;
	LY_ERR err = lyd_dup_single(d, (struct lyd_node_inner *)parent,
				    recursive ? LYD_DUP_RECURSIVE : 0, &dup);

	if (!err && !parent)
		err = lyd_insert_sibling(*top, dup, top);
	if (copy)
		*copy = dup;
	return err;
}

static bool only_keys(const struct lyd_node *node)
{
	const struct lyd_node *child;

	LY_LIST_FOR (lyd_child(node), child)
		if (!lysc_is_key(child->schema))
			return false;
	return true;
}

/*
 * A containment node: d with what the filter's children select (its
 * keys come with it); dropped when they select nothing.
 */
static LY_ERR select_inside(const struct lyd_node *filter,
			    const struct lyd_node *d, struct lyd_node *parent,
			    struct lyd_node **top)
{
	struct lyd_node *copy = NULL;
	const struct lyd_node *f;
	LY_ERR err = add_copy(d, false, parent, top, &copy);

	LY_LIST_FOR (lyd_child(filter), f)
		if (!err)
			err = select_siblings(f, lyd_child(d), copy, NULL);
	if (!err && only_keys(copy)) {
		if (!parent && *top == copy)
			*top = copy->next;
		lyd_free_tree(copy);
	}
	return err;
}

/* The data siblings one filter node selects, copied under parent. */
static LY_ERR select_siblings(const struct lyd_node *filter,
			      const struct lyd_node *data,
			      struct lyd_node *parent, struct lyd_node **top)
{
	const struct lyd_node *d;
	LY_ERR err = LY_SUCCESS;

	LY_LIST_FOR (data, d) {
		if (err || strcmp(d->schema->name, filter_name(filter)))
			continue;
		if (parent && lysc_is_key(d->schema))
			continue; /* copied with its list entry */
		if (is_content_match(filter))
			err = strcmp(lyd_get_value(d), filter_text(filter))
				      ? LY_SUCCESS
				      : add_copy(d, false, parent, top, NULL);
		else if (!matches_content(d, filter))
			continue;
		else if (!has_selection(filter))
			err = add_copy(d, true, parent, top, NULL);
		else
			err = select_inside(filter, d, parent, top);
	}
	return err;
}

static LY_ERR filter_subtree(const struct lyd_node *filter,
			     struct lyd_node **tree)
{
	struct lyd_node *result = NULL;
	const struct lyd_node *f;
	LY_ERR err = LY_SUCCESS;

	LY_LIST_FOR (filter, f)
		if (!err)
			err = select_siblings(f, *tree, NULL, &result);
	if (err) {
		lyd_free_all(result);
		return err;
	}
	lyd_free_all(*tree);
	*tree = result;
	return LY_SUCCESS;
}

static LY_ERR filter_xpath(const char *xpath, struct lyd_node **tree)
{
	struct lyd_node *result = NULL, *copy;
	struct ly_set *set = NULL;
	LY_ERR err = lyd_find_xpath(*tree, xpath, &set);

	for (uint32_t i = 0; !err && i < set->count; i++) {
		err = lyd_dup_single(set->dnodes[i], NULL,
				     LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS,
				     &copy);
		while (!err && lyd_parent(copy))
			copy = lyd_parent(copy);
		if (!err)
			err = lyd_merge_siblings(&result, copy,
						 LYD_MERGE_DESTRUCT);
	}
	ly_set_free(set, NULL);
	if (err) {
		lyd_free_all(result);
		return err;
	}
	lyd_free_all(*tree);
	*tree = result;
	return LY_SUCCESS;
}

/*
 * The filter's XML. lyd_any_value_str() leaves empty containers out,
 * which are selection nodes in a filter (<yang-library/>).
 */
static LY_ERR filter_xml(const struct lyd_node *filter, char **xml)
{
	const struct lyd_node_any *any = (const void *)filter;

	*xml = NULL;
	if (any->value_type != LYD_ANYDATA_DATATREE)
		return lyd_any_value_str(filter, xml);
	return lyd_print_mem(xml, any->value.tree, LYD_XML,
			     LYD_PRINT_WITHSIBLINGS | LYD_PRINT_KEEPEMPTYCONT |
				     LYD_PRINT_SHRINK);
}

/* The filter's content, parsed as data where it fits the schema. */
static LY_ERR parse_filter(const struct lyd_node *any, struct lyd_node **out)
{
	char *xml = NULL;
	LY_ERR err = filter_xml(any, &xml);

	*out = NULL;
	if (!err && xml)
		err = lyd_parse_data_mem(LYD_CTX(any), xml, LYD_XML,
					 LYD_PARSE_ONLY | LYD_PARSE_OPAQ, 0,
					 out);
	free(xml);
	return err;
}

LY_ERR nc_filter_apply(const struct lyd_node *rpc, struct lyd_node **tree,
		       char *err, size_t errlen)
{
	const struct lyd_meta *type, *select;
	struct lyd_node *filter = NULL, *content;
	LY_ERR ret;

	if (lyd_find_path(rpc, "filter", 0, &filter))
		return LY_SUCCESS;
	type = lyd_find_meta(filter->meta, NULL, "ietf-netconf:type");
	if (type && !strcmp(lyd_get_meta_value(type), "xpath")) {
		select = lyd_find_meta(filter->meta, NULL,
				       "ietf-netconf:select");
		ret = select ? filter_xpath(lyd_get_meta_value(select), tree)
			     : LY_EINVAL;
		if (ret)
			snprintf(err, errlen, "bad XPath filter: %s",
				 select ? ly_errmsg(LYD_CTX(rpc))
					: "no select attribute");
		return ret;
	}
	ret = parse_filter(filter, &content);
	if (!ret)
		ret = filter_subtree(content, tree);
	if (ret)
		snprintf(err, errlen, "bad subtree filter: %s",
			 ly_errmsg(LYD_CTX(rpc)));
	lyd_free_all(content);
	return ret;
}

/* -- what a filter needs read ---------------------------------------------- */

static const char *filter_ns(const struct lyd_node *f)
{
	return f->schema ? f->schema->module->ns
			 : ((const struct lyd_node_opaq *)f)->name.module_ns;
}

static void need_all_state(struct nc_state_parts *state)
{
	*state = (struct nc_state_parts){.sids = true,
					 .local_instances = true,
					 .statistics = true};
}

/* The SID a state/sid filter node names (content match); NULL: any. */
static const char *named_sid(const struct lyd_node *sid_filter)
{
	const struct lyd_node *f;

	LY_LIST_FOR (lyd_child(sid_filter), f)
		if (!strcmp(filter_name(f), "sid") && is_content_match(f))
			return filter_text(f);
	return NULL;
}

/*
 * state/sid: one SID when every sid filter node names the same one; a
 * SID that is not a valid prefix is in no data, so needs nothing.
 */
static void need_sid(const struct lyd_node *f, struct nc_state_parts *state)
{
	const char *sid = named_sid(f);
	bool first = !state->sids;
	struct cfn_prefix prefix;
	char reason[128];

	if (sid && !cfn_prefix_parse(sid, &prefix, reason, sizeof(reason)))
		return;
	if (sid && (first || !strcmp(state->sid, sid)) &&
	    strlen(sid) < sizeof(state->sid))
		snprintf(state->sid, sizeof(state->sid), "%s", sid);
	else
		state->sid[0] = '\0';
	state->sids = true;
}

static void need_state(const struct lyd_node *filter,
		       struct nc_state_parts *state)
{
	const struct lyd_node *f;

	if (!has_selection(filter)) {
		need_all_state(state);
		return;
	}
	LY_LIST_FOR (lyd_child(filter), f) {
		const char *name = filter_name(f);

		if (!strcmp(name, "sid"))
			need_sid(f, state);
		else if (!strcmp(name, "local-instance"))
			state->local_instances = true;
		else if (!strcmp(name, "statistics"))
			state->statistics = true;
	}
}

static void need_cfn(const struct lyd_node *filter, struct nc_get_needs *needs)
{
	const struct lyd_node *f;

	if (!has_selection(filter)) {
		needs->config = true;
		need_all_state(&needs->state);
		return;
	}
	/* content match nodes too: they select by configuration */
	LY_LIST_FOR (lyd_child(filter), f) {
		if (!strcmp(filter_name(f), "state"))
			need_state(f, &needs->state);
		else
			needs->config = true;
	}
}

void nc_filter_needs(const struct lyd_node *rpc, struct nc_get_needs *needs)
{
	const struct lyd_meta *type;
	struct lyd_node *filter = NULL, *content = NULL;
	const struct lyd_node *f;

	*needs = (struct nc_get_needs){.config = true, .library = true};
	need_all_state(&needs->state);
	if (lyd_find_path(rpc, "filter", 0, &filter))
		return;
	type = lyd_find_meta(filter->meta, NULL, "ietf-netconf:type");
	if ((type && !strcmp(lyd_get_meta_value(type), "xpath")) ||
	    parse_filter(filter, &content))
		return;
	*needs = (struct nc_get_needs){};
	LY_LIST_FOR (content, f) {
		const char *ns = filter_ns(f);

		if (ns && !strcmp(ns, NC_CLI_NAMESPACE))
			need_cfn(f, needs);
		else
			needs->library = true;
	}
	lyd_free_all(content);
}
