/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "debug bgp cfn" switches and the logging macro that honours them. */
#ifndef CFN_DEBUG_H
#define CFN_DEBUG_H

#include "debug.h"
#include "log.h"

extern struct debug cfn_debug_events;	 /* debug bgp cfn */
extern struct debug cfn_debug_updates;	 /* debug bgp cfn updates */
extern struct debug cfn_debug_selection; /* debug bgp cfn selection */

#define CFN_DEBUG(category, fmt, ...)                                          \
	do {                                                                   \
		if (DEBUG_MODE_CHECK(&cfn_debug_##category, DEBUG_MODE_ALL))   \
			zlog_debug("CFN: " fmt, ##__VA_ARGS__);                \
	} while (0)

#endif /* CFN_DEBUG_H */
