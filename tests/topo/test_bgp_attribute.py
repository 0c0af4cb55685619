# SPDX-License-Identifier: GPL-2.0-or-later
"""SID/BID bindings and metrics travel in BGP: three egresses advertise,
an ingress aggregates them through a route reflector (add-path), with the
IGP cost from OSPF, and follows metric changes, instance removal and the
loss of an egress."""

import pytest

import cfnnet
from cfnnet import RR, egresses, wait_egresses
from topolib import wait_until

VIDEO = "198.51.100.10/32"
AI = "198.51.100.20/32"
EGRESS_COST = {"e1": 10, "e2": 20, "e3": 30}


@pytest.fixture(scope="module")
def net():
    topo = cfnnet.build("attr", EGRESS_COST)
    with topo:
        cfnnet.wait_converged(topo)
        configure_services(topo)
        yield topo


def configure_services(topo):
    topo["e1"].configure(
        f"cfn service video sid {VIDEO}",
        "cfn service video instance 10.1.1.11 capacity 100",
        "cfn service video instance 10.1.1.11 metric cpu-utilization 20",
        f"cfn service ai sid {AI}",
        "cfn service ai instance 10.1.1.21 capacity 8",
        context="router bgp 65000")
    topo["e2"].configure(
        f"cfn service video sid {VIDEO}",
        "cfn service video instance 10.1.2.11 capacity 100",
        "cfn service video instance 10.1.2.11 metric cpu-utilization 50 statistic mean",
        "cfn service video instance 10.1.2.12 capacity 50",
        "cfn service video instance 10.1.2.12 metric queue-depth 12",
        context="router bgp 65000")
    topo["e3"].configure(
        f"cfn service video sid {VIDEO}",
        "cfn service video instance 10.1.3.11 capacity 200",
        "cfn service video instance 10.1.3.11 metric cpu-utilization 80",
        f"cfn service ai sid {AI}",
        "cfn service ai instance 10.1.3.21 capacity 4",
        context="router bgp 65000")


def metric(instance, name):
    return next(m["value"] for m in instance["metrics"] if m["name"] == name)


def rib_metric(router, address):
    routes = router.vtysh_json(f"show ip route {address}/32 json")
    return routes[f"{address}/32"][0]["metric"]


def test_ingress_sees_every_egress_instance_and_metric(net):
    ingress = net["ingress"]
    video = wait_egresses(ingress, VIDEO,
                          ["10.0.0.11", "10.0.0.12", "10.0.0.13"],
                          "three egresses for video")
    e2 = video["10.0.0.12"]
    assert e2["nexthop"] == "10.0.0.12"
    assert e2["learnedFrom"] == RR
    assert e2["reachable"] is True
    assert e2["capacity"] == 150
    bids = {i["bid"]: i for i in e2["instances"]}
    assert set(bids) == {"10.1.2.11", "10.1.2.12"}
    assert metric(bids["10.1.2.11"], "cpu-utilization") == 50
    assert bids["10.1.2.11"]["metrics"][0]["statistic"] == "mean"
    assert bids["10.1.2.11"]["l2"] == 5
    assert metric(bids["10.1.2.12"], "queue-depth") == 12
    assert video["10.0.0.13"]["instances"][0]["l2"] == 2  # 80 % busy
    ai = wait_egresses(ingress, AI, ["10.0.0.11", "10.0.0.13"],
                       "two egresses for ai")
    assert ai["10.0.0.11"]["instances"][0]["bid"] == "10.1.1.21"
    services = ingress.vtysh_json("show bgp cfn services json")
    sids = {s["sid"]: s for s in services["instances"][0]["sids"]}
    assert sids[VIDEO]["egresses"] == 3 and sids[VIDEO]["instances"] == 4
    assert sids[AI]["egresses"] == 2
    stats = ingress.vtysh_json("show bgp cfn statistics json")
    assert stats["instances"][0]["pathsDecoded"] >= 5
    assert stats["instances"][0]["decodeErrors"] == 0


def test_igp_cost_follows_ospf(net):
    ingress = net["ingress"]
    for name, node in (("e1", "10.0.0.11"), ("e2", "10.0.0.12"),
                       ("e3", "10.0.0.13")):
        wait_until(lambda: egresses(ingress, VIDEO)[node]["igpMetric"] ==
                   rib_metric(ingress, node) > 0, timeout=30,
                   what=f"IGP cost of {name} = OSPF metric")
    before = egresses(ingress, VIDEO)["10.0.0.11"]["igpMetric"]
    ingress.configure("ip ospf cost 100", context="interface eth-e1")
    wait_until(lambda: egresses(ingress, VIDEO)["10.0.0.11"]["igpMetric"]
               == before + 90 == rib_metric(ingress, "10.0.0.11"),
               timeout=30, what="IGP cost to e1 to follow the new OSPF cost")
    ingress.configure("ip ospf cost 10", context="interface eth-e1")
    wait_until(lambda: egresses(ingress, VIDEO)["10.0.0.11"]["igpMetric"]
               == before, timeout=30, what="IGP cost back")


def test_metric_change_reaches_ingress(net):
    ingress, e2 = net["ingress"], net["e2"]
    seq = egresses(ingress, VIDEO)["10.0.0.12"]["sequence"]
    e2.configure("cfn service video instance 10.1.2.11 metric "
                 "cpu-utilization 95 statistic mean",
                 context="router bgp 65000")

    def updated():
        e = egresses(ingress, VIDEO)["10.0.0.12"]
        inst = next(i for i in e["instances"] if i["bid"] == "10.1.2.11")
        return e if metric(inst, "cpu-utilization") == 95 else None
    e = wait_until(updated, timeout=30, what="cpu 95 % at the ingress")
    assert e["sequence"] > seq
    inst = next(i for i in e["instances"] if i["bid"] == "10.1.2.11")
    assert inst["l2"] == 1
    assert e["ageSeconds"] < 10


def test_removing_last_instance_withdraws_egress(net):
    ingress, e3 = net["ingress"], net["e3"]
    wait_egresses(ingress, AI, ["10.0.0.11", "10.0.0.13"], "ai on e1, e3")
    e3.configure("no cfn service ai instance 10.1.3.21",
                 context="router bgp 65000")
    wait_egresses(ingress, AI, ["10.0.0.11"], "ai only on e1")
    stats = e3.vtysh_json("show bgp cfn statistics json")["instances"][0]
    assert stats["withdrawals"] == 1
    e3.configure("cfn service ai instance 10.1.3.21 capacity 4",
                 context="router bgp 65000")
    wait_egresses(ingress, AI, ["10.0.0.11", "10.0.0.13"], "ai back on e3")


def test_stopping_egress_bgpd_removes_it(net):
    ingress, e1 = net["ingress"], net["e1"]
    e1.vtysh("write memory")
    e1.stop_daemons()
    wait_egresses(ingress, VIDEO, ["10.0.0.12", "10.0.0.13"],
                  "video without e1")
    wait_egresses(ingress, AI, ["10.0.0.13"], "ai without e1")
    e1.start_daemons()  # comes back from its saved config
    wait_egresses(ingress, VIDEO, ["10.0.0.11", "10.0.0.12", "10.0.0.13"],
                  "video with e1 again")
