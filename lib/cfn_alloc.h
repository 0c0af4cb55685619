/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Allocation hooks of the CFN core.
 *
 * The core is plain C with no FRR dependency; the bgpd module points these
 * hooks at FRR's MTYPE accounting so that the core's memory shows up in
 * "show memory", and the unit tests point them at a failing allocator.
 */
#ifndef CFN_ALLOC_H
#define CFN_ALLOC_H

#include <stddef.h>

struct cfn_allocator {
	void *(*malloc)(size_t size);
	void *(*realloc)(void *ptr, size_t size);
	void (*free)(void *ptr);
};

/* Install an allocator; NULL restores the C library's. */
void cfn_allocator_set(const struct cfn_allocator *allocator);

void *cfn_malloc(size_t size);
void *cfn_calloc(size_t count, size_t size);
void *cfn_realloc(void *ptr, size_t size);
void *cfn_reallocarray(void *ptr, size_t count, size_t size);
char *cfn_strdup(const char *str);
void cfn_free(void *ptr);

#endif /* CFN_ALLOC_H */
