/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NETCONF <edit-config> operations (RFC 6241 7.2) on a libyang tree. */
#ifndef CFN_NC_EDIT_H
#define CFN_NC_EDIT_H

#include <stdbool.h>

#include <libyang/libyang.h>

enum nc_edit_op {
	NC_EDIT_NONE,
	NC_EDIT_MERGE,
	NC_EDIT_REPLACE,
	NC_EDIT_CREATE,
	NC_EDIT_DELETE,
	NC_EDIT_REMOVE,
};

enum nc_edit_failure {
	NC_EDIT_OK,
	NC_EDIT_DATA_EXISTS,  /* create of existing data */
	NC_EDIT_DATA_MISSING, /* delete of missing data */
	NC_EDIT_BAD_OPERATION,
	NC_EDIT_BAD_VALUE, /* an invalid value, other than to delete it */
	NC_EDIT_UNKNOWN_ELEMENT, /* not in the model */
	NC_EDIT_INTERNAL,
};

struct nc_edit_error {
	enum nc_edit_failure failure;
	char *path; /* of the offending node, to be freed */
};

/* Parses an operation name ("merge", ...); false if unknown. */
bool nc_edit_op_parse(const char *name, enum nc_edit_op *op);

/*
 * Applies edit (siblings, with ietf-netconf:operation metadata) to
 * *config. Leaves that did not parse (opaque nodes, e.g. an empty
 * <leaf operation="delete"/>) are accepted for delete and remove only.
 * default_op is the <default-operation>. On failure *config may
 * be half edited: callers edit a copy.
 */
enum nc_edit_failure nc_edit_apply(struct lyd_node **config,
				   const struct lyd_node *edit,
				   enum nc_edit_op default_op,
				   struct nc_edit_error *error);

#endif
