/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "nc_library.h"

#define MONITORING "ietf-netconf-monitoring"

/* The formats <get-schema> serves (rpc_get_schema in nc_rpc.c). */
static const char *const schema_formats[] = {"yang", "yin"};

static LY_ERR add_schema(struct lyd_node *schemas,
			 const struct lys_module *mod, const char *format)
{
	struct lyd_node *entry;
	char keys[256];
	LY_ERR err;

	/* a module without revision has the empty version (RFC 6022) */
	snprintf(keys, sizeof(keys),
		 "[identifier='%s'][version='%s'][format='" MONITORING
		 ":%s']",
		 mod->name, mod->revision ? mod->revision : "", format);
	err = lyd_new_list2(schemas, NULL, "schema", keys, 0, &entry);
	if (!err)
		err = lyd_new_term(entry, NULL, "namespace", mod->ns, 0, NULL);
	if (!err)
		err = lyd_new_term(entry, NULL, "location", "NETCONF", 0, NULL);
	return err;
}

/* /netconf-state/schemas: every module, in every format served. */
static LY_ERR add_schemas(const struct ly_ctx *ctx, struct lyd_node **tree)
{
	const struct lys_module *monitoring =
		ly_ctx_get_module_implemented(ctx, MONITORING);
	struct lyd_node *state = NULL, *schemas = NULL;
	const struct lys_module *mod;
	uint32_t index = 0;
	LY_ERR err;

	if (!monitoring)
		return LY_ENOTFOUND;
	err = lyd_new_inner(NULL, monitoring, "netconf-state", 0, &state);
	if (!err)
		err = lyd_new_inner(state, NULL, "schemas", 0, &schemas);
	while (!err && (mod = ly_ctx_get_module_iter(ctx, &index)))
		for (size_t i = 0; !err && i < sizeof(schema_formats) /
							sizeof(*schema_formats);
		     i++)
			err = add_schema(schemas, mod, schema_formats[i]);
	if (!err)
		err = lyd_insert_sibling(*tree, state, tree);
	if (err)
		lyd_free_tree(state);
	return err;
}

LY_ERR nc_library_get(const struct ly_ctx *ctx, struct lyd_node **tree)
{
	struct lyd_node *library = NULL;
	LY_ERR err = ly_ctx_get_yanglib_data(ctx, &library, "%u",
					     ly_ctx_get_change_count(ctx));

	if (!err)
		err = lyd_insert_sibling(*tree, library, tree);
	if (err) {
		lyd_free_all(library);
		return err;
	}
	return add_schemas(ctx, tree);
}
