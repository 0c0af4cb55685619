/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the UPDATE walk: any input is either refused or
 * walked prefix by prefix within its bounds, the attribute found lying
 * inside the input; never a crash or undefined behaviour.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cfn_update.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_prefix(void *arg, const struct cfn_prefix *p, bool withdrawn)
{
	if (p->len > (p->family == CFN_FAMILY_IPV6 ? 128 : 32))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfn_update update;

	if (cfn_update_scan(data, size, 42, &update) != CFN_UPDATE_OK)
		return 0;
	if (update.attr_value &&
	    (update.attr_value < data ||
	     update.attr_value + update.attr_len > data + size))
		abort();
	cfn_update_prefixes(&update, check_prefix, NULL);
	return 0;
}
