/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct cfn_allocator libc_allocator = {
	.malloc = malloc,
	.realloc = realloc,
	.free = free,
};

static const struct cfn_allocator *allocator = &libc_allocator;

void cfn_allocator_set(const struct cfn_allocator *new_allocator)
{
	allocator = new_allocator ? new_allocator : &libc_allocator;
}

void *cfn_malloc(size_t size)
{
	return allocator->malloc(size ? size : 1);
}

void *cfn_calloc(size_t count, size_t size)
{
	void *ptr;

	if (size && count > SIZE_MAX / size)
		return NULL;
	ptr = cfn_malloc(count * size);
	if (ptr)
		memset(ptr, 0, count * size);
	return ptr;
}

void *cfn_realloc(void *ptr, size_t size)
{
	return allocator->realloc(ptr, size ? size : 1);
}

void *cfn_reallocarray(void *ptr, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	return cfn_realloc(ptr, count * size);
}

char *cfn_strdup(const char *str)
{
	size_t len = strlen(str) + 1;
	char *copy = cfn_malloc(len);

	if (copy)
		memcpy(copy, str, len);
	return copy;
}

void cfn_free(void *ptr)
{
	if (ptr)
		allocator->free(ptr);
}
