# SPDX-License-Identifier: GPL-2.0-or-later
"""An independent encoder of the CFN attribute and of the IETF Edge
Metadata, written from doc/wire-format.md, for feeding third-party BGP
speakers in tests and checking what they receive."""

import ipaddress
import struct

ATTR_TYPE = 255
FLAGS = 0xC0  # optional, transitive
TLV_EGRESS, TLV_INSTANCE, SUB_METRIC = 1, 2, 1
NONE = 255
METRIC = {"cpu-utilization": (1, 100), "queue-depth": (6, 1)}
STAT = {"current": 0, "mean": 1, "min": 2, "max": 3}


def tlv(kind, value):
    return struct.pack("!BH", kind, len(value)) + value


def egress(node_id, sequence, l2, l1=(NONE, NONE, NONE), capacity=0):
    node = int(ipaddress.IPv4Address(node_id))
    return tlv(TLV_EGRESS, struct.pack("!IIB3BI", node, sequence, l2, *l1,
                                       capacity))


def metric(name, value, statistic="current"):
    code, scale = METRIC[name]
    return tlv(SUB_METRIC, struct.pack("!HBBI", code, STAT[statistic], 0,
                                       round(value * scale)))


# Flags of the attribute's header and of an Instance TLV.
EGRESS_DRAINING = 0x80
INSTANCE_STALE, INSTANCE_DRAINING = 0x80, 0x40


def instance(bid, l2, l1=(NONE, NONE, NONE), capacity=0, metrics=b"",
             flags=0):
    address = ipaddress.ip_address(bid)
    afi = 1 if address.version == 4 else 2
    return tlv(TLV_INSTANCE, struct.pack("!BBB3BI", afi, flags, l2, *l1,
                                         capacity)
               + address.packed + metrics)


def attribute(*tlvs, version=1, flags=0):
    return struct.pack("!BB", version, flags) + b"".join(tlvs)


# The IETF Edge Metadata Path Attribute (doc/wire-format.md section 7):
# IANA temporary code, optional non-transitive, and its sub-TLVs.
EDGEMETA_TYPE, EDGEMETA_FLAGS = 42, 0x80


def edgemeta_subtlv(kind, value):
    return struct.pack("!HB", kind, len(value)) + value


def edgemeta_preference(index):
    return edgemeta_subtlv(1, struct.pack("!I", index))


def edgemeta_availability(site, percent):
    return edgemeta_subtlv(2, struct.pack("!HB", site, percent))


def edgemeta_capability(value):
    return edgemeta_subtlv(5, struct.pack("!I", value))


def edgemeta_as_scope(*asns):
    return edgemeta_subtlv(7, b"".join(struct.pack("!I", a) for a in asns))


def exabgp(value, code=ATTR_TYPE, flags=FLAGS):
    """The value as an exabgp 'attribute [ code flags data ]' clause."""
    return f"attribute [ {code:#04x} {flags:#04x} 0x{value.hex()} ]"
