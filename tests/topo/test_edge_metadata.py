# SPDX-License-Identifier: GPL-2.0-or-later
"""The IETF Edge Metadata Path Attribute from a third-party speaker:
exabgp announces a SID with the attribute (code 42, optional
non-transitive), its bytes built here from the sub-TLV layout of
doc/wire-format.md section 7; the ingress maps it to an egress without
instances and selects by it against a real CFN egress, in its kernel FIB.
Malformed variants are discarded, counted, and never reset the session."""

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
