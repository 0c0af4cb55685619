/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An allocator for the core that fails once a budget of allocations is
 * spent, to test that out-of-memory paths change nothing.
 */
#ifndef BUDGET_ALLOC_H
#define BUDGET_ALLOC_H

/* Route the core's allocations through the budget: `count` more succeed. */
void budget_alloc_start(int count);
/* Back to the C library's allocator. */
void budget_alloc_stop(void);

#endif /* BUDGET_ALLOC_H */
