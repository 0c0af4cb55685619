# SPDX-License-Identifier: GPL-2.0-or-later
"""Two route reflectors (issue 17, item 2): an egress's SID reaches the
ingress over both, is counted once in the per-service view, and when one
reflector lags (its bgpd frozen with SIGSTOP, shorter than the hold
time) the newest report wins, even when the lagging copy is bgpd's best
path.

    e1 --- rr1 --- ingress
     \\----- rr2 ----/
      \\------------/

iBGP between loopbacks; static /32 routes to each link's far loopback
(no IGP: nothing else to converge).
"""

import os
import signal

import pytest

import cfnnet
from topolib import Topology, wait_until

SID = "198.51.100.20/32"
BID = "10.1.1.1"
EGRESS = "10.0.0.11"
REFLECTORS = {"rr1": "10.0.0.2", "rr2": "10.0.0.3"}


def loopback_routes(topo):
    """Each router reaches the loopback of every router it has a link to
    over that link."""
    for router in topo.routers.values():
        for _, peer, peer_addr in router.interfaces.values():
            router.exec("ip", "route", "add", f"{peer.router_id}/32", "via",
                        peer_addr)


def set_cpu(egress, load):
    egress.configure(f"cfn service video instance {BID} metric "
                     f"cpu-utilization {load}", context="router bgp 65000")


def bgp_paths(ingress):
    route = ingress.vtysh_json(f"show bgp ipv4 unicast {SID} json")
    return route.get("paths", [])


def best_from(ingress):
    """The reflector whose copy is bgpd's best path."""
    best = [p for p in bgp_paths(ingress) if p.get("bestpath")]
    return next(n for n, rid in REFLECTORS.items()
                if best and best[0]["peer"]["peerId"] == rid)


@pytest.fixture(scope="module")
def net():
    topo = Topology("rr2")
    ingress = topo.add_router("ingress", asn=65000, router_id="10.0.0.1",
                              link_peers=False)
    rrs = [topo.add_router(name, asn=65000, router_id=rid, link_peers=False)
           for name, rid in REFLECTORS.items()]
    egress = topo.add_router("e1", asn=65000, router_id=EGRESS,
                             link_peers=False)
    for rr in rrs:
        topo.add_link(egress, rr)
        topo.add_link(ingress, rr)
        rr.config = cfnnet.rr_config([ingress, egress])
    topo.add_link(ingress, egress)
    for client in (ingress, egress):
        client.config = cfnnet.ibgp_client_config(REFLECTORS.values())
    with topo:
        loopback_routes(topo)
        egress.configure(f"cfn service video sid {SID}",
                         f"cfn service video instance {BID} capacity 10",
                         context="router bgp 65000")
        set_cpu(egress, 20)
        wait_until(lambda: len(bgp_paths(ingress)) == 2, timeout=60,
                   what="the SID from both reflectors")
        yield topo


def test_egress_counted_once(net):
    ingress = net["ingress"]
    peers = {p["peer"]["peerId"] for p in bgp_paths(ingress)}
    assert peers == set(REFLECTORS.values())
    view = cfnnet.egresses(ingress, SID)
    assert list(view) == [EGRESS]
    assert len(view[EGRESS]["instances"]) == 1


def test_newest_report_wins_over_lagging_best_path(net):
    """Freeze the reflector that brings the best path: the new report
    arrives only over the other one, and the view must take it although
    bgpd still prefers the old copy."""
    ingress, egress = net["ingress"], net["e1"]
    lagging = best_from(ingress)
    other = next(n for n in REFLECTORS if n != lagging)
    old = cfnnet.egresses(ingress, SID)[EGRESS]
    frozen = net[lagging].daemon_pids()["bgpd"]
    os.kill(frozen, signal.SIGSTOP)
    try:
        set_cpu(egress, 90)
        new = wait_until(
            lambda: (lambda e: e if e["sequence"] != old["sequence"]
                     else None)(cfnnet.egresses(ingress, SID)[EGRESS]),
            timeout=5, what="the new report in the view")
        assert new["learnedFrom"] == REFLECTORS[other]
        assert new["l2"] < old["l2"]
        assert len(bgp_paths(ingress)) == 2
        assert best_from(ingress) == lagging  # its copy is the old one
    finally:
        os.kill(frozen, signal.SIGCONT)
    # The lagging reflector catches up: two copies of one report, of
    # which the view takes the lower source (cautious_first), the same
    # report either way.
    wait_until(lambda: (lambda e: e["sequence"] == new["sequence"] and
                        e["learnedFrom"] == min(REFLECTORS.values()))(
        cfnnet.egresses(ingress, SID)[EGRESS]),
        timeout=30, what="both reflectors with the new report")
