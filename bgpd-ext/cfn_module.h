/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bgpd_cfn: compute-aware anycast for FRR's bgpd.
 * What each glue file offers the others. Calls run one way: the API and
 * the configuration -> origination (BGP) -> received view -> selection
 * and FIB; every file uses the per-instance state (cfn_instance.h).
 */
#ifndef CFN_MODULE_H
#define CFN_MODULE_H

#include "cfn_api.h"
#include "cfn_instance.h"


DECLARE_MTYPE(CFN_PENDING);

/* cfn_originate.c: the egress role */
void cfn_originate_service(struct cfn_instance *ci,
			   struct cfn_service *service);
void cfn_originate_all(struct cfn_instance *ci);
/* A metric change: advertised when significant and not too soon. */
void cfn_originate_damped(struct cfn_instance *ci, struct cfn_service *service);
/*
 * Expire instances, mark those silent for stale_after_s (0: never) and
 * send refreshes: every second.
 */
void cfn_originate_sweep(struct cfn_instance *ci, uint32_t stale_after_s);
void cfn_withdraw_sid(struct cfn_instance *ci, const struct cfn_prefix *sid);

/* cfn_receive.c: the per-service view from received paths */
void cfn_receive_init(void);
void cfn_receive_fini(void);
void cfn_receive_instance_fini(struct cfn_instance *ci);
void cfn_receive_rescan(struct cfn_instance *ci);
/* Re-read a prefix from the RIB soon; "updated" counts decode errors. */
void cfn_receive_enqueue(struct cfn_instance *ci, const struct prefix *p,
			 bool updated);

/* cfn_fib.c: selection -> FIB */
void cfn_fib_init(struct cfn_event_loop *master);
void cfn_fib_fini(void);
/* Run the SID's selection; install when it or the next hops changed. */
void cfn_fib_select(struct cfn_instance *ci, struct cfn_sid_view *sv,
		    bool path_changed);
void cfn_fib_select_all(struct cfn_instance *ci);
void cfn_fib_withdraw(struct cfn_instance *ci, const struct cfn_prefix *sid);
/* Let next hops that left a resilient group go once their flows idled. */
void cfn_fib_sweep(struct cfn_instance *ci);
/* The policy of a SID: the default, overridden by its service's. */
void cfn_policy_for(const struct cfn_instance *ci, const struct cfn_prefix *sid,
		    struct cfn_policy *policy);

/* cfn_api_server.c: the service notification API */
struct cfn_api_config {
	char socket_path[108]; /* "" for <FRR run dir>/cfn-api.sock */
	struct in_addr tcp_address;
	uint16_t tcp_port;	       /* 0: no TCP listener */
	uint32_t max_clients;	       /* root and bgpd's user may exceed it */
	uint32_t max_clients_per_user; /* per uid (Unix), address (TCP) */
	uint32_t idle_timeout_s;       /* without a request: closed; 0 off */
	struct cfn_api_limits limits;
};

struct cfn_api_stats {
	uint64_t clients;	   /* connected now */
	uint64_t requests;	   /* every request, of any kind */
	uint64_t changes;	   /* accepted, and changed a service */
	uint64_t instance_reports; /* instances registered or updated */
	uint64_t errors;	   /* refused (status not OK) */
	uint64_t framing_errors;   /* closed: oversized frame */
	uint64_t refused_clients;  /* closed at once: max-clients */
	uint64_t refused_per_user; /* closed at once: max-clients-per-user */
	uint64_t idle_clients;	   /* closed: no request for idle-timeout */
	uint64_t slow_clients;	   /* closed: did not read their replies */
};

void cfn_api_init(struct cfn_event_loop *master);
void cfn_api_fini(void);
void cfn_api_config_default(struct cfn_api_config *config);
const struct cfn_api_config *cfn_api_config(void);
void cfn_api_set_config(const struct cfn_api_config *config);
void cfn_api_reconfigure(void);
const char *cfn_api_socket_path(void);
void cfn_api_stats(struct cfn_api_stats *stats);

/* cfn_vty.c, cfn_show.c, cfn_debug.c */
struct json_object;
void cfn_vty_init(void);
void cfn_show_init(void);
void cfn_debug_init(void);
void cfn_debug_json(struct json_object *json);

#endif /* CFN_MODULE_H */
