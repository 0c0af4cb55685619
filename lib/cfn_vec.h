/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A vector of pointers kept sorted by a key: binary search to find, and
 * stable element addresses (elements are allocated separately), which is
 * what the core's tables need for output in a stable order.
 */
#ifndef CFN_VEC_H
#define CFN_VEC_H

#include <stdbool.h>
#include <stddef.h>

struct cfn_vec {
	void **items;
	size_t count;
	size_t capacity;
};

/* Compares a search key with an element: <0, 0, >0 as for bsearch. */
typedef int (*cfn_vec_cmp_fn)(const void *key, const void *item);

/* Index of the element matching key, or where it would be inserted. */
size_t cfn_vec_position(const struct cfn_vec *vec, const void *key,
			cfn_vec_cmp_fn cmp, bool *found);
void *cfn_vec_find(const struct cfn_vec *vec, const void *key,
		   cfn_vec_cmp_fn cmp);

/* Make room for extra more elements; false when out of memory. */
bool cfn_vec_reserve(struct cfn_vec *vec, size_t extra);
/* Insert at pos; cfn_vec_reserve must have succeeded before. */
void cfn_vec_insert_at(struct cfn_vec *vec, size_t pos, void *item);
void *cfn_vec_remove_at(struct cfn_vec *vec, size_t pos);

/* Free every element with free_item (if given) and the vector itself. */
void cfn_vec_fini(struct cfn_vec *vec, void (*free_item)(void *item));

#endif /* CFN_VEC_H */
