/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nc_cli.h"
#include "nc_state.h"
#include "nc_vty.h"

#define NAME_MAX_LEN 64

/* "igpMetric" -> "igp-metric" */
static void kebab_case(const char *camel, char *out, size_t len)
{
	size_t n = 0;

	for (; *camel && n + 2 < len; camel++) {
		if (isupper((unsigned char)*camel)) {
			out[n++] = '-';
			out[n++] = (char)tolower((unsigned char)*camel);
		} else {
			out[n++] = *camel;
		}
	}
	out[n] = '\0';
}

static const struct lysc_node *find_child(const struct lysc_node *parent,
					  const char *name)
{
	return lys_find_child(parent, parent->module, name, 0, 0, 0);
}

/* The schema node a JSON member maps to: "egresses" -> list "egress". */
static const struct lysc_node *member_schema(const struct lysc_node *parent,
					     const char *member)
{
	static const char *const plurals[] = {"es", "s"};
	const struct lysc_node *snode;
	char name[NAME_MAX_LEN];
	size_t len;

	kebab_case(member, name, sizeof(name));
	snode = find_child(parent, name);
	len = strlen(name);
	for (size_t i = 0; !snode && i < 2; i++) {
		size_t cut = strlen(plurals[i]);

		if (len > cut && !strcmp(name + len - cut, plurals[i])) {
			char singular[NAME_MAX_LEN];

			snprintf(singular, sizeof(singular), "%.*s",
				 (int)(len - cut), name);
			snode = find_child(parent, singular);
			if (snode && snode->nodetype != LYS_LIST)
				snode = NULL;
		}
	}
	return snode;
}

/* A JSON scalar as the leaf's YANG value. */
static const char *leaf_value(const struct lysc_node *snode, json_object *val,
			      char *buf, size_t len)
{
	const struct lysc_type *type = ((const struct lysc_node_leaf *)snode)->type;

	switch (json_object_get_type(val)) {
	case json_type_boolean:
		return json_object_get_boolean(val) ? "true" : "false";
	case json_type_int:
		snprintf(buf, len, "%" PRId64, json_object_get_int64(val));
		return buf;
	case json_type_double:
		snprintf(buf, len, "%.*f",
			 type->basetype == LY_TYPE_DEC64
				 ? ((const struct lysc_type_dec *)type)
					   ->fraction_digits
				 : 0,
			 json_object_get_double(val));
		return buf;
	case json_type_string:
		return json_object_get_string(val);
	default:
		return NULL;
	}
}

/* The member of obj that maps to leaf name (keys of list entries). */
static json_object *member_for(json_object *obj, const char *name)
{
	char kebab[NAME_MAX_LEN];

	json_object_object_foreach(obj, member, val)
	{
		kebab_case(member, kebab, sizeof(kebab));
		if (!strcmp(kebab, name))
			return val;
	}
	return NULL;
}

static LY_ERR put_list_entry(struct lyd_node *parent,
			     const struct lysc_node *list, json_object *obj)
{
	char keys[256] = "", buf[NAME_MAX_LEN];
	const struct lysc_node *key;
	struct lyd_node *entry;
	LY_ERR err;

	if (!list || !json_object_is_type(obj, json_type_object))
		return LY_SUCCESS;
	LY_LIST_FOR (lysc_node_child(list), key) {
		json_object *val = member_for(obj, key->name);
		const char *value;
		size_t len = strlen(keys);

		if (!lysc_is_key(key))
			break;
		value = val ? leaf_value(key, val, buf, sizeof(buf)) : NULL;
		if (!value || strchr(value, '\''))
			return LY_SUCCESS; /* no usable key: not modelled */
		snprintf(keys + len, sizeof(keys) - len, "[%s='%s']",
			 key->name, value);
	}
	err = lyd_new_list2(parent, NULL, list->name, keys, 0, &entry);
	return err ? err : nc_state_put_object(entry, obj);
}

static LY_ERR put_member(struct lyd_node *parent, const char *member,
			 json_object *val)
{
	const struct lysc_node *snode = member_schema(parent->schema, member);
	struct lyd_node *inner;
	char buf[NAME_MAX_LEN];
	const char *value;
	LY_ERR err = LY_SUCCESS;

	if (!snode || lysc_is_key(snode))
		return LY_SUCCESS; /* not modelled, or set with its entry */
	switch (snode->nodetype) {
	case LYS_LEAF:
		value = leaf_value(snode, val, buf, sizeof(buf));
		return value ? lyd_new_term(parent, NULL, snode->name, value, 0,
					    NULL)
			     : LY_SUCCESS;
	case LYS_CONTAINER:
		if (!json_object_is_type(val, json_type_object))
			return LY_SUCCESS;
		err = lyd_new_inner(parent, NULL, snode->name, 0, &inner);
		return err ? err : nc_state_put_object(inner, val);
	case LYS_LIST:
		if (!json_object_is_type(val, json_type_array))
			return LY_SUCCESS;
		for (size_t i = 0; !err && i < json_object_array_length(val);
		     i++)
			err = put_list_entry(parent, snode,
					     json_object_array_get_idx(val, i));
		return err;
	default:
		return LY_SUCCESS;
	}
}

LY_ERR nc_state_put_object(struct lyd_node *parent, json_object *obj)
{
	LY_ERR err = LY_SUCCESS;

	json_object_object_foreach(obj, member, val)
	{
		err = put_member(parent, member, val);
		if (err)
			break;
	}
	return err;
}

json_object *nc_state_query(const char *vty_path, const char *command,
			    char *err, size_t errlen)
{
	char *output = NULL;
	json_object *json = NULL;

	if (nc_vty_query(vty_path, command, &output) != 0)
		snprintf(err, errlen, "'%s' failed: %s", command,
			 output ? output : "");
	else if (!(json = json_tokener_parse(output)))
		snprintf(err, errlen, "'%s' returned no JSON", command);
	free(output);
	return json;
}

json_object *nc_state_instance(json_object *reply)
{
	json_object *instances;

	if (!json_object_object_get_ex(reply, "instances", &instances))
		return NULL;
	return json_object_array_get_idx(instances, 0);
}

/* What a walk over the SIDs adds to. */
struct sid_walk {
	const char *vty_path;
	struct lyd_node *state;
	char *err;
	size_t errlen;
};

/* One SID's view, from "show bgp cfn service SID json". */
static LY_ERR put_sid(const struct sid_walk *w, const char *sid)
{
	char command[128];
	json_object *reply, *view;
	LY_ERR ret = LY_SUCCESS;

	snprintf(command, sizeof(command), "show bgp cfn service %s json",
		 sid);
	reply = nc_state_query(w->vty_path, command, w->err, w->errlen);
	if (!reply)
		return LY_EOTHER;
	view = nc_state_instance(reply);
	if (view)
		ret = put_list_entry(w->state,
				     member_schema(w->state->schema, "sids"),
				     view);
	json_object_put(reply);
	return ret;
}

/* One SID of "services". */
static LY_ERR put_summary_sid(const struct sid_walk *w, json_object *summary)
{
	json_object *sid;

	if (!json_object_object_get_ex(summary, "sid", &sid))
		return LY_SUCCESS;
	return put_sid(w, json_object_get_string(sid));
}

/* One SID of "selection": into its entry's "selection". */
static LY_ERR put_selection(const struct sid_walk *w, json_object *sel)
{
	struct lyd_node *entry = NULL, *inner;
	json_object *sid;
	char path[128];
	LY_ERR ret;

	json_object_object_get_ex(sel, "sid", &sid);
	snprintf(path, sizeof(path), "sid[sid='%s']",
		 json_object_get_string(sid));
	if (lyd_find_path(w->state, path, 0, &entry))
		return LY_SUCCESS; /* the SID left meanwhile */
	ret = lyd_new_inner(entry, NULL, "selection", 0, &inner);
	return ret ? ret : nc_state_put_object(inner, sel);
}

/* Calls put for each member of "sids" in the reply to command. */
static LY_ERR for_each_sid(const struct sid_walk *w, const char *command,
			   LY_ERR (*put)(const struct sid_walk *,
					 json_object *))
{
	json_object *reply = nc_state_query(w->vty_path, command, w->err,
					    w->errlen);
	json_object *sids;
	LY_ERR ret = LY_SUCCESS;

	if (!reply)
		return LY_EOTHER;
	if (json_object_object_get_ex(nc_state_instance(reply), "sids", &sids))
		for (size_t i = 0; !ret && i < json_object_array_length(sids);
		     i++)
			ret = put(w, json_object_array_get_idx(sids, i));
	json_object_put(reply);
	return ret;
}

/* The object at instances[0] (or the top, member "api") of a command. */
static LY_ERR put_command(const char *vty_path, struct lyd_node *parent,
			  const char *command, const char *member, char *err,
			  size_t errlen)
{
	json_object *reply = nc_state_query(vty_path, command, err, errlen);
	json_object *obj;
	LY_ERR ret = LY_SUCCESS;

	if (!reply)
		return LY_EOTHER;
	obj = nc_state_instance(reply);
	if (obj)
		ret = nc_state_put_object(parent, obj);
	if (!ret && member && json_object_object_get_ex(reply, member, &obj))
		ret = put_member(parent, member, obj);
	json_object_put(reply);
	return ret;
}

/* state/sid: every SID's, or the one of parts->sid */
static LY_ERR put_sids(const struct sid_walk *w,
		       const struct nc_state_parts *parts)
{
	char command[128];
	LY_ERR ret;

	if (!parts->sid[0]) {
		ret = for_each_sid(w, "show bgp cfn services json",
				   put_summary_sid);
		return ret ? ret
			   : for_each_sid(w, "show bgp cfn selection json",
					  put_selection);
	}
	snprintf(command, sizeof(command), "show bgp cfn selection %s json",
		 parts->sid);
	ret = put_sid(w, parts->sid);
	return ret ? ret : for_each_sid(w, command, put_selection);
}

LY_ERR nc_state_get(const struct ly_ctx *ctx, const char *vty_path,
		    const struct nc_state_parts *parts, struct lyd_node **tree,
		    char *err, size_t errlen)
{
	struct lyd_node *state = NULL, *stats = NULL;
	struct sid_walk walk = {vty_path, NULL, err, errlen};
	LY_ERR ret;

	ret = lyd_new_path(*tree, ctx, "/" NC_CLI_MODULE ":cfn/state", NULL,
			   LYD_NEW_PATH_UPDATE, *tree ? &state : tree);
	if (!ret && !state)
		ret = lyd_find_path(*tree, "/" NC_CLI_MODULE ":cfn/state", 0,
				    &state);
	walk.state = state;
	if (!ret && parts->sids)
		ret = put_sids(&walk, parts);
	if (!ret && parts->local_instances)
		ret = put_command(vty_path, state, "show bgp cfn instances json",
				  NULL, err, errlen);
	if (!ret && parts->statistics)
		ret = lyd_new_inner(state, NULL, "statistics", 0, &stats);
	if (!ret && parts->statistics)
		ret = put_command(vty_path, stats,
				  "show bgp cfn statistics json", "api", err,
				  errlen);
	return ret;
}
