/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cfn_prefix.h"
#include "nc_cli.h"
#include "nc_edit.h"
#include "nc_filter.h"
#include "nc_library.h"
#include "nc_running.h"
#include "nc_server.h"
#include "nc_state.h"
#include "nc_yang_compat.h"

#define ERR_LEN 512

/* An rpc-error reply; tag is an NC_ERR, message explains it. */
static struct nc_server_reply *reply_error(NC_ERR tag, NC_ERR_TYPE type,
					   const char *message,
					   const char *path)
{
	struct lyd_node *err = nc_err(nc_cfn.ctx, tag, type);

	if (message)
		nc_err_set_msg(err, message, "en");
	if (path)
		nc_err_set_path(err, path);
	return nc_server_reply_err(err);
}

static struct nc_server_reply *reply_failed(const char *message)
{
	return reply_error(NC_ERR_OP_FAILED, NC_ERR_TYPE_APP, message, NULL);
}

/* libyang's last error as an rpc-error: invalid value, missing data... */
static struct nc_server_reply *reply_invalid(void)
{
	const struct ly_err_item *e = ly_err_last(nc_cfn.ctx);
	NC_ERR tag = NC_ERR_INVALID_VALUE;

	if (e && e->vecode == LYVE_DATA && strstr(e->msg, "andatory"))
		tag = NC_ERR_DATA_MISSING;
	return reply_error(tag, NC_ERR_TYPE_APP,
			   e ? e->msg : "invalid configuration",
			   e ? nc_err_data_path(e) : NULL);
}

static bool locked_by_other(struct nc_session *session)
{
	return nc_cfn.lock_owner &&
	       nc_cfn.lock_owner != nc_session_get_id(session);
}

/*
 * The content of an anyxml/anydata input ("config") as data; opaque:
 * what does not parse is kept as opaque nodes instead of failing.
 */
static LY_ERR parse_any(const struct lyd_node *any, bool opaque,
			struct lyd_node **data)
{
	char *xml = NULL;
	LY_ERR ret = lyd_any_value_str(any, &xml);

	*data = NULL;
	if (!ret && xml)
		ret = lyd_parse_data_mem(nc_cfn.ctx, xml, LYD_XML,
					 LYD_PARSE_ONLY | LYD_PARSE_NO_STATE |
						 (opaque ? LYD_PARSE_OPAQ
							 : LYD_PARSE_STRICT),
					 0, data);
	free(xml);
	return ret;
}

/*
 * The text the client wrote for a service's SID; NULL for other nodes.
 * inet:ip-prefix is a union, whose value keeps the original text.
 */
static const char *written_sid(const struct lyd_node *node, char *buf,
			       size_t len)
{
	const struct lyd_value *value;

	if (!node->schema || strcmp(node->schema->name, "sid") ||
	    strcmp(node->schema->module->name, NC_CLI_MODULE) ||
	    !lysc_data_parent(node->schema) ||
	    strcmp(lysc_data_parent(node->schema)->name, "service"))
		return NULL;
	value = &((const struct lyd_node_term *)node)->value;
	if (value->realtype->basetype != LY_TYPE_UNION ||
	    value->subvalue->format != LY_VALUE_XML)
		return NULL;
	snprintf(buf, len, "%.*s", (int)value->subvalue->orig_len,
		 (const char *)value->subvalue->original);
	return buf;
}

/*
 * An rpc-error for the first service SID of config (the anyxml input,
 * as parsed from the request) with host bits set: bgpd refuses it, and
 * libyang would quietly clear the bits.
 */
static struct nc_server_reply *refuse_host_bits(const struct lyd_node *config)
{
	const struct lyd_node_any *any = (const void *)config;
	const struct lyd_node *top, *node;
	char sid[128], reason[160], message[192];
	struct cfn_prefix prefix;

	if (any->value_type != LYD_ANYDATA_DATATREE)
		return NULL;
	LY_LIST_FOR (any->value.tree, top) {
		LYD_TREE_DFS_BEGIN (top, node) {
			const char *text = written_sid(node, sid, sizeof(sid));

			if (text && !cfn_prefix_parse(text, &prefix, reason,
						      sizeof(reason))) {
				snprintf(message, sizeof(message),
					 "Invalid SID: %s", reason);
				return reply_error(NC_ERR_INVALID_VALUE,
						   NC_ERR_TYPE_APP, message,
						   NULL);
			}
			LYD_TREE_DFS_END(top, node);
		}
	}
	return NULL;
}

/* <get> and <get-config>: the tree wrapped in the RPC's output. */
static struct nc_server_reply *reply_tree(struct lyd_node *rpc,
					  struct lyd_node *tree)
{
	struct lyd_node *output = NULL;

	if (lyd_dup_single(rpc, NULL, 0, &output) ||
	    nc_new_output_any(output, "data", tree, true,
			      LYD_ANYDATA_DATATREE)) {
		lyd_free_all(tree);
		lyd_free_all(output);
		return reply_failed("out of memory");
	}
	return nc_server_reply_data(output, NC_WD_EXPLICIT,
				    NC_PARAMTYPE_FREE);
}

/* The data a <get> or <get-config> needs, read from bgpd. */
static LY_ERR read_data(const struct nc_get_needs *needs,
			struct lyd_node **tree, char *err, size_t errlen)
{
	const struct nc_state_parts *state = &needs->state;
	LY_ERR ret = LY_SUCCESS;

	*tree = NULL;
	if (needs->config)
		ret = nc_running_read(nc_cfn.ctx, nc_cfn.vty_path, tree, err,
				      errlen);
	if (!ret && (state->sids || state->local_instances || state->statistics))
		ret = nc_state_get(nc_cfn.ctx, nc_cfn.vty_path, state, tree,
				   err, errlen);
	if (!ret && needs->library)
		ret = nc_library_get(nc_cfn.ctx, tree);
	if (ret && !err[0])
		snprintf(err, errlen, "%s", ly_errmsg(nc_cfn.ctx));
	return ret;
}

static struct nc_server_reply *rpc_get(struct lyd_node *rpc, bool state)
{
	struct nc_get_needs needs = {.config = true};
	char err[ERR_LEN] = "";
	struct lyd_node *tree;

	/* get-config: the configuration, whatever the filter names */
	if (state)
		nc_filter_needs(rpc, &needs);
	if (read_data(&needs, &tree, err, sizeof(err))) {
		lyd_free_all(tree);
		return reply_failed(err);
	}
	if (nc_filter_apply(rpc, &tree, err, sizeof(err))) {
		lyd_free_all(tree);
		return reply_error(NC_ERR_INVALID_VALUE, NC_ERR_TYPE_PROT, err,
				   NULL);
	}
	return reply_tree(rpc, tree);
}

static const char *input_value(const struct lyd_node *rpc, const char *path)
{
	struct lyd_node *node = NULL;

	if (lyd_find_path(rpc, path, 0, &node))
		return NULL;
	return lyd_get_value(node);
}

/* RFC 6241's unknown-element: its name as bad-element, its path. */
static struct nc_server_reply *reply_unknown_element(const char *path)
{
	const char *name = strrchr(path, '/');
	const char *colon;
	struct lyd_node *err;

	name = name ? name + 1 : path;
	colon = strchr(name, ':');
	err = nc_err(nc_cfn.ctx, NC_ERR_UNKNOWN_ELEM, NC_ERR_TYPE_APP,
		     colon ? colon + 1 : name);
	nc_err_set_msg(err, "element not in the model", "en");
	nc_err_set_path(err, path);
	return nc_server_reply_err(err);
}

static struct nc_server_reply *edit_failure(struct nc_edit_error *error)
{
	static const struct {
		NC_ERR tag;
		const char *message;
	} failures[] = {
		[NC_EDIT_DATA_EXISTS] = {NC_ERR_DATA_EXISTS,
					 "create: the data exists already"},
		[NC_EDIT_DATA_MISSING] = {NC_ERR_DATA_MISSING,
					  "delete: the data does not exist"},
		[NC_EDIT_BAD_OPERATION] = {NC_ERR_BAD_ATTR,
					   "unknown operation"},
		[NC_EDIT_BAD_VALUE] = {NC_ERR_INVALID_VALUE, "invalid value"},
		[NC_EDIT_INTERNAL] = {NC_ERR_OP_FAILED, "internal error"},
	};
	struct nc_server_reply *reply;

	if (error->failure == NC_EDIT_UNKNOWN_ELEMENT)
		reply = reply_unknown_element(error->path);
	else
		reply = reply_error(failures[error->failure].tag,
				    NC_ERR_TYPE_PROT,
				    failures[error->failure].message,
				    error->path);
	free(error->path);
	return reply;
}

/* The running configuration with the edit applied, validated. */
static struct nc_server_reply *edited_config(struct lyd_node *rpc,
					     struct lyd_node **config)
{
	enum nc_edit_op default_op = NC_EDIT_MERGE;
	const char *value = input_value(rpc, "default-operation");
	struct nc_server_reply *reply = NULL, *invalid = NULL;
	struct nc_edit_error error;
	struct lyd_node *edit = NULL, *any = NULL;
	char err[ERR_LEN] = "";

	if (value)
		nc_edit_op_parse(value, &default_op);
	if (lyd_find_path(rpc, "config", 0, &any))
		return reply_invalid();
	reply = refuse_host_bits(any);
	if (reply)
		return reply;
	/* libyang's error of the strict parse, for what is not a delete */
	if (parse_any(any, false, &edit)) {
		invalid = reply_invalid();
		if (parse_any(any, true, &edit))
			return invalid;
	}
	if (nc_running_read(nc_cfn.ctx, nc_cfn.vty_path, config, err,
			    sizeof(err)))
		reply = reply_failed(err);
	else if (nc_edit_apply(config, edit, default_op, &error) &&
		 error.failure == NC_EDIT_BAD_VALUE && invalid) {
		free(error.path);
		reply = invalid;
	} else if (error.failure) {
		reply = edit_failure(&error);
	}
	lyd_free_all(edit);
	if (invalid && reply != invalid)
		nc_server_reply_free(invalid);
	if (reply)
		return reply;
	if (lyd_validate_all(config, nc_cfn.ctx,
			     LYD_VALIDATE_NO_STATE | LYD_VALIDATE_PRESENT,
			     NULL))
		return reply_invalid();
	return NULL;
}

static struct nc_server_reply *edit_running(struct lyd_node *rpc,
					    struct nc_session *session)
{
	const char *test_option = input_value(rpc, "test-option");
	struct nc_server_reply *reply;
	struct lyd_node *config = NULL;
	char err[ERR_LEN] = "";

	if (locked_by_other(session))
		return reply_error(NC_ERR_IN_USE, NC_ERR_TYPE_PROT,
				   "running is locked by another session",
				   NULL);
	reply = edited_config(rpc, &config);
	if (!reply && (!test_option || strcmp(test_option, "test-only")) &&
	    nc_running_commit(nc_cfn.ctx, nc_cfn.vty_path, config, err,
			      sizeof(err)))
		reply = reply_failed(err);
	lyd_free_all(config);
	return reply;
}

/* One edit at a time: each reads, changes and commits the running. */
static struct nc_server_reply *rpc_edit_config(struct lyd_node *rpc,
					       struct nc_session *session)
{
	struct nc_server_reply *reply;

	pthread_mutex_lock(&nc_cfn.config_lock);
	reply = edit_running(rpc, session);
	pthread_mutex_unlock(&nc_cfn.config_lock);
	if (!reply)
		syslog(LOG_INFO, "session %u: edit-config applied",
		       nc_session_get_id(session));
	return reply ? reply : nc_server_reply_ok();
}

static struct nc_server_reply *rpc_validate(struct lyd_node *rpc)
{
	struct lyd_node *any = NULL, *config = NULL;
	struct nc_server_reply *refused;
	LY_ERR ret;

	if (lyd_find_path(rpc, "source/config", 0, &any))
		return nc_server_reply_ok(); /* running: valid by itself */
	refused = refuse_host_bits(any);
	if (refused)
		return refused;
	ret = parse_any(any, false, &config);
	if (!ret)
		ret = lyd_validate_all(&config, nc_cfn.ctx,
				       LYD_VALIDATE_NO_STATE |
					       LYD_VALIDATE_PRESENT,
				       NULL);
	lyd_free_all(config);
	return ret ? reply_invalid() : nc_server_reply_ok();
}

static struct nc_server_reply *set_lock(struct nc_session *session,
					bool lock)
{
	uint32_t id = nc_session_get_id(session);
	struct lyd_node *err;

	if (lock && nc_cfn.lock_owner) {
		err = nc_err(nc_cfn.ctx, NC_ERR_LOCK_DENIED, nc_cfn.lock_owner);
		nc_err_set_msg(err, "running is locked already", "en");
		return nc_server_reply_err(err);
	}
	if (!lock && nc_cfn.lock_owner != id)
		return reply_failed("this session holds no lock on running");
	nc_cfn.lock_owner = lock ? id : 0;
	return nc_server_reply_ok();
}

static struct nc_server_reply *rpc_lock(struct nc_session *session,
					bool lock)
{
	struct nc_server_reply *reply;

	pthread_mutex_lock(&nc_cfn.config_lock);
	reply = set_lock(session, lock);
	pthread_mutex_unlock(&nc_cfn.config_lock);
	return reply;
}

static struct nc_server_reply *rpc_dispatch(struct lyd_node *rpc,
					    struct nc_session *session)
{
	const char *name = rpc->schema->name;

	if (!strcmp(name, "get"))
		return rpc_get(rpc, true);
	if (!strcmp(name, "get-config"))
		return rpc_get(rpc, false);
	if (!strcmp(name, "edit-config"))
		return rpc_edit_config(rpc, session);
	if (!strcmp(name, "validate"))
		return rpc_validate(rpc);
	if (!strcmp(name, "lock") || !strcmp(name, "unlock"))
		return rpc_lock(session, !strcmp(name, "lock"));
	if (!strcmp(name, "create-subscription"))
		return nc_notify_subscribe(rpc, session);
	return reply_error(NC_ERR_OP_NOT_SUPPORTED, NC_ERR_TYPE_PROT,
			   "operation not supported by cfn-netconfd", NULL);
}

/* A <get-schema> format (an identity, maybe prefixed); false: unknown */
static bool schema_format(const char *format, LYS_OUTFORMAT *out)
{
	const char *identity = format ? strchr(format, ':') : NULL;

	identity = identity ? identity + 1 : format;
	if (!identity || !strcmp(identity, "yang"))
		*out = LYS_OUT_YANG;
	else if (!strcmp(identity, "yin"))
		*out = LYS_OUT_YIN;
	else
		return false;
	return true;
}

/* The module's text; YIN without its XML declaration, as the reply's
 * <data> holds it. */
static char *schema_text(const struct lys_module *mod, LYS_OUTFORMAT format)
{
	char *text = NULL, *end;

	if (lys_print_mem(&text, mod, format, 0))
		return NULL;
	end = format == LYS_OUT_YIN ? strstr(text, "?>") : NULL;
	if (end) {
		end += 2 + strspn(end + 2, "\n");
		memmove(text, end, strlen(end) + 1);
	}
	return text;
}

/*
 * <get-schema> (RFC 6022), YANG or YIN. libnetconf2 2.0's own handler
 * hands libyang 2.1 a dictionary string as an owned value and reads it
 * after it is freed.
 */
static struct nc_server_reply *rpc_get_schema(struct lyd_node *rpc,
					      struct nc_session *session)
{
	const char *name = input_value(rpc, "identifier");
	const char *revision = input_value(rpc, "version");
	const char *format = input_value(rpc, "format");
	const struct lys_module *mod;
	struct lyd_node *output = NULL;
	LYS_OUTFORMAT out_format;
	char *text;

	(void)session;
	mod = revision && revision[0]
		      ? ly_ctx_get_module(nc_cfn.ctx, name, revision)
		      : ly_ctx_get_module_latest(nc_cfn.ctx, name);
	if (!mod)
		return reply_error(NC_ERR_INVALID_VALUE, NC_ERR_TYPE_APP,
				   "no such module", NULL);
	if (!schema_format(format, &out_format))
		return reply_error(NC_ERR_INVALID_VALUE, NC_ERR_TYPE_APP,
				   "formats served: yang and yin", NULL);
	text = schema_text(mod, out_format);
	if (!text || lyd_dup_single(rpc, NULL, 0, &output) ||
	    nc_new_output_any(output, "data", text, false,
			      out_format == LYS_OUT_YIN ? LYD_ANYDATA_XML
							: LYD_ANYDATA_STRING)) {
		free(text);
		lyd_free_all(output);
		return reply_failed("cannot print the module");
	}
	free(text);
	return nc_server_reply_data(output, NC_WD_EXPLICIT,
				    NC_PARAMTYPE_FREE);
}

void nc_rpc_init(void)
{
	struct lysc_node *get_schema = (struct lysc_node *)lys_find_path(
		nc_cfn.ctx, NULL, "/ietf-netconf-monitoring:get-schema", 0);

	if (get_schema)
		nc_set_rpc_callback(get_schema, rpc_get_schema);
	nc_set_global_rpc_clb(rpc_dispatch);
}

void nc_rpc_session_closed(struct nc_session *session)
{
	pthread_mutex_lock(&nc_cfn.config_lock);
	if (nc_cfn.lock_owner == nc_session_get_id(session))
		nc_cfn.lock_owner = 0;
	pthread_mutex_unlock(&nc_cfn.config_lock);
}
