/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Events of the API's Watch (cfn_api.proto): a SID's view and selection
 * as one SidState, framed as a Reply that a watching client receives
 * unasked. The caller decides which SIDs changed; this only encodes.
 */
#ifndef CFN_WATCH_H
#define CFN_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "cfn_select.h"
#include "cfn_view.h"

/* One SID of an event, with what its selection run made of it. */
struct cfn_watch_sid {
	const struct cfn_sid_view *sv;
	const char *service; /* its name when configured here, or NULL */
	enum cfn_select_mode mode;
	const struct cfn_eval *evals; /* one per egress of sv, in its order */
};

struct cfn_watch_event {
	uint32_t reply_id; /* the Watch request's */
	uint64_t sequence;
	bool snapshot;
	uint32_t router_id; /* host byte order */
	uint64_t now_ms;
	const struct cfn_watch_sid *sids;
	size_t n_sids;
	const struct cfn_prefix *removed;
	size_t n_removed;
};

/*
 * The framed Reply carrying the event into *frame (free with cfn_free).
 * Returns its length, 0 when out of memory.
 */
size_t cfn_watch_encode(const struct cfn_watch_event *event, uint8_t **frame);

#endif /* CFN_WATCH_H */
