/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cfn_error.h"

const char *cfn_strerror(enum cfn_err err)
{
	switch (err) {
	case CFN_OK:
		return "success";
	case CFN_ERR_NOMEM:
		return "out of memory";
	case CFN_ERR_INVALID_NAME:
		return "invalid name: use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit";
	case CFN_ERR_SID_IN_USE:
		return "SID already names another service";
	case CFN_ERR_NOT_FOUND:
		return "no such service";
	case CFN_ERR_NO_INSTANCE:
		return "no such instance";
	case CFN_ERR_BAD_BID:
		return "a binding ID is a unicast host address (/32 or /128)";
	case CFN_ERR_TOO_MANY_INSTANCES:
		return "too many instances for one service";
	case CFN_ERR_TOO_MANY_METRICS:
		return "too many metrics for one instance";
	}
	return "unknown error";
}
