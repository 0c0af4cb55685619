/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the CFN attribute decoder: any input either
 * decodes into an attribute that re-encodes to something that decodes to
 * the same attribute, or is refused with a reason; never a crash, a leak
 * or undefined behaviour.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cfn_attr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[65536];
	struct cfn_attr attr, again;
	size_t len;

	if (cfn_attr_decode(data, size, &attr) != CFN_DECODE_OK)
		return 0;
	len = cfn_attr_encode(&attr, true, buf, sizeof(buf));
	if (!len || cfn_attr_decode(buf, len, &again) != CFN_DECODE_OK)
		abort();
	if (!cfn_attr_equal(&attr, &again))
		abort();
	cfn_attr_free(&again);
	cfn_attr_free(&attr);
	return 0;
}
