# SPDX-License-Identifier: GPL-2.0-or-later
"""Trust controls (CATS R24): a rogue eBGP speaker (exabgp) advertises a
SID that a real CFN egress serves, with perfect scores and a huge
capacity. Untrusted (the eBGP default), its data is ignored; with bounds,
its scores and capacity are clamped; beyond its SID limit or change limit
its data is dropped or held back; in every case the ingress keeps sending
the SID's traffic to the real egress, in its kernel FIB."""

import pytest

import cfnwire as w
from cfnnet import chosen_nodes, egresses, wait_chosen
from exanet import EGRESS_ID, EXABGP_ID, announce, ingress_egress_exabgp
from topolib import wait_until

SID = "198.51.100.20/32"
OTHER_SID = "198.51.100.21/32"


def perfect(sequence, l2=10, capacity=1000000):
    return w.attribute(
        w.egress(EXABGP_ID, sequence, l2, (l2, w.NONE, w.NONE), capacity),
        w.instance("10.9.0.11", l2, (l2, w.NONE, w.NONE), capacity))


@pytest.fixture(scope="module")
def net():
    yield from ingress_egress_exabgp("edtrust", SID)


def trust(router, peer):
    data = router.vtysh_json("show bgp cfn trust json")
    for neighbor in data["instances"][0]["neighbors"]:
        if neighbor["neighbor"] == peer:
            return neighbor
    raise AssertionError(f"{peer} not in show bgp cfn trust")


def counter(topo, name):
    return trust(topo["ingress"], topo.exa)["counters"][name]


def wait_counted(topo, name, before, what):
    wait_until(lambda: counter(topo, name) > before, timeout=30, what=what)


def configure(topo, *lines):
    topo["ingress"].configure(*lines, context="router bgp 65001")


def rogue_says(topo, sequence, sid=SID, **kwargs):
    announce(topo.fifo, sid, perfect(sequence, **kwargs))


def wait_rogue(topo, check, what):
    return wait_until(lambda: check(egresses(topo["ingress"], SID).get(
        EXABGP_ID)), timeout=30, what=what)


def real_egress_keeps_the_traffic(topo):
    wait_chosen(topo["ingress"], SID, EGRESS_ID, topo.gateway)


def test_trusted_rogue_pulls_the_traffic(net):
    """The premise: trusted without bounds, perfect scores win."""
    rogue_says(net, 1)
    wait_rogue(net, lambda e: e and e["l2"] == 10, "the rogue's L2 10")
    wait_chosen(net["ingress"], SID, EXABGP_ID, net.exa)


def test_untrusted_ebgp_data_ignored_by_default(net):
    ingress = net["ingress"]
    before = counter(net, "rejected")
    configure(net, f"no cfn neighbor {net.exa} data")
    wait_rogue(net, lambda e: e is None, "the rogue's data ignored")
    real_egress_keeps_the_traffic(net)
    rogue_says(net, 2)
    wait_counted(net, "rejected", before, "the rejection counted")
    state = trust(ingress, net.exa)
    assert state["session"] == "ebgp" and state["accept"] is False
    with open(ingress.log_file("bgpd")) as log:
        assert f"{SID} from {net.exa}: trust control rejected" in log.read()
    # the route itself is kept, as a plain BGP path
    route = ingress.vtysh_json(f"show bgp ipv4 unicast {SID} json")
    assert len(route["paths"]) == 2


def test_scores_and_capacity_clamped(net):
    ingress = net["ingress"]
    configure(net, f"cfn neighbor {net.exa} data accept",
              f"cfn neighbor {net.exa} max-score 3",
              f"cfn neighbor {net.exa} max-capacity 50")
    rogue = wait_rogue(net, lambda e: e, "the rogue's data accepted")
    assert rogue["l2"] == 3 and rogue["capacity"] == 50
    assert rogue["instances"][0]["l2"] == 3
    assert rogue["instances"][0]["capacity"] == 50
    assert egresses(ingress, SID)[EGRESS_ID]["l2"] > 3
    real_egress_keeps_the_traffic(net)
    rogue_says(net, 3)
    wait_counted(net, "capacity-clamped", 0, "the clamps counted")
    assert counter(net, "score-clamped") > 0
    config = ingress.vtysh("show running-config")
    assert f"cfn neighbor {net.exa} max-score 3" in config
    assert f"cfn neighbor {net.exa} max-capacity 50" in config


def test_sid_limit(net):
    ingress = net["ingress"]
    configure(net, f"cfn neighbor {net.exa} max-sids 1")
    rogue_says(net, 4, sid=OTHER_SID)
    wait_counted(net, "sid-limit", 0, "the second SID refused")
    assert egresses(ingress, OTHER_SID) == {}
    assert EXABGP_ID in egresses(ingress, SID)  # the first SID is kept
    assert ingress.vtysh_json(f"show bgp ipv4 unicast {OTHER_SID} json")[
        "paths"]
    configure(net, f"no cfn neighbor {net.exa} max-sids 1")
    wait_until(lambda: EXABGP_ID in egresses(ingress, OTHER_SID),
               timeout=30, what="the second SID once the limit is gone")


def test_change_limit_damps_flapping_data(net):
    configure(net, f"cfn neighbor {net.exa} change-limit 2 per 600")
    configure(net, f"cfn neighbor {net.exa} max-score 10")
    wait_rogue(net, lambda e: e and e["l2"] == 10,
               "the score bound lifted (change 1 of 2)")
    rogue_says(net, 10, l2=1)
    wait_rogue(net, lambda e: e and e["sequence"] == 10, "change 2 of 2")
    damped = counter(net, "damped")
    rogue_says(net, 11, l2=9)
    wait_counted(net, "damped", damped, "change 3 held back")
    rogue = egresses(net["ingress"], SID)[EXABGP_ID]
    assert rogue["sequence"] == 10 and rogue["l2"] == 1
    assert trust(net["ingress"], net.exa)["changeLimit"] == 2


def test_no_neighbor_restores_defaults(net):
    ingress = net["ingress"]
    configure(net, f"no cfn neighbor {net.exa}")
    assert f"cfn neighbor {net.exa}" not in ingress.vtysh(
        "show running-config")
    wait_rogue(net, lambda e: e is None, "the rogue ignored again")
    real_egress_keeps_the_traffic(net)
    assert chosen_nodes(ingress, SID) == [EGRESS_ID]
    assert f"{net.exa} (eBGP): CFN data ignored" in ingress.vtysh(
        "show bgp cfn trust")
