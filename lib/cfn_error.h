/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error codes shared by the CFN core's operations. */
#ifndef CFN_ERROR_H
#define CFN_ERROR_H

enum cfn_err {
	CFN_OK = 0,
	CFN_ERR_NOMEM,
	CFN_ERR_INVALID_NAME,
	CFN_ERR_SID_IN_USE,
	CFN_ERR_NOT_FOUND,
	CFN_ERR_NO_INSTANCE,
	CFN_ERR_BAD_BID,
	CFN_ERR_TOO_MANY_INSTANCES,
	CFN_ERR_TOO_MANY_METRICS,
};

/* A short human-readable reason, for CLI and API replies. */
const char *cfn_strerror(enum cfn_err err);

#endif /* CFN_ERROR_H */
