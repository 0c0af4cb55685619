# SPDX-License-Identifier: GPL-2.0-or-later
"""Instance-level dispatch at the egress ("cfn service NAME dispatch
instances"): the egress installs the SID with its instances' BIDs as
next hops, split by the service's selection policy through a resilient
nexthop group, and real TCP connections from a client follow the split.

    client --- egress --- inst1   (each instance serves the SID on its
                     \\--- inst2    loopback, at its BID on the link)
"""

import json
import time

import pytest

import cfnnet
import flownet
from topolib import Topology, wait_until

SID = "198.51.100.30/32"
ADDR = SID.split("/")[0]
PORT = 9200
IDLE = 4
INSTANCES = ("inst1", "inst2")


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    work = tmp_path_factory.mktemp("dispatch")
    flownet.install(work)
    topo = Topology("dsp")
    egress = topo.add_router("egress", asn=65001)
    gateway, _ = topo.add_link(egress, topo.add_router("client", daemons=()))
    for name in INSTANCES:
        topo.add_link(egress, topo.add_router(name, daemons=()))
    with topo:
        topo["client"].exec("ip", "route", "add", "default", "via", gateway)
        egress.exec("sysctl", "-qw", "net.ipv4.fib_multipath_hash_policy=1")
        for name in INSTANCES:
            host = topo[name]
            host.exec("ip", "addr", "add", SID, "dev", "lo")
            host.exec("ip", "route", "add", "default", "via",
                      host.interfaces["eth-egress"][2])
            flownet.serve(host, work, name, PORT)
        egress.configure(
            f"cfn service video sid {SID}",
            *(f"cfn service video instance {bid(topo, n)} capacity 10"
              for n in INSTANCES),
            "cfn service video selection mode weighted",
            "cfn service video selection weight compute 1 network 0",
            "cfn service video selection min-score 0",
            "cfn service video selection max-utilization 90",
            f"cfn service video selection affinity idle-timeout {IDLE} "
            "buckets 128",
            "cfn service video dispatch instances",
            context="router bgp 65001")
        topo.work = work
        yield topo


def bid(topo, name):
    """The instance's address on its link to the egress."""
    return topo["egress"].interfaces[f"eth-{name}"][2]


def set_cpu(topo, name, cpu):
    topo["egress"].configure(
        f"cfn service video instance {bid(topo, name)} metric "
        f"cpu-utilization {cpu}", context="router bgp 65001")


def local_split(topo):
    data = topo["egress"].vtysh_json(f"show bgp cfn selection {SID} json")
    return data["instances"][0]["sids"][0]["localDispatch"]


def weights(topo):
    """instance name -> weight of the local split."""
    names = {bid(topo, n): n for n in INSTANCES}
    return {names[c["bid"]]: c["weight"] for c in local_split(topo)["chosen"]}


def nexthop(router, nhid):
    return json.loads(router.exec("ip", "-j", "nexthop", "show", "id",
                                  str(nhid)).stdout)[0]


def kernel_group(topo):
    """instance name -> weight in the SID's resilient group, from the
    kernel: the group the SID's route uses and its members' interfaces
    (where their packets go)."""
    egress = topo["egress"]
    routes = json.loads(egress.exec(
        "ip", "-j", "route", "show", "table", cfnnet.GROUP_TABLE, "protocol",
        "207").stdout or "[]")
    route = [r for r in routes if r["dst"] == ADDR and "nhid" in r]
    if not route:
        return {}
    members = {}
    for member in nexthop(egress, route[0]["nhid"])["group"]:
        dev = nexthop(egress, member["id"])["dev"]
        members[dev.removeprefix("eth-")] = member.get("weight", 1)
    return members


def buckets(topo):
    """instance name -> buckets of the group, from show."""
    names = {bid(topo, n): n for n in INSTANCES}
    dist = local_split(topo)["affinity"].get("distribution", [])
    counts = {}
    for d in dist:
        name = names.get(d["nexthop"], d["nexthop"])
        counts[name] = counts.get(name, 0) + d["buckets"]
    return counts


def probe(topo, count):
    return flownet.probe(topo, topo.work, ADDR, PORT, count)


def test_new_flows_split_by_score(net):
    """L2 8 against 4 at equal capacity: weights 255 and 128, twice the
    buckets, and about twice the new connections."""
    set_cpu(net, "inst1", 20)
    set_cpu(net, "inst2", 60)
    wait_until(lambda: weights(net) == {"inst1": 255, "inst2": 128},
               timeout=15, what="split 255/128")
    wait_until(lambda: kernel_group(net) == {"inst1": 255, "inst2": 128},
               timeout=10, what="kernel group 255/128")
    assert buckets(net) == {"inst1": 85, "inst2": 43}
    seen = probe(net, 90)
    assert None not in seen
    assert seen.count("inst1") > seen.count("inst2") >= 15


def test_capacity_weighs_with_the_score(net):
    set_cpu(net, "inst1", 20)
    set_cpu(net, "inst2", 20)
    net["egress"].configure(
        f"cfn service video instance {bid(net, 'inst2')} capacity 30",
        context="router bgp 65001")
    try:
        wait_until(lambda: weights(net) == {"inst1": 85, "inst2": 255},
                   timeout=15, what="split by capacity 1:3")
        wait_until(lambda: buckets(net) == {"inst1": 32, "inst2": 96},
                   timeout=IDLE + 10, what="buckets 1:3")
    finally:
        net["egress"].configure(
            f"cfn service video instance {bid(net, 'inst2')} capacity 10",
            context="router bgp 65001")


def test_loaded_instance_left_out(net):
    set_cpu(net, "inst1", 20)
    set_cpu(net, "inst2", 95)  # above max-utilization 90
    wait_until(lambda: weights(net) == {"inst1": 255}, timeout=15,
               what="inst2 left out")
    verdicts = {c["bid"]: c["verdict"]
                for c in local_split(net)["candidates"]}
    assert verdicts[bid(net, "inst2")] == "above-max-utilization"
    # its idle buckets go, and then the kernel's group holds inst1 alone
    wait_until(lambda: set(kernel_group(net)) == {"inst1"},
               timeout=IDLE + 10, what="inst2 out of the kernel group")
    assert probe(net, 40) == ["inst1"] * 40


def test_least_loaded_fallback(net):
    set_cpu(net, "inst1", 97)
    set_cpu(net, "inst2", 93)
    wait_until(lambda: weights(net) == {"inst2": 255}, timeout=15,
               what="fallback to the least loaded")
    assert local_split(net)["fallback"]
    wait_until(lambda: set(kernel_group(net)) == {"inst2"},
               timeout=IDLE + 10, what="inst1 out of the kernel group")
    assert probe(net, 20) == ["inst2"] * 20


def test_text_show_and_dispatch_off(net):
    set_cpu(net, "inst1", 20)
    set_cpu(net, "inst2", 20)
    text = net["egress"].vtysh(f"show bgp cfn selection {SID}")
    assert "local instances (dispatch)" in text
    assert bid(net, "inst1") in text
    net["egress"].configure("no cfn service video dispatch instances",
                            context="router bgp 65001")
    try:
        wait_until(lambda: kernel_group(net) == {}, timeout=10,
                   what="local group removed")
        assert "localDispatch" not in net["egress"].vtysh_json(
            f"show bgp cfn selection {SID} json")["instances"][0]["sids"][0]
    finally:
        net["egress"].configure("cfn service video dispatch instances",
                                context="router bgp 65001")
    wait_until(lambda: set(kernel_group(net)) == set(INSTANCES), timeout=10,
               what="local group back")


def test_drained_instance_keeps_its_flows_and_gets_no_new_ones(net):
    """Drain at the instance level, with real TCP connections: none of
    those established moves, and not one new connection reaches the
    drained instance while they are still open (conntrack pins them to
    it; it leaves the group at once)."""
    set_cpu(net, "inst1", 20)
    set_cpu(net, "inst2", 20)
    wait_until(lambda: set(kernel_group(net)) == set(INSTANCES),
               timeout=IDLE + 10, what="both instances in the group")
    conns = flownet.Connections(net, net.work, ADDR, PORT, 12, "drain")
    inst1 = bid(net, "inst1")
    try:
        before = conns.on("inst1")
        assert before and conns.on("inst2")
        net["egress"].configure(f"cfn service video instance {inst1} drain",
                                context="router bgp 65001")
        wait_until(lambda: weights(net) == {"inst2": 255}, timeout=10,
                   what="inst1 drained")
        verdicts = {c["bid"]: c["verdict"]
                    for c in local_split(net)["candidates"]}
        assert verdicts[inst1] == "draining"
        assert f"cfn service video instance {inst1} drain" in \
            net["egress"].vtysh("show running-config")
        wait_until(lambda: set(kernel_group(net)) == {"inst2"}, timeout=5,
                   what="inst1 out of the kernel group at once")
        affinity = local_split(net)["affinity"]
        assert affinity["drainingBuckets"] == 0
        assert affinity["pinnedConnections"][inst1] >= before
        assert probe(net, 30) == ["inst2"] * 30  # not one new connection
        time.sleep(1)  # a few more rounds on the long-lived connections
        assert conns.dead() == 0 and conns.on("inst1") == before
    finally:
        conns.stop()
    net["egress"].configure(f"no cfn service video instance {inst1} drain",
                            context="router bgp 65001")
    wait_until(lambda: set(weights(net)) == set(INSTANCES), timeout=10,
               what="inst1 back")
