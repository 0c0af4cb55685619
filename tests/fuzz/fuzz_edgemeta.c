/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the Edge Metadata decoder: any input either
 * decodes into metadata that re-encodes to something that decodes to the
 * same metadata, or is refused with a reason; never a crash or undefined
 * behaviour. The mapping to a CFN egress runs on every decoded value.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cfn_edgemeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[64];
	struct cfn_edgemeta meta, again;
	struct cfn_attr attr;
	size_t len;

	if (cfn_edgemeta_decode(data, size, &meta) != CFN_EDGEMETA_OK)
		return 0;
	len = cfn_edgemeta_encode(&meta, buf, sizeof(buf));
	if (!len || cfn_edgemeta_decode(buf, len, &again) != CFN_EDGEMETA_OK)
		abort();
	if (!cfn_edgemeta_equal(&meta, &again))
		abort();
	cfn_edgemeta_to_attr(&meta, 1, &attr);
	if (attr.scores.l2 > CFN_SCORE_MAX && attr.scores.l2 != CFN_SCORE_NONE)
		abort();
	return 0;
}
