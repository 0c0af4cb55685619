/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configured services: a name an operator uses and the anycast prefix
 * (the SID) that names the service in the network.
 */
#ifndef CFN_SERVICE_H
#define CFN_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "cfn_error.h"
#include "cfn_prefix.h"

#define CFN_SERVICE_NAME_MAX 63

struct cfn_service {
	char name[CFN_SERVICE_NAME_MAX + 1];
	struct cfn_prefix sid;
};

/*
 * Services of one BGP instance, sorted by name so that configuration is
 * written in a stable order. Lookups by SID are linear: they happen on
 * configuration changes only.
 */
struct cfn_service_table {
	struct cfn_service **services;
	size_t count;
	size_t capacity;
};

void cfn_service_table_init(struct cfn_service_table *table);
void cfn_service_table_fini(struct cfn_service_table *table);

/* Names are 1..63 characters of [A-Za-z0-9_.-], starting alphanumeric. */
bool cfn_service_name_valid(const char *name);

/*
 * Create the service or change its SID. A SID names one service only:
 * on CFN_ERR_SID_IN_USE, *conflict (if given) points at the holder.
 * Nothing changes on error.
 */
enum cfn_err cfn_service_set(struct cfn_service_table *table,
			     const char *name, const struct cfn_prefix *sid,
			     const struct cfn_service **conflict);
enum cfn_err cfn_service_delete(struct cfn_service_table *table,
				const char *name);

struct cfn_service *cfn_service_find(const struct cfn_service_table *table,
				     const char *name);
struct cfn_service *
cfn_service_find_sid(const struct cfn_service_table *table,
		     const struct cfn_prefix *sid);

#endif /* CFN_SERVICE_H */
