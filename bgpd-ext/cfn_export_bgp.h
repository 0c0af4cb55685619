/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "set cfn export" in outbound route-maps (cfn_export_bgp.c). */
#ifndef CFN_EXPORT_BGP_H
#define CFN_EXPORT_BGP_H

void cfn_export_init(void);
void cfn_export_fini(void);

#endif /* CFN_EXPORT_BGP_H */
