/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <string.h>

#include "nc_edit.h"

static const char *const op_names[] = {
	[NC_EDIT_NONE] = "none",       [NC_EDIT_MERGE] = "merge",
	[NC_EDIT_REPLACE] = "replace", [NC_EDIT_CREATE] = "create",
	[NC_EDIT_DELETE] = "delete",   [NC_EDIT_REMOVE] = "remove",
};

bool nc_edit_op_parse(const char *name, enum nc_edit_op *op)
{
	for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (!strcmp(name, op_names[i])) {
			*op = (enum nc_edit_op)i;
			return true;
		}
	return false;
}

static enum nc_edit_failure fail(struct nc_edit_error *error,
				 enum nc_edit_failure failure,
				 const struct lyd_node *node)
{
	error->failure = failure;
	error->path = lyd_path(node, LYD_PATH_STD, NULL, 0);
	return failure;
}

/* The node's own operation, or the one it inherits. */
static bool node_op(const struct lyd_node *node, enum nc_edit_op inherited,
		    enum nc_edit_op *op)
{
	const struct lyd_meta *meta =
		lyd_find_meta(node->meta, NULL, "ietf-netconf:operation");

	*op = inherited;
	return !meta || nc_edit_op_parse(lyd_get_meta_value(meta), op);
}

/*
 * The instance of edit's node among the children of parent. A list or
 * leaf-list entry is the one with the same keys or value; a leaf is the
 * one leaf of its name, whatever its value (lyd_find_sibling_first()
 * compares leaves by value too: a changed value would not match).
 */
static struct lyd_node *find_match(struct lyd_node *parent,
				   struct lyd_node *config,
				   const struct lyd_node *edit)
{
	struct lyd_node *siblings = parent ? lyd_child(parent) : config;
	struct lyd_node *match = NULL;

	if (edit->schema->nodetype & (LYS_LIST | LYS_LEAFLIST))
		lyd_find_sibling_first(siblings, edit, &match);
	else
		lyd_find_sibling_val(siblings, edit->schema, NULL, 0, &match);
	return match;
}

static enum nc_edit_failure insert_copy(struct lyd_node **config,
					struct lyd_node *parent,
					const struct lyd_node *edit,
					uint32_t options,
					struct lyd_node **copy)
{
	struct lyd_node *dup = NULL;

	if (lyd_dup_single(edit, (struct lyd_node_inner *)parent,
			   options | LYD_DUP_NO_META, &dup))
		return NC_EDIT_INTERNAL;
	if (!parent && lyd_insert_sibling(*config, dup, config)) {
		lyd_free_tree(dup);
		return NC_EDIT_INTERNAL;
	}
	if (copy)
		*copy = dup;
	return NC_EDIT_OK;
}

static void remove_node(struct lyd_node **config, struct lyd_node *node)
{
	if (*config == node)
		*config = node->next;
	lyd_free_tree(node);
}

static enum nc_edit_failure edit_node(struct lyd_node **config,
				      struct lyd_node *parent,
				      const struct lyd_node *edit,
				      enum nc_edit_op inherited,
				      struct nc_edit_error *error);

/* merge or none on an interior node: descend */
static enum nc_edit_failure edit_children(struct lyd_node **config,
					  struct lyd_node *parent,
					  struct lyd_node *match,
					  const struct lyd_node *edit,
					  enum nc_edit_op op,
					  struct nc_edit_error *error)
{
	enum nc_edit_failure failure = NC_EDIT_OK;
	const struct lyd_node *child;

	if (!match) {
		/* structure for the descendants; lists bring their keys */
		failure = insert_copy(config, parent, edit, 0, &match);
		if (failure)
			return failure;
	}
	LY_LIST_FOR (lyd_child(edit), child) {
		if (child->schema && lysc_is_key(child->schema))
			continue;
		failure = edit_node(config, match, child, op, error);
		if (failure)
			break;
	}
	return failure;
}

#define NETCONF_NS "urn:ietf:params:xml:ns:netconf:base:1.0"

/*
 * A node that did not parse: not in the model, or a leaf whose value did
 * not parse, of which only a deletion makes sense.
 */
static enum nc_edit_failure edit_opaque(struct lyd_node *parent,
					const struct lyd_node *edit,
					enum nc_edit_op op,
					struct nc_edit_error *error)
{
	const struct lyd_node_opaq *opaq = (const struct lyd_node_opaq *)edit;
	const struct lysc_node *snode = NULL;
	struct lyd_node *match = NULL;

	for (const struct lyd_attr *a = opaq->attr; a; a = a->next)
		if (!strcmp(a->name.name, "operation") && a->name.module_ns &&
		    !strcmp(a->name.module_ns, NETCONF_NS) &&
		    !nc_edit_op_parse(a->value, &op))
			return fail(error, NC_EDIT_BAD_OPERATION, edit);
	if (parent)
		snode = lys_find_child(parent->schema, parent->schema->module,
				       opaq->name.name, 0, 0, 0);
	if (!snode)
		return fail(error, NC_EDIT_UNKNOWN_ELEMENT, edit);
	if (snode->nodetype != LYS_LEAF ||
	    (op != NC_EDIT_DELETE && op != NC_EDIT_REMOVE))
		return fail(error, NC_EDIT_BAD_VALUE, edit);
	lyd_find_sibling_val(lyd_child(parent), snode, NULL, 0, &match);
	if (!match || (match->flags & LYD_DEFAULT))
		return op == NC_EDIT_DELETE
			       ? fail(error, NC_EDIT_DATA_MISSING, edit)
			       : NC_EDIT_OK;
	lyd_free_tree(match);
	return NC_EDIT_OK;
}

static enum nc_edit_failure edit_node(struct lyd_node **config,
				      struct lyd_node *parent,
				      const struct lyd_node *edit,
				      enum nc_edit_op inherited,
				      struct nc_edit_error *error)
{
	struct lyd_node *match;
	enum nc_edit_op op;

	if (!edit->schema)
		return edit_opaque(parent, edit, inherited, error);
	match = find_match(parent, *config, edit);

	if (!node_op(edit, inherited, &op))
		return fail(error, NC_EDIT_BAD_OPERATION, edit);
	switch (op) {
	case NC_EDIT_CREATE:
		if (match && !(match->flags & LYD_DEFAULT))
			return fail(error, NC_EDIT_DATA_EXISTS, edit);
		/* fall through */
	case NC_EDIT_REPLACE:
		if (match)
			remove_node(config, match);
		return insert_copy(config, parent, edit, LYD_DUP_RECURSIVE,
				   NULL);
	case NC_EDIT_DELETE:
		if (!match || (match->flags & LYD_DEFAULT))
			return fail(error, NC_EDIT_DATA_MISSING, edit);
		/* fall through */
	case NC_EDIT_REMOVE:
		if (match)
			remove_node(config, match);
		return NC_EDIT_OK;
	case NC_EDIT_MERGE:
	case NC_EDIT_NONE:
		break;
	}
	if (!(edit->schema->nodetype & LYD_NODE_TERM))
		return edit_children(config, parent, match, edit, op, error);
	if (op == NC_EDIT_NONE)
		return NC_EDIT_OK;
	if (!match)
		return insert_copy(config, parent, edit, 0, NULL);
	switch (lyd_change_term(match, lyd_get_value(edit))) {
	case LY_SUCCESS:
	case LY_EEXIST: /* same value, was a default */
	case LY_ENOT:	/* same value */
		return NC_EDIT_OK;
	default:
		return fail(error, NC_EDIT_INTERNAL, edit);
	}
}

enum nc_edit_failure nc_edit_apply(struct lyd_node **config,
				   const struct lyd_node *edit,
				   enum nc_edit_op default_op,
				   struct nc_edit_error *error)
{
	enum nc_edit_failure failure = NC_EDIT_OK;
	const struct lyd_node *node;

	*error = (struct nc_edit_error){};
	LY_LIST_FOR (edit, node) {
		failure = edit_node(config, NULL, node, default_op, error);
		if (failure)
			break;
	}
	return failure;
}
