# SPDX-License-Identifier: GPL-2.0-or-later
"""The IETF Edge Metadata Path Attribute from a third-party speaker:
exabgp announces a SID with the attribute (code 42, optional
non-transitive), its bytes built here from the sub-TLV layout of
doc/wire-format.md section 7; the ingress maps it to an egress without
instances and selects by it against a real CFN egress, in its kernel FIB.
Malformed variants are discarded, counted, and never reset the session."""

import ipaddress
import json
import os
import struct

import pytest

from cfnnet import kernel_nexthops
from test_interop import announce, assert_session_kept, start_exabgp
from topolib import Topology, wait_until

SID = "198.51.100.30/32"
EXA_ID = "10.0.0.9"
EGRESS_ID = "10.0.0.2"
CODE, FLAGS = 42, 0x80  # IANA temporary; optional, non-transitive


def subtlv(kind, value):
    return struct.pack("!HB", kind, len(value)) + value


def preference(index):
    return subtlv(1, struct.pack("!I", index))


def availability(site, percent):
    return subtlv(2, struct.pack("!HB", site, percent))


def capability(value):
    return subtlv(5, struct.pack("!I", value))


def as_scope(*asns):
    return subtlv(7, b"".join(struct.pack("!I", a) for a in asns))


def exabgp(value):
    return f"attribute [ {CODE:#04x} {FLAGS:#04x} 0x{value.hex()} ]"


# prefix -> (value, reason counted by the ingress)
MALFORMED = {
    "203.0.113.31/32": (availability(1, 100)[:4], "truncated"),
    "203.0.113.32/32": (subtlv(5, b"\x00\x01"), "bad-length"),
    "203.0.113.33/32": (availability(1, 101), "bad-percentage"),
    "203.0.113.34/32": (capability(5) + capability(6), "duplicate-sub-tlv"),
    "203.0.113.35/32": (as_scope(65009), "no-usable-sub-tlv"),
}


@pytest.fixture(scope="module")
def net():
    topo = Topology("edmeta")
    ingress = topo.add_router("ingress", asn=65001)
    egress = topo.add_router("egress", asn=65002, router_id=EGRESS_ID)
    host = topo.add_router("exabgp", asn=65009, router_id=EXA_ID,
                           daemons=())
    _, topo.gateway = topo.add_link(ingress, egress)
    ingress_addr, topo.exa = topo.add_link(ingress, host)
    routes = [f"route {p} next-hop self {exabgp(v)};"
              for p, (v, _) in MALFORMED.items()]
    with topo:
        topo.fifo = start_exabgp(host, topo.exa, ingress_addr, routes)
        ingress.wait_established(timeout=60)
        egress.configure(
            f"cfn service video sid {SID}",
            "cfn service video instance 10.1.0.11 capacity 100",
            "cfn service video instance 10.1.0.11 metric cpu-utilization 50",
            context="router bgp 65002")
        ingress.configure("debug bgp cfn updates")
        yield topo


def egresses(router, sid):
    data = router.vtysh_json(f"show bgp cfn service {sid} json")
    inst = data["instances"][0] if data["instances"] else None
    return {e["nodeId"]: e for e in inst["egresses"]} if inst else {}


def chosen(router, sid):
    sids = router.vtysh_json(f"show bgp cfn selection {sid} json")[
        "instances"][0]["sids"]
    return [c["nodeId"] for c in sids[0]["chosen"]] if sids else []


def wait_chosen(topo, node, gateway):
    ingress = topo["ingress"]
    wait_until(lambda: chosen(ingress, SID) == [node], timeout=30,
               what=f"{node} chosen")
    wait_until(lambda: {gw for gw, _ in kernel_nexthops(ingress, SID)}
               == {gateway}, timeout=30, what=f"the kernel route via {gateway}")


def test_edge_metadata_site_selected_by_availability(net):
    ingress = net["ingress"]
    announce_meta(net, preference(50) + availability(7, 100) +
                  capability(400) + as_scope(65009))
    site = wait_until(lambda: egresses(ingress, SID).get(EXA_ID), timeout=30,
                      what="exabgp's site in the view")
    assert site["l2"] == 10 and site["capacity"] == 400
    assert site["instances"] == []
    wait_chosen(net, EXA_ID, net.exa)
    routes = ingress.vtysh_json("show bgp cfn edge-metadata json")["routes"]
    (route,) = [r for r in routes if r["prefix"] == SID]
    assert route == {"prefix": SID, "peer": net.exa, "sitePreference": 50,
                     "siteId": 7, "availability": 100, "capability": 400,
                     "skippedSubTlvs": 1}

    # only the Edge Metadata changes: 20 % of the site left in service
    announce_meta(net, preference(50) + availability(7, 20) +
                  capability(400))
    wait_until(lambda: egresses(ingress, SID)[EXA_ID]["l2"] == 2,
               timeout=30, what="the site's L2 down to 2")
    wait_chosen(net, EGRESS_ID, net.gateway)

    # announced again without the attribute: the site leaves the view
    with open(net.fifo, "w") as feed:
        feed.write(f"announce route {SID} next-hop self\n")
    wait_until(lambda: EXA_ID not in egresses(ingress, SID), timeout=30,
               what="the site gone with its Edge Metadata")
    assert_session_kept(ingress, net.exa)


def announce_meta(topo, value):
    with open(topo.fifo, "w") as feed:
        feed.write(f"announce route {SID} next-hop self {exabgp(value)}\n")


def test_malformed_edge_metadata_discarded_session_kept(net):
    ingress = net["ingress"]

    def errors():
        return ingress.vtysh_json("show bgp cfn edge-metadata json")[
            "errorsByReason"]
    wait_until(lambda: all(errors()[r] >= 1 for _, r in MALFORMED.values()),
               timeout=30, what="every malformed variant counted")
    for prefix in MALFORMED:
        route = ingress.vtysh_json(f"show bgp ipv4 unicast {prefix} json")
        assert route["paths"], prefix  # kept as a plain BGP route
        assert egresses(ingress, prefix) == {}, prefix
    with open(ingress.log_file("bgpd")) as log:
        assert "malformed Edge Metadata (bad-percentage)" in log.read()
    assert_session_kept(ingress, net.exa)


RECORDER = """\
import sys
with open(sys.argv[1], "a") as out:
    for line in sys.stdin:
        out.write(line)
        out.flush()
"""

RECEIVER_CONF = """\
process recorder {{
    run /usr/bin/python3 {run}/recorder.py {run}/received.json;
    encoder json;
}}
neighbor {peer} {{
    router-id {router_id};
    local-address {local};
    local-as 65009;
    peer-as 65001;
    api {{
        processes [ recorder ];
        receive {{ packets; update; }}
    }}
}}
"""


@pytest.fixture(scope="module")
def sender():
    """An egress sending Edge Metadata to exabgp, which records what it
    receives."""
    topo = Topology("edmsend")
    egress = topo.add_router("egress", asn=65001, router_id="10.0.3.7")
    host = topo.add_router("exabgp", asn=65009, router_id=EXA_ID,
                           daemons=())
    egress_addr, exa_addr = topo.add_link(egress, host)
    with topo:
        os.makedirs(host.run_dir, exist_ok=True)
        with open(os.path.join(host.run_dir, "recorder.py"), "w") as f:
            f.write(RECORDER)
        conf = os.path.join(host.run_dir, "exabgp.conf")
        with open(conf, "w") as f:
            f.write(RECEIVER_CONF.format(run=host.run_dir, peer=egress_addr,
                                         router_id=EXA_ID, local=exa_addr))
        env = os.path.join(host.run_dir, "exabgp.env")
        with open(env, "w") as f:
            f.write("[exabgp.daemon]\nuser = 'root'\n")
        host.popen("exabgp", "--env", env, conf, log="exabgp.log")
        egress.wait_established(timeout=60)
        topo.received = os.path.join(host.run_dir, "received.json")
        yield topo


def attributes(body):
    """{code: (flags, value)} of a raw UPDATE body (RFC 4271 4.3)."""
    withdrawn = struct.unpack("!H", body[:2])[0]
    pos = 2 + withdrawn
    end = pos + 2 + struct.unpack("!H", body[pos:pos + 2])[0]
    pos += 2
    found = {}
    while pos < end:
        flags, code = body[pos], body[pos + 1]
        if flags & 0x10:
            length, hdr = struct.unpack("!H", body[pos + 2:pos + 4])[0], 4
        else:
            length, hdr = body[pos + 2], 3
        found[code] = (flags, body[pos + hdr:pos + hdr + length])
        pos += hdr + length
    return found


def received_attribute(topo, code):
    """(flags, value) of attribute code in the last UPDATE exabgp received
    that announces SID, from the raw message; None if absent."""
    if not os.path.exists(topo.received):
        return None
    nlri = bytes([32]) + ipaddress.ip_network(SID).network_address.packed
    found = None
    with open(topo.received) as f:
        for line in f:
            body = bytes.fromhex(json.loads(line)["neighbor"]["message"][
                "body"].removeprefix("0x"))
            if body.endswith(nlri):
                found = attributes(body).get(code)
    return found


def test_egress_sends_edge_metadata_from_the_draft_layout(sender):
    egress = sender["egress"]
    egress.configure(
        "cfn edge-metadata send",
        f"cfn service video sid {SID}",
        "cfn service video instance 10.1.0.11 capacity 250",
        "cfn service video instance 10.1.0.11 metric cpu-utilization 30",
        context="router bgp 65001")
    assert "cfn edge-metadata send" in egress.vtysh("show running-config")
    ours = wait_until(lambda: egresses(egress, SID).get("10.0.3.7"),
                      timeout=30, what="the egress's own SID")
    expected = availability(0x0307, ours["l2"] * 10) + capability(250)
    flags, value = wait_until(lambda: received_attribute(sender, CODE),
                              timeout=30, what="exabgp receiving attribute 42")
    assert flags == FLAGS
    assert value == expected

    egress.configure("no cfn edge-metadata send", context="router bgp 65001")
    wait_until(lambda: received_attribute(sender, CODE) is None, timeout=30,
               what="the SID route again without attribute 42")
