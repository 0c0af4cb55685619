/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "budget_alloc.h"

#include <stdlib.h>

#include "cfn_alloc.h"

static int budget;

static void *budget_malloc(size_t size)
{
	return budget-- > 0 ? malloc(size) : NULL;
}

static void *budget_realloc(void *ptr, size_t size)
{
	return budget-- > 0 ? realloc(ptr, size) : NULL;
}

static const struct cfn_allocator budget_allocator = {
	.malloc = budget_malloc,
	.realloc = budget_realloc,
	.free = free,
};

void budget_alloc_start(int count)
{
	budget = count;
	cfn_allocator_set(&budget_allocator);
}

void budget_alloc_stop(void)
{
	cfn_allocator_set(NULL);
}
