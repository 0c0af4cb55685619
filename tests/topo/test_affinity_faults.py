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
import sys
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

# Long-lived connections, each sending a byte every 0.3 s and expecting
# it back; writes {index: [egress, alive]} after every round.
CLIENT = """
import json, os, socket, sys, time
addr, port, count, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def hello(c):
    data = b""
    while not data.endswith(b"\\n"):
        chunk = c.recv(64)
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data.decode().strip()
conns = []
for i in range(count):
    c = socket.create_connection((addr, port), timeout=3)
    conns.append([c, hello(c), True])
while True:
    for conn in conns:
        if not conn[2]:
            continue
        try:
            conn[0].sendall(b"x")
            if conn[0].recv(1) != b"x":
                raise OSError("closed")
        except OSError:
            conn[2] = False
    with open(out + ".tmp", "w") as f:
        json.dump({i: [c[1], c[2]] for i, c in enumerate(conns)}, f)
    os.replace(out + ".tmp", out)
    time.sleep(0.3)
"""

@pytest.fixture(scope="module")
def net(tmp_path_factory):
    work = tmp_path_factory.mktemp("tcp")
    (work / "client.py").write_text(CLIENT)
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


class Connections:
    """Long-lived TCP connections from the client, pinging all along."""

    def __init__(self, topo, count, tag):
        self.file = topo.work / f"conns-{tag}.json"
        self.proc = topo["client"].popen(
            sys.executable, str(topo.work / "client.py"), ADDR, str(PORT),
            str(count), str(self.file), log=f"client-{tag}.log")
        wait_until(self.state, timeout=20, what="connections open")

    def state(self):
        try:
            with open(self.file) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def on(self, name):
        return sum(1 for egress, _ in self.state().values() if egress == name)

    def dead(self):
        return sum(1 for _, alive in self.state().values() if not alive)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


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


def test_best_mode_keeps_flows_after_a_single_egress_period(net):
    """With one egress the kernel tracks no bucket activity: a twin
    member keeps it tracking, so the flows of that period stay."""
    set_mode(net, "best")
    add_instance(net["egress2"], cpu=95)
    wait_chosen(net, ["egress1"])
    wait_until(lambda: set(buckets(net)) == {"egress1"}, timeout=IDLE + 10,
               what="egress2's buckets idle and gone")
    conns = Connections(net, 60, "best")
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
    conns = Connections(net, 20, "withdraw")
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
    conns = Connections(net, 20, "shut")
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
    conns = Connections(net, 20, "crash")
    try:
        assert conns.on("egress1") and conns.on("egress2")
        os.kill(ingress.daemon_pids()["bgpd"], signal.SIGKILL)
        time.sleep(0.5)
        ingress.start_daemons(only=["bgpd"])
        assert local_route(ingress)  # forwarding all along
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


def local_route(router):
    return router.exec("ip", "route", "show", "table", "local", "protocol",
                       "207").stdout.strip()


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
    assert local_route(ingress) and ours(ingress)  # nothing removes them
    cleanup = ["cfn-fib-cleanup", "-n", ingress.ns]
    # -m (frr.service, before start): left to a bgpd that loads the module
    daemons = tmp_path / "daemons"
    monkeypatch.setenv("CFN_FRR_DAEMONS", str(daemons))
    daemons.write_text('bgpd=yes\nbgpd_options="  -A 127.0.0.1 -M cfn"\n')
    assert topolib.run([*cleanup, "-m"]).stdout == ""
    assert local_route(ingress) and ours(ingress)
    daemons.write_text('bgpd=yes\nbgpd_options="  -A 127.0.0.1"\n')
    assert "removed" in topolib.run([*cleanup, "-m"]).stdout
    assert not local_route(ingress) and not ours(ingress)
    assert topolib.run(cleanup).stdout == ""  # nothing left: says nothing


def test_frr_service_runs_the_cleanup():
    """Whatever starts FRR through systemd cleans up first and after."""
    dropin = "/lib/systemd/system/frr.service.d/cfn-fib-cleanup.conf"
    with open(dropin) as f:
        lines = f.read().splitlines()
    assert "ExecStartPre=/usr/sbin/cfn-fib-cleanup -m" in lines
    assert "ExecStopPost=/usr/sbin/cfn-fib-cleanup" in lines
    assert os.access("/usr/sbin/cfn-fib-cleanup", os.X_OK)
