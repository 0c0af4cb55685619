# SPDX-License-Identifier: GPL-2.0-or-later
"""Trust controls (CATS R24): a rogue eBGP speaker (exabgp) advertises a
SID that a real CFN egress serves, with perfect scores and a huge
capacity. Untrusted (the eBGP default), its data is ignored; with bounds,
its scores and capacity are clamped; beyond its SID limit or change limit
its data is dropped or held back; in every case the ingress keeps sending
the SID's traffic to the real egress, in its kernel FIB."""

import pytest

import cfnwire as w
from cfnnet import kernel_nexthops
from test_interop import announce, start_exabgp
from topolib import Topology, wait_until

SID = "198.51.100.20/32"
OTHER_SID = "198.51.100.21/32"
ROGUE_ID = "10.0.0.9"
EGRESS_ID = "10.0.0.2"


def perfect(sequence, l2=10, capacity=1000000):
    return w.attribute(
        w.egress(ROGUE_ID, sequence, l2, (l2, w.NONE, w.NONE), capacity),
        w.instance("10.9.0.11", l2, (l2, w.NONE, w.NONE), capacity))


@pytest.fixture(scope="module")
def net():
    topo = Topology("edtrust")
    ingress = topo.add_router("ingress", asn=65001)
    egress = topo.add_router("egress", asn=65002, router_id=EGRESS_ID)
    rogue = topo.add_router("rogue", asn=65009, router_id=ROGUE_ID,
                            daemons=())
    _, topo.gateway = topo.add_link(ingress, egress)
    ingress_addr, topo.rogue = topo.add_link(ingress, rogue)
    with topo:
        topo.fifo = start_exabgp(rogue, topo.rogue, ingress_addr)
        ingress.wait_established(timeout=60)
        egress.configure(
            f"cfn service video sid {SID}",
            "cfn service video instance 10.1.0.11 capacity 100",
            "cfn service video instance 10.1.0.11 metric cpu-utilization 50",
            context="router bgp 65002")
        ingress.configure("debug bgp cfn updates")
        wait_until(lambda: EGRESS_ID in egresses(ingress, SID), timeout=30,
                   what="the real egress at the ingress")
        yield topo


def egresses(router, sid):
    data = router.vtysh_json(f"show bgp cfn service {sid} json")
    inst = data["instances"][0] if data["instances"] else None
    return {e["nodeId"]: e for e in inst["egresses"]} if inst else {}


def chosen(router, sid):
    data = router.vtysh_json(f"show bgp cfn selection {sid} json")
    sids = data["instances"][0]["sids"]
    return [c["nodeId"] for c in sids[0]["chosen"]] if sids else []


def counters(router, peer):
    data = router.vtysh_json("show bgp cfn trust json")
    for neighbor in data["instances"][0]["neighbors"]:
        if neighbor["neighbor"] == peer:
            return neighbor
    raise AssertionError(f"{peer} not in show bgp cfn trust")


def fib_gateways(topo):
    return {gw for gw, _ in kernel_nexthops(topo["ingress"], SID)}


def expect_real_egress_only_chosen(topo):
    ingress = topo["ingress"]
    wait_until(lambda: chosen(ingress, SID) == [EGRESS_ID], timeout=30,
               what="the real egress alone chosen")
    wait_until(lambda: fib_gateways(topo) == {topo.gateway}, timeout=30,
               what="the kernel route via the real egress")


def configure(topo, *lines):
    topo["ingress"].configure(*lines, context="router bgp 65001")


def rogue_says(topo, sequence, sid=SID, **kwargs):
    announce(topo.fifo, sid, perfect(sequence, **kwargs))


def wait_rogue(topo, check, what):
    return wait_until(lambda: check(egresses(topo["ingress"], SID).get(
        ROGUE_ID)), timeout=30, what=what)


def test_trusted_rogue_pulls_the_traffic(net):
    """The premise: trusted without bounds, perfect scores win."""
    rogue_says(net, 1)
    wait_rogue(net, lambda e: e and e["l2"] == 10, "the rogue's L2 10")
    wait_until(lambda: chosen(net["ingress"], SID) == [ROGUE_ID],
               timeout=30, what="the rogue chosen")
    wait_until(lambda: fib_gateways(net) == {net.rogue}, timeout=30,
               what="the kernel route via the rogue")


def test_untrusted_ebgp_data_ignored_by_default(net):
    ingress = net["ingress"]
    before = counters(ingress, net.rogue)["counters"]["rejected"]
    configure(net, f"no cfn neighbor {net.rogue} data")
    wait_rogue(net, lambda e: e is None, "the rogue's data ignored")
    expect_real_egress_only_chosen(net)
    rogue_says(net, 2)
    wait_until(lambda: counters(ingress, net.rogue)["counters"]["rejected"]
               > before, timeout=30, what="the rejection counted")
    state = counters(ingress, net.rogue)
    assert state["session"] == "ebgp" and state["accept"] is False
    # the route itself is kept, as a plain BGP path
    route = ingress.vtysh_json(f"show bgp ipv4 unicast {SID} json")
    assert len(route["paths"]) == 2


def test_scores_and_capacity_clamped(net):
    ingress = net["ingress"]
    configure(net, f"cfn neighbor {net.rogue} data accept",
              f"cfn neighbor {net.rogue} max-score 3",
              f"cfn neighbor {net.rogue} max-capacity 50")
    rogue = wait_rogue(net, lambda e: e, "the rogue's data accepted")
    assert rogue["l2"] == 3 and rogue["capacity"] == 50
    assert rogue["instances"][0]["l2"] == 3
    assert rogue["instances"][0]["capacity"] == 50
    assert egresses(ingress, SID)[EGRESS_ID]["l2"] > 3
    expect_real_egress_only_chosen(net)
    rogue_says(net, 3)
    wait_until(lambda: counters(ingress, net.rogue)["counters"][
        "capacity-clamped"] > 0, timeout=30, what="the clamps counted")
    assert counters(ingress, net.rogue)["counters"]["score-clamped"] > 0
    config = ingress.vtysh("show running-config")
    assert f"cfn neighbor {net.rogue} max-score 3" in config
    assert f"cfn neighbor {net.rogue} max-capacity 50" in config


def test_sid_limit(net):
    ingress = net["ingress"]
    configure(net, f"cfn neighbor {net.rogue} max-sids 1")
    rogue_says(net, 4, sid=OTHER_SID)
    wait_until(lambda: counters(ingress, net.rogue)["counters"]["sid-limit"]
               > 0, timeout=30, what="the second SID refused")
    assert egresses(ingress, OTHER_SID) == {}
    assert ROGUE_ID in egresses(ingress, SID)  # the first SID is kept
    assert ingress.vtysh_json(f"show bgp ipv4 unicast {OTHER_SID} json")[
        "paths"]
    configure(net, f"no cfn neighbor {net.rogue} max-sids")
    wait_until(lambda: ROGUE_ID in egresses(ingress, OTHER_SID), timeout=30,
               what="the second SID once the limit is gone")


def test_change_limit_damps_flapping_data(net):
    ingress = net["ingress"]
    configure(net, f"cfn neighbor {net.rogue} change-limit 2 per 600")
    configure(net, f"cfn neighbor {net.rogue} max-score 10")
    wait_rogue(net, lambda e: e and e["l2"] == 10,
               "the score bound lifted (change 1 of 2)")
    rogue_says(net, 10, l2=1)
    wait_rogue(net, lambda e: e and e["sequence"] == 10, "change 2 of 2")
    damped = counters(ingress, net.rogue)["counters"]["damped"]
    rogue_says(net, 11, l2=9)
    wait_until(lambda: counters(ingress, net.rogue)["counters"]["damped"]
               > damped, timeout=30, what="change 3 held back")
    rogue = egresses(ingress, SID)[ROGUE_ID]
    assert rogue["sequence"] == 10 and rogue["l2"] == 1
    assert counters(ingress, net.rogue)["changeLimit"] == 2


def test_no_neighbor_restores_defaults(net):
    ingress = net["ingress"]
    configure(net, f"no cfn neighbor {net.rogue}")
    assert f"cfn neighbor {net.rogue}" not in ingress.vtysh(
        "show running-config")
    wait_rogue(net, lambda e: e is None, "the rogue ignored again")
    expect_real_egress_only_chosen(net)
    assert f"{net.rogue} (eBGP): CFN data ignored" in ingress.vtysh(
        "show bgp cfn trust")
