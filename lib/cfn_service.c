/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_service.h"

#include <ctype.h>
#include <string.h>

#include "cfn_alloc.h"

void cfn_service_table_init(struct cfn_service_table *table)
{
	memset(table, 0, sizeof(*table));
}

void cfn_service_table_fini(struct cfn_service_table *table)
{
	for (size_t i = 0; i < table->count; i++)
		cfn_free(table->services[i]);
	cfn_free(table->services);
	cfn_service_table_init(table);
}

bool cfn_service_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > CFN_SERVICE_NAME_MAX ||
	    !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

/* Index of name, or of the slot where it would be inserted. */
static size_t service_position(const struct cfn_service_table *table,
			       const char *name, bool *found)
{
	size_t lo = 0, hi = table->count;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(name, table->services[mid]->name);

		if (cmp == 0) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

struct cfn_service *cfn_service_find(const struct cfn_service_table *table,
				     const char *name)
{
	bool found;
	size_t pos = service_position(table, name, &found);

	return found ? table->services[pos] : NULL;
}

struct cfn_service *
cfn_service_find_sid(const struct cfn_service_table *table,
		     const struct cfn_prefix *sid)
{
	for (size_t i = 0; i < table->count; i++)
		if (cfn_prefix_equal(&table->services[i]->sid, sid))
			return table->services[i];
	return NULL;
}

static bool table_reserve(struct cfn_service_table *table)
{
	struct cfn_service **grown;
	size_t capacity;

	if (table->count < table->capacity)
		return true;
	capacity = table->capacity ? table->capacity * 2 : 8;
	grown = cfn_reallocarray(table->services, capacity, sizeof(*grown));
	if (!grown)
		return false;
	table->services = grown;
	table->capacity = capacity;
	return true;
}

static enum cfn_err service_insert(struct cfn_service_table *table,
				   size_t pos, const char *name,
				   const struct cfn_prefix *sid)
{
	struct cfn_service *service;

	if (!table_reserve(table))
		return CFN_ERR_NOMEM;
	service = cfn_calloc(1, sizeof(*service));
	if (!service)
		return CFN_ERR_NOMEM;
	strcpy(service->name, name);
	service->sid = *sid;
	memmove(&table->services[pos + 1], &table->services[pos],
		(table->count - pos) * sizeof(*table->services));
	table->services[pos] = service;
	table->count++;
	return CFN_OK;
}

enum cfn_err cfn_service_set(struct cfn_service_table *table,
			     const char *name, const struct cfn_prefix *sid,
			     const struct cfn_service **conflict)
{
	struct cfn_service *holder;
	bool found;
	size_t pos;

	if (!cfn_service_name_valid(name))
		return CFN_ERR_INVALID_NAME;
	holder = cfn_service_find_sid(table, sid);
	if (holder && strcmp(holder->name, name) != 0) {
		if (conflict)
			*conflict = holder;
		return CFN_ERR_SID_IN_USE;
	}
	pos = service_position(table, name, &found);
	if (!found)
		return service_insert(table, pos, name, sid);
	table->services[pos]->sid = *sid;
	return CFN_OK;
}

enum cfn_err cfn_service_delete(struct cfn_service_table *table,
				const char *name)
{
	bool found;
	size_t pos = service_position(table, name, &found);

	if (!found)
		return CFN_ERR_NOT_FOUND;
	cfn_free(table->services[pos]);
	table->count--;
	memmove(&table->services[pos], &table->services[pos + 1],
		(table->count - pos) * sizeof(*table->services));
	return CFN_OK;
}
