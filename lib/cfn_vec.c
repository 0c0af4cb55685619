/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_vec.h"

#include <stdint.h>
#include <string.h>

#include "cfn_alloc.h"

size_t cfn_vec_position(const struct cfn_vec *vec, const void *key,
			cfn_vec_cmp_fn cmp, bool *found)
{
	size_t lo = 0, hi = vec->count;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int order = cmp(key, vec->items[mid]);

		if (order == 0) {
			*found = true;
			return mid;
		}
		if (order < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void *cfn_vec_find(const struct cfn_vec *vec, const void *key,
		   cfn_vec_cmp_fn cmp)
{
	bool found;
	size_t pos = cfn_vec_position(vec, key, cmp, &found);

	return found ? vec->items[pos] : NULL;
}

bool cfn_vec_reserve(struct cfn_vec *vec, size_t extra)
{
	void **grown;
	size_t capacity = vec->capacity;

	if (extra > SIZE_MAX / 2 - vec->count)
		return false;
	if (vec->count + extra <= vec->capacity)
		return true;
	/* a first reservation is taken as exact: most vectors (the egresses
	 * of one SID) stay as small as they start; growth doubles */
	if (!capacity)
		capacity = vec->count + extra;
	while (capacity < vec->count + extra)
		capacity *= 2;
	grown = cfn_reallocarray(vec->items, capacity, sizeof(*grown));
	if (!grown)
		return false;
	vec->items = grown;
	vec->capacity = capacity;
	return true;
}

void cfn_vec_insert_at(struct cfn_vec *vec, size_t pos, void *item)
{
	memmove(&vec->items[pos + 1], &vec->items[pos],
		(vec->count - pos) * sizeof(*vec->items));
	vec->items[pos] = item;
	vec->count++;
}

void *cfn_vec_remove_at(struct cfn_vec *vec, size_t pos)
{
	void *item = vec->items[pos];

	vec->count--;
	memmove(&vec->items[pos], &vec->items[pos + 1],
		(vec->count - pos) * sizeof(*vec->items));
	return item;
}

void cfn_vec_fini(struct cfn_vec *vec, void (*free_item)(void *item))
{
	if (free_item)
		for (size_t i = 0; i < vec->count; i++)
			free_item(vec->items[i]);
	cfn_free(vec->items);
	memset(vec, 0, sizeof(*vec));
}
