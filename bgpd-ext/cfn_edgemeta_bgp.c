/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Received Edge Metadata (lib/cfn_edgemeta.h; doc/wire-format.md,
 * section 7). bgpd 8.4 drops optional non-transitive attributes it does
 * not know before any hook could see them, so the module reads them from
 * the raw UPDATE (the bgp_packet_dump hook runs before bgpd parses the
 * message) and keeps them per peer and prefix until the prefix is
 * withdrawn, announced again without them, or the session ends. The
 * bgp_process hook that follows the same UPDATE then re-reads the prefix.
 */
#include <zebra.h>

#include "command.h"
#include "hash.h"
#include "jhash.h"
#include "json.h"
#include "linklist.h"
#include "memory.h"
#include "stream.h"
#include "vty.h"

#include "bgpd/bgpd.h"
#include "bgpd/bgp_attr.h"
#include "bgpd/bgp_packet.h"
#include "bgpd/bgp_route.h"

#include "cfn_attr_bgp.h"
#include "cfn_edgemeta.h"
#include "cfn_edgemeta_bgp.h"
#include "cfn_module.h"
#include "cfn_update.h"

DEFINE_MTYPE_STATIC(CFN, CFN_EDGEMETA, "CFN Edge Metadata received");

struct cfn_edgemeta_entry {
	const struct peer *peer;
	struct prefix prefix;
	struct cfn_edgemeta meta;
};

static struct hash *cfn_edgemeta_table;
static struct list *cfn_edgemeta_senders; /* struct bgp * sending it */
static uint64_t cfn_edgemeta_decoded;
static uint64_t cfn_edgemeta_errors[CFN_EDGEMETA_ERROR_COUNT];

static unsigned int cfn_edgemeta_hash(const void *item)
{
	const struct cfn_edgemeta_entry *entry = item;

	return jhash(&entry->peer, sizeof(entry->peer),
		     prefix_hash_key(&entry->prefix));
}

static bool cfn_edgemeta_entry_equal(const void *a, const void *b)
{
	const struct cfn_edgemeta_entry *ea = a, *eb = b;

	return ea->peer == eb->peer && prefix_same(&ea->prefix, &eb->prefix);
}

/* A new entry, with no metadata yet (present == 0 equals nothing). */
static void *cfn_edgemeta_alloc(void *key)
{
	struct cfn_edgemeta_entry *entry =
		XCALLOC(MTYPE_CFN_EDGEMETA, sizeof(*entry));

	entry->peer = ((struct cfn_edgemeta_entry *)key)->peer;
	entry->prefix = ((struct cfn_edgemeta_entry *)key)->prefix;
	return entry;
}

static void cfn_edgemeta_free(void *item)
{
	XFREE(MTYPE_CFN_EDGEMETA, item);
}

bool cfn_edgemeta_find(const struct peer *peer, const struct prefix *p,
		       struct cfn_edgemeta *meta)
{
	struct cfn_edgemeta_entry key = {.peer = peer}, *entry;

	prefix_copy(&key.prefix, p);
	entry = hash_lookup(cfn_edgemeta_table, &key);
	if (entry)
		*meta = entry->meta;
	return entry != NULL;
}

/* What one UPDATE says of each of its prefixes. */
struct cfn_edgemeta_update {
	struct peer *peer;
	const struct cfn_edgemeta *meta; /* NULL: absent or malformed */
};

/*
 * Keep what the UPDATE says of prefix p. A change is re-read from the
 * RIB: bgpd ignores an UPDATE whose attributes it sees as unchanged, so
 * its bgp_process hook does not run when only the Edge Metadata changed.
 */
static void cfn_edgemeta_prefix(void *arg, const struct cfn_prefix *p,
				bool withdrawn)
{
	const struct cfn_edgemeta_update *update = arg;
	struct cfn_edgemeta_entry key = {.peer = update->peer}, *entry;

	cfn_prefix_to_frr(p, &key.prefix);
	if (withdrawn || !update->meta) {
		entry = hash_release(cfn_edgemeta_table, &key);
		if (!entry)
			return;
		cfn_edgemeta_free(entry);
	} else {
		entry = hash_get(cfn_edgemeta_table, &key, cfn_edgemeta_alloc);
		if (cfn_edgemeta_equal(&entry->meta, update->meta))
			return;
		entry->meta = *update->meta;
	}
	cfn_receive_enqueue(cfn_instance_get(update->peer->bgp, true),
			    &key.prefix, true);
}

/* Rate-limited: one line per reason every 10 s. */
static void cfn_edgemeta_log_error(const struct peer *peer,
				   enum cfn_edgemeta_error error)
{
	static time_t last[CFN_EDGEMETA_ERROR_COUNT];
	time_t now = monotime(NULL);

	if (last[error] && now - last[error] < 10)
		return;
	zlog_warn(
		"CFN: UPDATE from %s: malformed Edge Metadata (%s), discarded, routes kept",
		peer->host, cfn_edgemeta_error_name(error));
	last[error] = now;
}

/* Can the UPDATE's prefixes be read without ADD-PATH path IDs? */
static bool cfn_edgemeta_readable(struct peer *peer)
{
	return !bgp_addpath_encode_rx(peer, AFI_IP, SAFI_UNICAST) &&
	       !bgp_addpath_encode_rx(peer, AFI_IP6, SAFI_UNICAST);
}

static int cfn_edgemeta_packet(struct peer *peer, uint8_t type, bgp_size_t size,
			       struct stream *s)
{
	struct cfn_edgemeta_update update = {.peer = peer};
	enum cfn_edgemeta_error error;
	struct cfn_edgemeta meta;
	struct cfn_update scan;
	size_t len;

	if (type != BGP_MSG_UPDATE || size < BGP_HEADER_SIZE ||
	    !cfn_edgemeta_readable(peer))
		return 0;
	len = size - BGP_HEADER_SIZE;
	if (STREAM_READABLE(s) < len ||
	    cfn_update_scan(stream_pnt(s), len, CFN_EDGEMETA_ATTR_TYPE,
			    &scan) != CFN_UPDATE_OK)
		return 0; /* bgpd's own parser deals with it */
	if (scan.attr_value) {
		error = cfn_edgemeta_flags_valid(scan.attr_flags)
				? cfn_edgemeta_decode(scan.attr_value,
						      scan.attr_len, &meta)
				: CFN_EDGEMETA_BAD_FLAGS;
		if (error) {
			cfn_edgemeta_errors[error]++;
			cfn_edgemeta_log_error(peer, error);
		} else {
			cfn_edgemeta_decoded++;
			update.meta = &meta;
		}
	}
	cfn_update_prefixes(&scan, cfn_edgemeta_prefix, &update);
	return 0;
}

static void cfn_edgemeta_drop_peer(struct hash_bucket *bucket, void *arg)
{
	struct cfn_edgemeta_entry *entry = bucket->data;

	if (entry->peer == arg)
		cfn_edgemeta_free(hash_release(cfn_edgemeta_table, entry));
}

static int cfn_edgemeta_peer_status(struct peer *peer)
{
	if (!cfn_peer_established(peer))
		hash_iterate(cfn_edgemeta_table, cfn_edgemeta_drop_peer, peer);
	return 0;
}

/* -- sending ---------------------------------------------------------- */

#define CFN_EDGEMETA_CFN_STR "Compute-aware anycast (CFN)\n"

#ifndef VTYSH_EXTRACT_PL
#include "bgpd-ext/cfn_edgemeta_bgp_clippy.c"
#endif


bool cfn_edgemeta_sending(const struct bgp *bgp)
{
	return listnode_lookup(cfn_edgemeta_senders, (void *)bgp) != NULL;
}

bool cfn_edgemeta_append(struct transit *transit, const uint8_t *cfn_value,
			 size_t cfn_len)
{
	uint8_t value[CFN_EDGEMETA_MAX_LEN];
	struct cfn_edgemeta meta;
	struct cfn_attr attr;
	size_t len;

	if (cfn_attr_decode(cfn_value, cfn_len, &attr) != CFN_DECODE_OK)
		return false;
	cfn_edgemeta_from_attr(&attr, &meta);
	cfn_attr_free(&attr);
	len = cfn_edgemeta_encode(&meta, value, sizeof(value));
	cfn_transit_add(transit, BGP_ATTR_FLAG_OPTIONAL, CFN_EDGEMETA_ATTR_TYPE,
			value, len);
	return true;
}

void cfn_edgemeta_add_sent(const struct bgp *bgp, struct transit *transit,
			   const uint8_t *cfn_value, size_t cfn_len)
{
	if (cfn_edgemeta_sending(bgp))
		cfn_edgemeta_append(transit, cfn_value, cfn_len);
}

bool cfn_edgemeta_sent_as_configured(const struct bgp *bgp,
				     const struct attr *attr)
{
	size_t len;

	return cfn_edgemeta_sending(bgp) ==
	       (cfn_transit_find(attr, CFN_EDGEMETA_ATTR_TYPE, &len) != NULL);
}

DEFPY(cfn_edgemeta_send, cfn_edgemeta_send_cmd, "[no] cfn edge-metadata send",
      NO_STR CFN_EDGEMETA_CFN_STR
      "IETF Edge Metadata Path Attribute (code 42)\n"
      "Send it with this node's SID routes, alongside the CFN attribute\n")
{
	VTY_DECLVAR_CONTEXT(bgp, bgp);

	if (!no == cfn_edgemeta_sending(bgp))
		return CMD_SUCCESS;
	if (no)
		listnode_delete(cfn_edgemeta_senders, bgp);
	else
		listnode_add(cfn_edgemeta_senders, bgp);
	cfn_originate_all(cfn_instance_get(bgp, true));
	return CMD_SUCCESS;
}

static int cfn_edgemeta_bgp_delete(struct bgp *bgp)
{
	listnode_delete(cfn_edgemeta_senders, bgp);
	return 0;
}

/* -- show ------------------------------------------------------------ */

/* The routes of one BGP instance, as text or into a JSON array. */
struct cfn_edgemeta_show {
	struct vty *vty;
	const struct bgp *bgp;
	json_object *jarr;
};

static void cfn_edgemeta_show_entry(struct hash_bucket *bucket, void *arg)
{
	const struct cfn_edgemeta_entry *entry = bucket->data;
	const struct cfn_edgemeta *m = &entry->meta;
	const struct cfn_edgemeta_show *show = arg;
	json_object *jarr = show->jarr;

	if (entry->peer->bgp != show->bgp)
		return;
	if (jarr) {
		json_object *j = json_object_new_object();

		json_object_string_addf(j, "prefix", "%pFX", &entry->prefix);
		json_object_string_add(j, "peer", entry->peer->host);
		if (m->present & CFN_EDGEMETA_HAS_PREFERENCE)
			json_object_int_add(j, "sitePreference",
					    m->site_preference);
		if (m->present & CFN_EDGEMETA_HAS_AVAILABILITY) {
			json_object_int_add(j, "siteId", m->site_id);
			json_object_int_add(j, "availability", m->availability);
		}
		if (m->present & CFN_EDGEMETA_HAS_CAPABILITY)
			json_object_int_add(j, "capability", m->capability);
		json_object_int_add(j, "skippedSubTlvs", m->n_skipped);
		json_object_array_add(jarr, j);
		return;
	}
	vty_out(show->vty,
		"  %pFX from %s: preference %u, site %u at %u %%, capability %u, %u sub-TLVs skipped\n",
		&entry->prefix, entry->peer->host, m->site_preference,
		m->site_id, m->availability, m->capability, m->n_skipped);
}

static void cfn_edgemeta_show_instance(struct cfn_instance *ci, void *arg)
{
	struct cfn_edgemeta_show show = {.vty = ((void **)arg)[0],
					 .bgp = ci->bgp};
	json_object *jinstances = ((void **)arg)[1];

	if (jinstances) {
		json_object *jinst = json_object_new_object();

		show.jarr = json_object_new_array();
		json_object_string_add(jinst, "vrfName",
				       ci->bgp->name ? ci->bgp->name
						     : VRF_DEFAULT_NAME);
		json_object_int_add(jinst, "localAS", ci->bgp->as);
		json_object_object_add(jinst, "routes", show.jarr);
		json_object_array_add(jinstances, jinst);
	} else {
		vty_out(show.vty,
			"BGP instance %s, routes with Edge Metadata:\n",
			ci->bgp->name_pretty);
	}
	hash_iterate(cfn_edgemeta_table, cfn_edgemeta_show_entry, &show);
}

DEFPY(cfn_show_edgemeta, cfn_show_edgemeta_cmd,
      "show bgp cfn edge-metadata [json]$uj",
      SHOW_STR BGP_STR CFN_EDGEMETA_CFN_STR
      "IETF Edge Metadata received: counters, and per prefix and peer\n" JSON_STR)
{
	json_object *json = uj ? json_object_new_object() : NULL;
	json_object *jerrors = uj ? json_object_new_object() : NULL;
	json_object *jinstances = uj ? json_object_new_array() : NULL;
	void *arg[] = {vty, jinstances};

	if (!uj)
		vty_out(vty,
			"Edge Metadata decoded: %" PRIu64
			"; malformed (discarded, routes kept):\n",
			cfn_edgemeta_decoded);
	for (int e = 1; e < CFN_EDGEMETA_ERROR_COUNT; e++) {
		if (uj)
			json_object_int_add(jerrors, cfn_edgemeta_error_name(e),
					    cfn_edgemeta_errors[e]);
		else
			vty_out(vty, "  %-36s %" PRIu64 "\n",
				cfn_edgemeta_error_name(e),
				cfn_edgemeta_errors[e]);
	}
	cfn_instance_foreach(cfn_edgemeta_show_instance, arg);
	if (!uj)
		return CMD_SUCCESS;
	json_object_int_add(json, "decoded", cfn_edgemeta_decoded);
	json_object_object_add(json, "errorsByReason", jerrors);
	json_object_object_add(json, "instances", jinstances);
	return vty_json(vty, json);
}

void cfn_edgemeta_init(void)
{
	cfn_edgemeta_table =
		hash_create(cfn_edgemeta_hash, cfn_edgemeta_entry_equal,
			    "CFN Edge Metadata");
	hook_register(bgp_packet_dump, cfn_edgemeta_packet);
	hook_register(peer_status_changed, cfn_edgemeta_peer_status);
	hook_register(bgp_inst_delete, cfn_edgemeta_bgp_delete);
	cfn_edgemeta_senders = list_new();
	install_element(BGP_NODE, &cfn_edgemeta_send_cmd);
	install_element(VIEW_NODE, &cfn_show_edgemeta_cmd);
}

void cfn_edgemeta_fini(void)
{
	hook_unregister(bgp_packet_dump, cfn_edgemeta_packet);
	hook_unregister(peer_status_changed, cfn_edgemeta_peer_status);
	hook_unregister(bgp_inst_delete, cfn_edgemeta_bgp_delete);
	list_delete(&cfn_edgemeta_senders);
	hash_clean(cfn_edgemeta_table, cfn_edgemeta_free);
	hash_free(cfn_edgemeta_table);
	cfn_edgemeta_table = NULL;
}
