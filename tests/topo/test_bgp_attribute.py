# SPDX-License-Identifier: GPL-2.0-or-later
"""SID/BID bindings and metrics travel in BGP: three egresses advertise,
an ingress aggregates them through a route reflector (add-path), with the
IGP cost from OSPF, and follows metric changes, instance removal and the
loss of an egress."""

import pytest

from topolib import Topology, wait_until

VIDEO = "198.51.100.10/32"
AI = "198.51.100.20/32"
EGRESS_COST = {"e1": 10, "e2": 20, "e3": 30}
RR = "10.0.0.2"


def ospf_config(router, costs):
    lines = []
    for ifname in router.interfaces:
        lines += [f"interface {ifname}", " ip ospf network point-to-point",
                  " ip ospf hello-interval 1", " ip ospf dead-interval 4"]
        peer = router.interfaces[ifname][1].name
        if peer in costs:
            lines.append(f" ip ospf cost {costs[peer]}")
        lines.append("exit")
    lines += ["router ospf", f" ospf router-id {router.router_id}",
              " network 10.0.0.0/8 area 0", "exit"]
    return "\n".join(lines) + "\n"


def ibgp_client_config(router):
    return "\n".join([
        "router bgp 65000",
        " timers bgp 3 9",
        f" neighbor {RR} remote-as 65000",
        f" neighbor {RR} update-source lo",
        f" neighbor {RR} timers connect 1",
        "exit"]) + "\n"


def rr_config(clients):
    lines = ["router bgp 65000", " timers bgp 3 9"]
    for client in clients:
        lines += [f" neighbor {client.router_id} remote-as 65000",
                  f" neighbor {client.router_id} update-source lo",
                  f" neighbor {client.router_id} timers connect 1"]
    lines.append(" address-family ipv4 unicast")
    for client in clients:
        lines += [f"  neighbor {client.router_id} route-reflector-client",
                  f"  neighbor {client.router_id} addpath-tx-all-paths"]
    lines += [" exit-address-family", "exit"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def net():
    topo = Topology("attr")
    daemons = ("zebra", "ospfd", "bgpd")
    ingress = topo.add_router("ingress", asn=65000, router_id="10.0.0.1",
                              daemons=daemons, link_peers=False)
    rr = topo.add_router("rr", asn=65000, router_id=RR, daemons=daemons,
                         link_peers=False)
    egresses = [topo.add_router(name, asn=65000,
                                router_id=f"10.0.0.{11 + i}",
                                daemons=daemons, link_peers=False)
                for i, name in enumerate(EGRESS_COST)]
    topo.add_link(ingress, rr)
    for egress in egresses:
        topo.add_link(ingress, egress)
    ingress.config = ospf_config(ingress, EGRESS_COST) + \
        ibgp_client_config(ingress)
    rr.config = ospf_config(rr, {}) + rr_config([ingress] + egresses)
    for egress in egresses:
        egress.config = ospf_config(egress, {}) + ibgp_client_config(egress)
    with topo:
        wait_until(lambda: len(rr.bgp_peers()) == 4 and all(
            p["state"] == "Established" for p in rr.bgp_peers().values()),
            timeout=90, what="route reflector sessions")
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


def egresses(router, sid):
    data = router.vtysh_json(f"show bgp cfn service {sid} json")
    if not data["instances"]:
        return {}
    return {e["nodeId"]: e for e in data["instances"][0]["egresses"]}


def wait_egresses(router, sid, node_ids, what):
    return wait_until(
        lambda: (lambda e: e if set(e) == set(node_ids) else None)(
            egresses(router, sid)),
        timeout=30, what=what)


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
