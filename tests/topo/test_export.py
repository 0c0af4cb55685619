# SPDX-License-Identifier: GPL-2.0-or-later
"""What each neighbour gets of the CFN attribute and of the IETF Edge
Metadata, chosen by "set cfn export" in an outbound route-map
(doc/cli.md). A border router (AS 65001) serves one SID itself and
forwards another, learnt with the CFN attribute from a CFN origin
(AS 65002); two exabgp neighbours record the raw UPDATEs they receive.
"strip" has a route-map applied to it from the configuration file
(loaded with vtysh -b, as at boot); "plain" has none and keeps getting
the CFN attribute, and the Edge Metadata of "cfn edge-metadata send".
"""

import time

import pytest

import cfnwire as w
from cfnnet import egresses
from exanet import last_attributes, start_exabgp
from topolib import Topology, wait_until

LOCAL_SID = "198.51.100.50/32"      # served by the border itself
FORWARDED_SID = "198.51.100.51/32"  # served by the origin
BORDER_ID, ORIGIN_ID = "10.0.3.7", "10.0.3.8"
ROUTE_MAP = "route-map CFN-EXPORT permit 10"
SIDS = (LOCAL_SID, FORWARDED_SID)


def serve(router, sid, capacity):
    router.configure(
        f"cfn service video sid {sid}",
        f"cfn service video instance 10.1.0.11 capacity {capacity}",
        "cfn service video instance 10.1.0.11 metric cpu-utilization 30",
        context=f"router bgp {router.asn}")


@pytest.fixture(scope="module")
def net():
    topo = Topology("cfnexp")
    border = topo.add_router("border", asn=65001, router_id=BORDER_ID)
    origin = topo.add_router("origin", asn=65002, router_id=ORIGIN_ID)
    strip = topo.add_router("strip", asn=65009, router_id="10.0.0.9",
                            daemons=())
    plain = topo.add_router("plain", asn=65010, router_id="10.0.0.10",
                            daemons=())
    topo.add_link(border, origin)
    border_strip, strip_addr = topo.add_link(border, strip)
    border_plain, plain_addr = topo.add_link(border, plain)
    border.config = (f"{ROUTE_MAP}\n set cfn export none\nexit\n"
                     "router bgp 65001\n cfn edge-metadata send\n"
                     f" neighbor {strip_addr} route-map CFN-EXPORT out\n"
                     "exit\n")
    with topo:
        start_exabgp(strip, strip_addr, border_strip, record=True)
        start_exabgp(plain, plain_addr, border_plain, record=True)
        border.wait_established(timeout=60)
        serve(border, LOCAL_SID, 250)
        serve(origin, FORWARDED_SID, 300)
        wait_until(lambda: ORIGIN_ID in egresses(border, FORWARDED_SID),
                   timeout=30, what="the origin's SID at the border")
        yield topo


def attributes_of(topo, host, sid):
    return last_attributes(topo[host], sid)


def wait_received(topo, host, sid, check, what):
    """The attributes of the last UPDATE for sid at host, once check
    holds for them."""
    return wait_until(
        lambda: (lambda a: a if a is not None and check(a) else None)(
            attributes_of(topo, host, sid)),
        timeout=30, what=f"{host}: {sid} {what}")


def expected_edgemeta(topo, sid, node_id, capacity):
    """Edge Metadata bytes from the draft's layout: the site's L2 as
    availability, its capacity as capability (doc/wire-format.md)."""
    site = egresses(topo["border"], sid)[node_id]
    site_id = int.from_bytes(bytes(map(int, node_id.split(".")))[2:], "big")
    return (w.edgemeta_availability(site_id, site["l2"] * 10)
            + w.edgemeta_capability(capacity))


def test_strip_for_one_neighbour_other_keeps_cfn(net):
    for sid in SIDS:
        wait_received(net, "strip", sid,
                      lambda a: w.ATTR_TYPE not in a
                      and w.EDGEMETA_TYPE not in a,
                      "without the CFN attribute and Edge Metadata")
        plain = wait_received(net, "plain", sid,
                              lambda a: w.ATTR_TYPE in a,
                              "with the CFN attribute")
        # optional transitive (and partial, once forwarded)
        assert plain[w.ATTR_TYPE][0] & w.FLAGS == w.FLAGS
    # "cfn edge-metadata send" adds Edge Metadata to the border's own SID
    local = attributes_of(net, "plain", LOCAL_SID)
    assert local[w.EDGEMETA_TYPE] == (
        w.EDGEMETA_FLAGS, expected_edgemeta(net, LOCAL_SID, BORDER_ID, 250))
    assert w.EDGEMETA_TYPE not in attributes_of(net, "plain", FORWARDED_SID)

    border = net["border"]
    assert f"{ROUTE_MAP}\n set cfn export none\nexit" in \
        border.vtysh("show running-config")
    counters = border.vtysh_json("show bgp cfn export json")
    assert counters["applied"]["none"] >= 2
    assert counters["cfnAttributeRemoved"] >= 2
    assert counters["edgeMetadataRemoved"] >= 1


def test_edge_metadata_only(net):
    border = net["border"]
    border.configure("set cfn export edge-metadata", context=ROUTE_MAP)
    assert " set cfn export edge-metadata\n" in \
        border.vtysh("show running-config")
    for sid, node_id, capacity in ((LOCAL_SID, BORDER_ID, 250),
                                   (FORWARDED_SID, ORIGIN_ID, 300)):
        got = wait_received(net, "strip", sid,
                            lambda a: w.EDGEMETA_TYPE in a,
                            "with Edge Metadata")
        assert w.ATTR_TYPE not in got
        assert got[w.EDGEMETA_TYPE] == (
            w.EDGEMETA_FLAGS, expected_edgemeta(net, sid, node_id, capacity))
    # the bytes of the instance-wide "cfn edge-metadata send"
    assert attributes_of(net, "strip", LOCAL_SID)[w.EDGEMETA_TYPE] == \
        attributes_of(net, "plain", LOCAL_SID)[w.EDGEMETA_TYPE]


def test_removing_the_rule_restores_the_default(net):
    border = net["border"]
    border.configure("no set cfn export", context=ROUTE_MAP)
    assert "set cfn export" not in border.vtysh("show running-config")
    wait_received(net, "strip", FORWARDED_SID,
                  lambda a: w.ATTR_TYPE in a and w.EDGEMETA_TYPE not in a,
                  "with the CFN attribute again")
    wait_received(net, "strip", LOCAL_SID,
                  lambda a: w.ATTR_TYPE in a and w.EDGEMETA_TYPE in a,
                  "with both attributes again")


def transits(router):
    """bgpd's allocations of unknown-attribute storage (show memory)."""
    counts = {}
    for line in router.vtysh("show memory bgpd").splitlines():
        name, _, rest = line.partition(":")
        if name.strip() in ("BGP transit attr", "BGP transit val"):
            counts[name.strip()] = int(rest.split()[0])
    return counts


def test_edits_are_not_leaked(net):
    """Each change of the CFN attribute re-evaluates the route-map; the
    edited Edge Metadata stays the same, so bgpd 8.4 suppresses the
    duplicate UPDATE and drops the outbound copy without freeing what is
    not interned in it."""
    border = net["border"]
    border.configure("set cfn export edge-metadata", context=ROUTE_MAP)
    wait_received(net, "strip", LOCAL_SID,
                  lambda a: w.ATTR_TYPE not in a and w.EDGEMETA_TYPE in a,
                  "with Edge Metadata only")

    def cfn_value():
        return attributes_of(net, "plain", LOCAL_SID)[w.ATTR_TYPE][1]
    before, first = transits(border), cfn_value()
    for load in [31, 30] * 10:  # the same L2: the same Edge Metadata
        border.configure("cfn service video instance 10.1.0.11 metric "
                         f"cpu-utilization {load}", context="router bgp 65001")
        time.sleep(0.3)
    wait_until(lambda: cfn_value() != first, timeout=30,
               what="the CFN attribute updated")
    time.sleep(2)
    after = transits(border)
    assert after["BGP transit attr"] - before["BGP transit attr"] < 5, \
        (before, after)
    border.configure("no set cfn export", context=ROUTE_MAP)
