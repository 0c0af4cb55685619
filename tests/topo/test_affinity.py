# SPDX-License-Identifier: GPL-2.0-or-later
"""Flow affinity with real traffic: UDP flows from a client behind the
ingress to a SID served at two egresses. With affinity (a resilient
nexthop group), a selection change moves no established flow while new
flows follow the new weights, and once the old flows are idle the group
converges; without affinity, flows move."""

import json
import os
import sys
import time

import pytest

import cfnnet
import flownet
from topolib import wait_until

SID = "198.51.100.10/32"
PORT = 9000
IDLE = 4

COUNTER = """
import json, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", %d))
s.settimeout(0.2)
counts, last = {}, 0
while True:
    try:
        _, (host, port) = s.recvfrom(64)
        counts[port] = counts.get(port, 0) + 1
    except socket.timeout:
        pass
    if time.time() - last > 0.2:
        with open(sys.argv[1] + ".tmp", "w") as f:
            json.dump(counts, f)
        import os; os.replace(sys.argv[1] + ".tmp", sys.argv[1])
        last = time.time()
""" % PORT

SENDER = """
import socket, sys, time
first, count = int(sys.argv[2]), int(sys.argv[3])
socks = []
for port in range(first, first + count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    socks.append(s)
while True:
    for s in socks:
        s.sendto(b"x", (sys.argv[1], %d))
    time.sleep(0.1)
""" % PORT


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    work = tmp_path_factory.mktemp("flows")
    (work / "counter.py").write_text(COUNTER)
    (work / "sender.py").write_text(SENDER)
    topo = flownet.build("aff")
    with topo:
        flownet.prepare(topo)
        for name, asn in flownet.EGRESS_ASN.items():
            egress = topo[name]
            egress.exec("ip", "addr", "add", SID, "dev", "lo")
            egress.configure(
                f"cfn service video sid {SID}",
                f"cfn service video instance 10.{asn % 10}.0.1 capacity 8",
                f"cfn service video instance 10.{asn % 10}.0.1 metric "
                "cpu-utilization 20", context=f"router bgp {asn}")
            egress.popen(sys.executable, str(work / "counter.py"),
                         str(work / f"{egress.name}.json"),
                         log="counter.log")
        topo["ingress"].configure(
            f"cfn service video sid {SID}",
            "cfn service video selection mode weighted",
            context="router bgp 65000")
        topo.work = work
        topo.client = topo["client"]
        yield topo


def affinity_route(router):
    """The module's route to the SID: in its group table, looked up
    before main, where zebra's is."""
    return router.exec("ip", "route", "show", "table", cfnnet.GROUP_TABLE,
                       SID).stdout


def gateways(topo):
    return {name: cfnnet.gateway_to(topo["ingress"], name)[0]
            for name in ("egress1", "egress2")}


def counts(topo):
    seen = {}
    for name in ("egress1", "egress2"):
        try:
            with open(topo.work / f"{name}.json") as f:
                seen[name] = {int(k): v for k, v in json.load(f).items()}
        except (OSError, ValueError):
            seen[name] = {}
    return seen


def where(topo, ports):
    """port -> the egress(es) that received it."""
    seen = counts(topo)
    return {p: sorted(n for n in seen if p in seen[n]) for p in ports}


def start_flows(topo, first, count):
    return topo.client.popen(sys.executable, str(topo.work / "sender.py"),
                             SID.split("/")[0], str(first), str(count),
                             log=f"sender-{first}.log")


def set_load(topo, egress, asn, cpu):
    topo[egress].configure(
        f"cfn service video instance 10.{asn % 10}.0.1 metric "
        f"cpu-utilization {cpu}", context=f"router bgp {asn}")


def wait_selection(topo, expect):
    def chosen():
        data = topo["ingress"].vtysh_json(
            f"show bgp cfn selection {SID} json")["instances"][0]["sids"][0]
        return {c["nodeId"] for c in data["chosen"]} == expect and data
    return wait_until(chosen, timeout=30, what=f"selection {expect}")


def flows_on(topo, ports, name):
    return [p for p, at in where(topo, ports).items() if at == [name]]


def run_scenario(topo, first):
    """Flows on both egresses, then egress1 overloaded. Returns the old
    flows that moved, and the share of new flows that went to egress2."""
    set_load(topo, "egress1", 65001, 20)
    wait_selection(topo, {"10.0.0.2", "10.0.0.3"})
    time.sleep(IDLE + 1)  # every bucket idle: a fresh start
    old = list(range(first, first + 32))
    sender = start_flows(topo, first, 32)
    wait_until(lambda: all(where(topo, old).values()), timeout=10,
               what="old flows arriving")
    time.sleep(1)
    before = where(topo, old)
    assert flows_on(topo, old, "egress1") and flows_on(topo, old, "egress2")
    assert all(len(at) == 1 for at in before.values())

    set_load(topo, "egress1", 65001, 90)  # below min-score: deselected
    wait_selection(topo, {"10.0.0.3"})
    time.sleep(2)
    snapshot = counts(topo)
    time.sleep(2)
    after = counts(topo)
    moved = [p for p in old
             if any(after[n].get(p, 0) > snapshot[n].get(p, 0)
                    for n in after if n not in before[p])]
    new = list(range(first + 1000, first + 1032))
    newer = start_flows(topo, first + 1000, 32)
    wait_until(lambda: all(where(topo, new).values()), timeout=10,
               what="new flows arriving")
    share = len(flows_on(topo, new, "egress2")) / len(new)
    for proc in (sender, newer):
        proc.kill()
        proc.wait()
    return moved, share


def test_affinity_keeps_established_flows(net):
    ingress = net["ingress"]
    ingress.configure("cfn service video selection affinity idle-timeout "
                      f"{IDLE} buckets 512", context="router bgp 65000")
    data = wait_selection(net, {"10.0.0.2", "10.0.0.3"})
    assert data["affinity"]["kernelSupport"] is True
    assert data["affinity"]["flowKey"] == "5-tuple (L4)"
    route = affinity_route(ingress)
    assert "nhid" in route and "proto 207" in route

    moved, share = run_scenario(net, 20000)
    assert moved == []  # every established flow stayed on its egress
    assert share >= 0.85  # new flows follow the new weights

    # the old flows are gone: after the idle timeout the retired egress
    # leaves the group and every bucket follows the new weights
    def converged():
        data = wait_selection(net, {"10.0.0.3"})
        dist = data["affinity"].get("distribution", [])
        gw2 = gateways(net)["egress2"]
        return len(dist) == 1 and dist[0]["nexthop"] == gw2 and \
            dist[0]["buckets"] == 512
    wait_until(converged, timeout=IDLE + 10, what="buckets converged")


def restart_bgpd(router):
    pid = router.daemon_pids()["bgpd"]
    os.kill(pid, 15)
    wait_until(lambda: not os.path.exists(f"/proc/{pid}"), timeout=15,
               what="bgpd to stop")
    router.start_daemons(only=["bgpd"])


def our_nexthop_ids(router):
    """IDs of the kernel nexthops of the module (protocol 207)."""
    out = router.exec("ip", "-j", "nexthop", "show").stdout
    return {nh["id"] for nh in json.loads(out or "[]")
            if nh.get("protocol") in ("207", 207)}


def test_affinity_survives_bgpd_restart(net):
    """Nexthops zebra re-installed after the previous bgpd deleted them
    must not stand in the way: after a bgpd restart the SID gets a
    resilient group again, and only it and its members are the module's."""
    ingress = net["ingress"]
    ingress.vtysh("write memory")
    before = wait_selection(net, {"10.0.0.3"})["affinity"]
    restart_bgpd(ingress)
    after = wait_selection(net, {"10.0.0.3"})["affinity"]
    assert after["kernelSupport"] is True
    route = affinity_route(ingress)
    assert f"nhid {after['nexthopGroupId']}" in route and "proto 207" in route
    # the group, its members, and the twin of a lone next hop
    members = len(after["distribution"])
    objects = 1 + members + (members == 1)
    wait_until(lambda: len(our_nexthop_ids(ingress)) == objects,
               timeout=10, what="only the live group and its members")
    assert before["buckets"] == after["buckets"]


def test_without_affinity_flows_move(net):
    ingress = net["ingress"]
    ingress.configure("no cfn service video selection affinity "
                      f"idle-timeout {IDLE}", context="router bgp 65000")
    wait_until(lambda: not affinity_route(ingress), timeout=15,
               what="back to zebra's weighted ECMP route")
    moved, share = run_scenario(net, 30000)
    assert moved  # flows of egress1 moved to egress2
    assert share == 1.0


def test_bucket_memory_does_not_grow_with_flows(net):
    """Affinity state lives in the kernel group (fixed buckets), none per
    flow in bgpd: its memory types do not grow with the flows."""
    ingress = net["ingress"]
    ingress.configure("cfn service video selection affinity idle-timeout "
                      f"{IDLE} buckets 512", context="router bgp 65000")
    wait_selection(net, {"10.0.0.3"})
    before = ingress.vtysh("show memory bgpd")
    sender = start_flows(net, 40000, 200)
    time.sleep(3)
    after = ingress.vtysh("show memory bgpd")
    sender.kill()
    sender.wait()
    line = lambda text: [l for l in text.splitlines()
                         if "CFN resilient nexthop group" in l]
    assert line(before) == line(after)
