# SPDX-License-Identifier: GPL-2.0-or-later
"""Graceful drain of a whole egress, with real TCP connections from a
client behind the ingress to a SID served at two egresses: once egress1
drains, no established connection moves (each would be reset by the
other egress) and not one new connection goes to egress1, while its
long-lived connections are still open. In IPv4 and in IPv6.

The ingress pins each connection to the next hop it started on, from
conntrack (nftables marks, an ip rule per next hop): egress1 leaves the
SID's resilient group at once, and its established connections keep
going there. The multipath hash seed and the connections' source ports
are fixed, so every run hashes alike (on a stateless group, some of the
new connections below would hash into egress1's busy buckets).
"""

import json
import time

import pytest

import cfnnet
import flownet
from topolib import wait_until

# SID and instance address (BID) of each egress, per address family
FAMILIES = {
    "ipv4": ("198.51.100.40/32", lambda asn: f"10.{asn % 10}.0.1"),
    "ipv6": ("2001:db8:cf::40/128", lambda asn: f"2001:db8:{asn % 10}::1"),
}
PORT = 9300
IDLE = 4
ASN = flownet.EGRESS_ASN
HASH_SEED = 7919


@pytest.fixture(scope="module", params=list(FAMILIES))
def net(request, tmp_path_factory):
    sid, bid = FAMILIES[request.param]
    ipv6 = request.param == "ipv6"
    work = tmp_path_factory.mktemp("drain")
    topo = flownet.build("drn6" if ipv6 else "drn", ipv6=ipv6)
    with topo:
        flownet.prepare(topo)
        # one seed for IPv4 and IPv6 multipath hashes
        topo["ingress"].exec("sysctl", "-qw",
                             f"net.ipv4.fib_multipath_hash_seed={HASH_SEED}")
        flownet.serve_tcp(topo, work, sid, PORT)
        for name, asn in ASN.items():
            topo[name].configure(
                f"cfn service video sid {sid}",
                f"cfn service video instance {bid(asn)} capacity 8",
                f"cfn service video instance {bid(asn)} metric "
                "cpu-utilization 20", context=f"router bgp {asn}")
        topo["ingress"].configure(
            f"cfn service video sid {sid}",
            "cfn service video selection mode weighted",
            f"cfn service video selection affinity idle-timeout {IDLE} "
            "buckets 128", context="router bgp 65000")
        topo.work = work
        topo.sid, topo.addr = sid, sid.split("/")[0]
        yield topo


def selection(topo):
    return topo["ingress"].vtysh_json(
        f"show bgp cfn selection {topo.sid} json")["instances"][0]["sids"][0]


def chosen(topo):
    return {c["nodeId"] for c in selection(topo)["chosen"]}


def verdict(topo, name):
    return {c["nodeId"]: c["verdict"]
            for c in selection(topo)["candidates"]}[topo[name].router_id]


def hop(topo, name):
    """The ingress's next hop toward an egress: its address on the link,
    in IPv6 its link-local one, as bgpd and the module install it."""
    if topo.ip == "-4":
        return cfnnet.gateway_to(topo["ingress"], name)[0]
    return cfnnet.link_local(topo[name], "eth-ingress")


def module_nexthops(topo, name):
    """The module's kernel next hops toward an egress."""
    return [nh for nh in json.loads(topo["ingress"].exec(
        "ip", "-j", "nexthop", "show", "protocol", "207").stdout)
        if nh.get("gateway") == hop(topo, name)]


def egress1_buckets(topo):
    """Indexes of the buckets of the SID's group that egress1 holds, from
    the kernel (ip nexthop bucket)."""
    group = selection(topo)["affinity"]["nexthopGroupId"]
    members = {nh["id"] for nh in module_nexthops(topo, "egress1")}
    buckets = json.loads(topo["ingress"].exec(
        "ip", "-j", "nexthop", "bucket", "show", "id", str(group)).stdout)
    return {b["bucket"]["index"] for b in buckets
            if b["bucket"]["nhid"] in members}


def drain(topo, name, on=True):
    topo[name].configure(f"{'' if on else 'no '}cfn service video drain",
                         context=f"router bgp {ASN[name]}")


def pinned(topo, name):
    """Connections the ingress's conntrack pins to the egress's next hop."""
    return selection(topo)["affinity"]["pinnedConnections"].get(
        hop(topo, name), 0)


def test_drained_egress_keeps_its_flows_and_gets_no_new_ones(net):
    both = {net[n].router_id for n in ASN}
    wait_until(lambda: chosen(net) == both, timeout=30, what="both chosen")
    conns = flownet.Connections(net, net.work, net.addr, PORT, 16, "drain",
                                sport=42000)
    try:
        before = conns.on("egress1")
        assert before and conns.on("egress2")
        drain(net, "egress1")
        wait_until(lambda: chosen(net) == {net["egress2"].router_id},
                   timeout=15, what="egress1 drained at the ingress")
        assert verdict(net, "egress1") == "draining"
        # egress1 leaves the group at once; its connections stay pinned
        wait_until(lambda: not egress1_buckets(net), timeout=5,
                   what="egress1 out of the group")
        assert pinned(net, "egress1") >= before
        seen = flownet.probe(net, net.work, net.addr, PORT, 40,
                             sport=43000)
        assert seen == ["egress2"] * 40  # not one new connection
        time.sleep(1)  # a few more rounds on the long-lived connections
        assert conns.dead() == 0  # no established connection moved
        assert conns.on("egress1") == before
    finally:
        conns.stop()
    drain(net, "egress1", on=False)
    wait_until(lambda: chosen(net) == both, timeout=15, what="undrained")
    seen = flownet.probe(net, net.work, net.addr, PORT, 40, sport=44000)
    assert "egress1" in seen


def test_drain_is_advertised_and_shown(net):
    drain(net, "egress1")
    try:
        wait_until(lambda: verdict(net, "egress1") == "draining", timeout=15,
                   what="drain flag received")
        service = net["ingress"].vtysh_json(
            f"show bgp cfn service {net.sid} json")["instances"][0]
        egresses = {e["nodeId"]: e for e in service["egresses"]}
        assert egresses[net["egress1"].router_id]["draining"]
        assert not egresses[net["egress2"].router_id]["draining"]
        assert "cfn service video drain" in net["egress1"].vtysh(
            "show running-config")
    finally:
        drain(net, "egress1", on=False)
    wait_until(lambda: verdict(net, "egress1") != "draining", timeout=15,
               what="drain ended")


def test_only_draining_egress_still_serves(net):
    """Withdrawal is not a drain: with every egress draining, new flows
    still go somewhere (the least loaded), as bgpd's own route would."""
    drain(net, "egress1")
    drain(net, "egress2")
    try:
        wait_until(lambda: selection(net)["fallback"], timeout=15,
                   what="fallback among draining egresses")
        assert len(chosen(net)) == 1
        seen = flownet.probe(net, net.work, net.addr, PORT, 10)
        assert None not in seen
    finally:
        drain(net, "egress1", on=False)
        drain(net, "egress2", on=False)
