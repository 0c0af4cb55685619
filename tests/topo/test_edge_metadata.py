# SPDX-License-Identifier: GPL-2.0-or-later
"""The IETF Edge Metadata Path Attribute from a third-party speaker:
exabgp announces a SID with the attribute (code 42, optional
non-transitive), its bytes built here from the sub-TLV layout of
doc/wire-format.md section 7; the ingress maps it to an egress without
instances and selects by it against a real CFN egress, in its kernel FIB.
Malformed variants are discarded, counted, and never reset the session."""

import pytest

import cfnwire as w
from cfnnet import egresses, wait_chosen
from exanet import (EGRESS_ID, EXABGP_ID, announce, assert_session_kept,
                    ingress_egress_exabgp, last_attributes, start_exabgp)
from topolib import Topology, wait_until

SID = "198.51.100.30/32"
CODE, FLAGS = w.EDGEMETA_TYPE, w.EDGEMETA_FLAGS
subtlv = w.edgemeta_subtlv
preference = w.edgemeta_preference
availability = w.edgemeta_availability
capability = w.edgemeta_capability
as_scope = w.edgemeta_as_scope


# prefix -> (value, reason counted by the ingress), then the one sent
# with the wrong flags (optional transitive)
MALFORMED = {
    "203.0.113.31/32": (availability(1, 100)[:4], "truncated"),
    "203.0.113.32/32": (subtlv(5, b"\x00\x01"), "bad-length"),
    "203.0.113.33/32": (availability(1, 101), "bad-percentage"),
    "203.0.113.34/32": (capability(5) + capability(6), "duplicate-sub-tlv"),
    "203.0.113.35/32": (as_scope(65009), "no-usable-sub-tlv"),
}
TRANSITIVE = "203.0.113.36/32"


@pytest.fixture(scope="module")
def net():
    routes = [f"route {p} next-hop self {w.exabgp(v, CODE, FLAGS)};"
              for p, (v, _) in MALFORMED.items()]
    routes.append(f"route {TRANSITIVE} next-hop self "
                  f"{w.exabgp(availability(1, 50), CODE, 0xC0)};")
    yield from ingress_egress_exabgp("edmeta", SID, routes)


def announce_meta(topo, value=None):
    announce(topo.fifo, SID, value, CODE, FLAGS)


def test_edge_metadata_site_selected_by_availability(net):
    ingress = net["ingress"]
    announce_meta(net, preference(50) + availability(7, 100) +
                  capability(400) + as_scope(65009))
    site = wait_until(lambda: egresses(ingress, SID).get(EXABGP_ID),
                      timeout=30, what="exabgp's site in the view")
    assert site["l2"] == 10 and site["capacity"] == 400
    assert site["instances"] == []
    wait_chosen(ingress, SID, EXABGP_ID, net.exa)
    routes = ingress.vtysh_json("show bgp cfn edge-metadata json")[
        "instances"][0]["routes"]
    (route,) = [r for r in routes if r["prefix"] == SID]
    assert route == {"prefix": SID, "peer": net.exa, "sitePreference": 50,
                     "siteId": 7, "availability": 100, "capability": 400,
                     "skippedSubTlvs": 1}

    # only the Edge Metadata changes: 20 % of the site left in service
    announce_meta(net, preference(50) + availability(7, 20) +
                  capability(400))
    wait_until(lambda: egresses(ingress, SID)[EXABGP_ID]["l2"] == 2,
               timeout=30, what="the site's L2 down to 2")
    wait_chosen(ingress, SID, EGRESS_ID, net.gateway)

    # announced again without the attribute: the site leaves the view
    announce_meta(net)
    wait_until(lambda: EXABGP_ID not in egresses(ingress, SID), timeout=30,
               what="the site gone with its Edge Metadata")
    assert_session_kept(ingress, net.exa)


def test_malformed_edge_metadata_discarded_session_kept(net):
    ingress = net["ingress"]

    def errors():
        return ingress.vtysh_json("show bgp cfn edge-metadata json")[
            "errorsByReason"]
    reasons = [r for _, r in MALFORMED.values()] + ["bad-flags"]
    wait_until(lambda: all(errors()[r] >= 1 for r in reasons),
               timeout=30, what="every malformed variant counted")
    for prefix in [*MALFORMED, TRANSITIVE]:
        route = ingress.vtysh_json(f"show bgp ipv4 unicast {prefix} json")
        assert route["paths"], prefix  # kept as a plain BGP route
        assert egresses(ingress, prefix) == {}, prefix
    with open(ingress.log_file("bgpd")) as log:
        assert "malformed Edge Metadata (bad-percentage)" in log.read()
    assert_session_kept(ingress, net.exa)


@pytest.fixture(scope="module")
def sender():
    """An egress sending Edge Metadata to exabgp, which records what it
    receives."""
    topo = Topology("edmsend")
    egress = topo.add_router("egress", asn=65001, router_id="10.0.3.7")
    host = topo.add_router("exabgp", asn=65009, router_id=EXABGP_ID,
                           daemons=())
    egress_addr, exa_addr = topo.add_link(egress, host)
    with topo:
        start_exabgp(host, exa_addr, egress_addr, record=True)
        egress.wait_established(timeout=60)
        yield topo


def received_attribute(topo, code):
    """(flags, value) of attribute code in the last UPDATE announcing SID
    that exabgp received; None if absent."""
    return (last_attributes(topo["exabgp"], SID) or {}).get(code)


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
