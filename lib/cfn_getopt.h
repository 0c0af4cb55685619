/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The tools' long options: "--help" as well as "-h", as operators try. */
#ifndef CFN_GETOPT_H
#define CFN_GETOPT_H

#include <getopt.h>

static const struct option cfn_help_option[] = {
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0}};

#endif /* CFN_GETOPT_H */
