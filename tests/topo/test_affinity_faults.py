# SPDX-License-Identifier: GPL-2.0-or-later
"""Flow affinity under faults, with real long-lived TCP connections from a
client behind the ingress to a SID served at two directly connected eBGP
egresses. A connection that lands on the other egress is reset by it, so
a moved flow shows as a dead connection.

- a link flap (either side) leaves the resilient group matching the
  selection again, both egresses in it;
- best mode keeps every established connection when the choice changes
  after a period with a single egress;
- an egress whose last instance is withdrawn, or whose session is shut,
  gets no new connection at once;
- cfn-fib-cleanup removes what a killed bgpd left in the kernel, which a
  bgpd started without the module would never remove.
"""

import json
import os
import signal
import time

import pytest

import cfnnet
import flownet
import topolib
from topolib import wait_until

SID = "198.51.100.20/32"
ADDR = SID.split("/")[0]
PORT = 9100
IDLE = 5
ASN = flownet.EGRESS_ASN

@pytest.fixture(scope="module")
def net(tmp_path_factory):
    work = tmp_path_factory.mktemp("tcp")
    topo = flownet.build("aft")
    with topo:
        flownet.prepare(topo)
        flownet.serve_tcp(topo, work, SID, PORT)
        ingress = topo["ingress"]
        for name in ASN:
            add_instance(topo[name])
        ingress.configure(f"cfn service video sid {SID}",
                          "cfn service video selection affinity "
                          f"idle-timeout {IDLE} buckets 256",
                          context="router bgp 65000")
        topo.work = work
        yield topo


def bid(egress):
    return f"10.{ASN[egress.name] % 10}.0.1"


def add_instance(egress, cpu=20):
    asn = ASN[egress.name]
    egress.configure(
        f"cfn service video sid {SID}",
        f"cfn service video instance {bid(egress)} capacity 8",
        f"cfn service video instance {bid(egress)} metric "
        f"cpu-utilization {cpu}", context=f"router bgp {asn}")


def set_mode(topo, mode):
    topo["ingress"].configure(f"cfn service video selection mode {mode}",
                              context="router bgp 65000")


def selection(topo):
    return topo["ingress"].vtysh_json(
        f"show bgp cfn selection {SID} json")["instances"][0]["sids"][0]


def wait_chosen(topo, names):
    expect = {topo[n].router_id for n in names}

    def chosen():
        data = selection(topo)
        return {c["nodeId"] for c in data["chosen"]} == expect and data
    return wait_until(chosen, timeout=30, what=f"selection {names}")


def buckets(topo):
    """egress name -> buckets of the group, from show bgp cfn selection."""
    gws = {cfnnet.gateway_to(topo["ingress"], n)[0]: n for n in ASN}
    dist = selection(topo)["affinity"].get("distribution", [])
    return {gws.get(d["nexthop"], d["nexthop"]): d["buckets"] for d in dist}


def probe(topo, count):
    return flownet.probe(topo, topo.work, ADDR, PORT, count)


def connections(topo, count, tag):
    """Long-lived TCP connections from the client, pinging all along."""
    return flownet.Connections(topo, topo.work, ADDR, PORT, count, tag)


def both_in_group(topo):
    return wait_until(lambda: all(buckets(topo).get(n, 0) > 0 for n in ASN),
                      timeout=20, what="both egresses in the group")


def flap(router, ifname):
    router.exec("ip", "link", "set", ifname, "down")
    time.sleep(1)
    router.exec("ip", "link", "set", ifname, "up")


@pytest.mark.parametrize("side", ["ingress", "egress1"])
def test_link_flap_restores_the_group(net, side):
    ingress = net["ingress"]
    set_mode(net, "weighted")
    wait_chosen(net, ASN)
    both_in_group(net)
    flap(net[side], "eth-egress1" if side == "ingress" else "eth-ingress")
    flownet.route_back(net["egress1"])  # the flap took it away
    net.wait_established()
    wait_chosen(net, ASN)
    both_in_group(net)  # the kernel's deletion of e1's member is repaired
    ours = json.loads(ingress.exec("ip", "-j", "nexthop", "show", "protocol",
                                   "207").stdout or "[]")
    gw1 = cfnnet.gateway_to(ingress, "egress1")[0]
    assert any(nh.get("gateway") == gw1 for nh in ours)
    seen = probe(net, 40)
    assert seen.count("egress1") >= 5 and seen.count("egress2") >= 5
    with open(ingress.log_file("bgpd")) as f:
        assert "resilient nexthop group: Invalid argument" not in f.read()


def kernel_gateways(router):
    return {gw for gw, _ in cfnnet.kernel_nexthops(router, SID)}


@pytest.mark.parametrize("keep", [None, 1])
def test_link_flap_through_zebra(net, keep):
    """Without affinity the route goes through zebra. FRR 8.4's zebra
    reuses a nexthop group the kernel emptied of the flapped link's member
    (fixed in FRR 9.0); doc/troubleshooting.md's workaround, zebra
    nexthop-group keep 1, makes it build a new one. FRR 10 needs none."""
    ingress = net["ingress"]
    if keep is None and topolib.frr_version() < (9, 0):
        pytest.skip("FRR 8.4's zebra keeps the emptied group (documented)")
    if keep:
        ingress.configure(f"zebra nexthop-group keep {keep}")
    ingress.configure("no cfn service video selection affinity",
                      context="router bgp 65000")
    try:
        set_mode(net, "weighted")
        wait_chosen(net, ASN)
        gateways = {cfnnet.gateway_to(ingress, n)[0] for n in ASN}
        wait_until(lambda: kernel_gateways(ingress) == gateways, timeout=20,
                   what="both egresses in the kernel route")
        ingress.exec("ip", "link", "set", "eth-egress1", "down")
        wait_chosen(net, ["egress2"])
        time.sleep(3)  # longer than the group is kept
        ingress.exec("ip", "link", "set", "eth-egress1", "up")
        flownet.route_back(net["egress1"])
        net.wait_established()
        wait_chosen(net, ASN)
        wait_until(lambda: kernel_gateways(ingress) == gateways, timeout=20,
                   what="both egresses in the kernel route again")
    finally:
        if keep:
            ingress.configure(f"no zebra nexthop-group keep {keep}")
        ingress.configure("cfn service video selection affinity "
                          f"idle-timeout {IDLE} buckets 256",
                          context="router bgp 65000")


def test_best_mode_keeps_flows_after_a_single_egress_period(net):
    """With one egress the kernel tracks no bucket activity: a twin
    member keeps it tracking, so the flows of that period stay."""
    set_mode(net, "best")
    add_instance(net["egress2"], cpu=95)
    wait_chosen(net, ["egress1"])
    wait_until(lambda: set(buckets(net)) == {"egress1"}, timeout=IDLE + 10,
               what="egress2's buckets idle and gone")
    conns = connections(net, 60, "best")
    try:
        assert conns.on("egress1") == 60
        time.sleep(IDLE + 3)  # longer than the idle timer, under traffic
        add_instance(net["egress1"], cpu=95)
        add_instance(net["egress2"], cpu=20)
        wait_chosen(net, ["egress2"])
        time.sleep(3)
        assert conns.dead() == 0  # no established flow moved
        # new flows follow the choice, but for the buckets the old flows
        # hold (60 flows keep up to a fifth of 256 buckets busy)
        seen = probe(net, 40)
        assert seen.count("egress2") >= 24
    finally:
        conns.stop()
    add_instance(net["egress1"], cpu=20)


def test_withdrawn_egress_gets_no_new_flows(net):
    """Deselection keeps established flows; a withdrawal cannot (nobody
    answers them): the egress leaves the group at once."""
    e1 = net["egress1"]
    set_mode(net, "weighted")
    add_instance(e1)
    add_instance(net["egress2"])
    wait_chosen(net, ASN)
    both_in_group(net)
    conns = connections(net, 20, "withdraw")
    try:
        assert conns.on("egress1") and conns.on("egress2")
        e1.configure(f"no cfn service video instance {bid(e1)}",
                     context="router bgp 65001")
        wait_chosen(net, ["egress2"])
        wait_until(lambda: "egress1" not in buckets(net), timeout=5,
                   what="egress1 out of the group")
        assert probe(net, 50) == ["egress2"] * 50
    finally:
        conns.stop()
    add_instance(e1)


def test_shut_neighbor_gets_no_new_flows(net):
    ingress = net["ingress"]
    gw1 = cfnnet.gateway_to(ingress, "egress1")[0]
    wait_chosen(net, ASN)
    both_in_group(net)
    conns = connections(net, 20, "shut")
    try:
        ingress.configure(f"neighbor {gw1} shutdown",
                          context="router bgp 65000")
        wait_chosen(net, ["egress2"])
        assert probe(net, 32) == ["egress2"] * 32
    finally:
        conns.stop()
        ingress.configure(f"no neighbor {gw1} shutdown",
                          context="router bgp 65000")
    net.wait_established()


def test_crash_restart_keeps_routes_and_flows(net):
    """bgpd killed and started again with the module (as watchfrr does):
    the previous bgpd's group keeps forwarding and is taken over, so no
    established connection is lost."""
    ingress = net["ingress"]
    set_mode(net, "weighted")
    wait_chosen(net, ASN)
    both_in_group(net)
    ingress.vtysh("write memory")
    group = selection(net)["affinity"]["nexthopGroupId"]
    conns = connections(net, 20, "crash")
    try:
        assert conns.on("egress1") and conns.on("egress2")
        os.kill(ingress.daemon_pids()["bgpd"], signal.SIGKILL)
        time.sleep(0.5)
        ingress.start_daemons(only=["bgpd"])
        assert group_route(ingress)  # forwarding all along
        net.wait_established()
        data = wait_chosen(net, ASN)
        assert data["affinity"]["nexthopGroupId"] == group  # taken over
        both_in_group(net)
        time.sleep(2)
        assert conns.dead() == 0
    finally:
        conns.stop()
    with open(ingress.log_file("bgpd")) as f:
        assert "took over 1 resilient groups" in f.read()


def ours(router):
    out = router.exec("ip", "-j", "nexthop", "show", "protocol", "207")
    return json.loads(out.stdout or "[]")


def group_route(router):
    return router.exec("ip", "route", "show", "table", cfnnet.GROUP_TABLE,
                       "protocol", "207").stdout.strip()


def pins(router):
    """The module's rules (those of its group table and pins) and its
    nftables table."""
    rules = [line for family in ("-4", "-6")
             for line in router.exec("ip", family, "rule").stdout.splitlines()
             if "proto 207" in line]
    table = router.exec("nft", "list", "table", "inet", "cfn", check=False)
    return "\n".join(rules) + (table.stdout if table.returncode == 0 else "")


def test_cleanup_after_bgpd_killed_and_started_without_the_module(
        net, monkeypatch, tmp_path):
    ingress = net["ingress"]
    wait_chosen(net, ASN)
    both_in_group(net)
    os.kill(ingress.daemon_pids()["bgpd"], signal.SIGKILL)
    # the operator removes the module: bgpd alone, no CFN configuration
    monkeypatch.setitem(topolib.DAEMON_ARGS, "bgpd", [])
    ingress.write_config(ingress.base_config())
    ingress.start_daemons(only=["bgpd"])
    time.sleep(2)
    assert group_route(ingress) and ours(ingress)  # nothing removes them
    assert pins(ingress)
    cleanup = ["cfn-fib-cleanup", "-n", ingress.ns]
    # -m (frr.service, before start): left to a bgpd that loads the module
    daemons = tmp_path / "daemons"
    monkeypatch.setenv("CFN_FRR_DAEMONS", str(daemons))
    daemons.write_text('bgpd=yes\nbgpd_options="  -A 127.0.0.1 -M cfn"\n')
    assert topolib.run([*cleanup, "-m"]).stdout == ""
    assert group_route(ingress) and ours(ingress) and pins(ingress)
    daemons.write_text('bgpd=yes\nbgpd_options="  -A 127.0.0.1"\n')
    assert "removed" in topolib.run([*cleanup, "-m"]).stdout
    assert not group_route(ingress) and not ours(ingress)
    assert not pins(ingress)
    assert topolib.run(cleanup).stdout == ""  # nothing left: says nothing


def test_frr_service_runs_the_cleanup():
    """Whatever starts FRR through systemd cleans up first and after."""
    dropin = "/lib/systemd/system/frr.service.d/cfn-fib-cleanup.conf"
    with open(dropin) as f:
        lines = f.read().splitlines()
    assert "ExecStartPre=/usr/sbin/cfn-fib-cleanup -m" in lines
    assert "ExecStopPost=/usr/sbin/cfn-fib-cleanup" in lines
    assert os.access("/usr/sbin/cfn-fib-cleanup", os.X_OK)
