# SPDX-License-Identifier: GPL-2.0-or-later
"""The service notification API on a real bgpd: cfn-agent registers an
instance at an egress and reports its load, the ingress's selection
follows; the instance goes after its hold time when the agent dies, and
comes back by itself when the egress's bgpd restarts. Bad input gets an
error or a closed connection, and changes nothing already accepted."""

import grp
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

import pytest

import cfnapi
import cfnnet
from topolib import Topology, wait_until

SID = "198.51.100.10/32"
E1, E2 = "10.0.0.2", "10.0.0.3"  # router IDs of egress1, egress2
HOLD = 3


def cfnctl(router, *args):
    return subprocess.run(["cfnctl", "-N", router.ns, *args], text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def socket_path(router):
    return os.path.join(router.run_dir, "cfn-api.sock")


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    topo = Topology("api")
    ingress = topo.add_router("ingress", asn=65000)
    e1 = topo.add_router("egress1", asn=65001)
    e2 = topo.add_router("egress2", asn=65002)
    topo.add_link(ingress, e1)
    topo.add_link(ingress, e2)
    work = tmp_path_factory.mktemp("agent")
    with topo:
        topo.wait_established()
        for egress, asn in ((e1, 65001), (e2, 65002)):
            egress.configure(f"cfn service video sid {SID}",
                             f"cfn api hold-time {HOLD}",
                             context=f"router bgp {asn}")
        e2.configure("cfn service video instance 10.2.0.1 capacity 8",
                     "cfn service video instance 10.2.0.1 metric "
                     "queue-depth 20", context="router bgp 65002")
        ingress.configure("cfn service video sid " + SID,
                          "cfn service video selection hysteresis 0",
                          context="router bgp 65000")
        load = work / "queue"
        load.write_text("0\n")
        conf = work / "agent.conf"
        conf.write_text(
            f"socket {socket_path(e1)}\ninterval 1\nhold-time {HOLD}\n"
            "instance video 10.1.0.1 capacity 8 sample commands\n"
            f"command 10.1.0.1 queue-depth cat {load}\n")
        topo.load = load
        topo.agent_conf = conf
        topo.agent = start_agent(topo)
        yield topo
        topo.agent.kill()


def start_agent(topo):
    log = open(topo.agent_conf.with_suffix(".log"), "a")
    return subprocess.Popen(["cfn-agent", "-c", str(topo.agent_conf), "-v"],
                            stdout=log, stderr=subprocess.STDOUT)


def egress_ids(router):
    return set(cfnnet.egresses(router, SID))


def fib_gateway(topo):
    hops = cfnnet.kernel_nexthops(topo["ingress"], SID)
    return {gw for gw, _ in hops}


def gateway(topo, egress):
    return cfnnet.gateway_to(topo["ingress"], egress)[0]


def test_agent_registers_and_selection_follows(net):
    ingress, e1 = net["ingress"], net["egress1"]
    wait_until(lambda: egress_ids(ingress) == {E1, E2}, timeout=30,
               what="both egresses at the ingress")
    local = e1.vtysh_json("show bgp cfn instances json")
    (inst,) = local["instances"][0]["localInstances"]
    assert inst["origin"] == "api" and inst["holdTime"] == HOLD
    assert inst["client"].startswith("pid ")
    # idle agent instance (queue 0) beats egress2 (queue 20)
    wait_until(lambda: fib_gateway(net) == {gateway(net, "egress1")},
               timeout=30, what="FIB via egress1")
    net.load.write_text("200\n")  # the service behind egress1 is swamped
    wait_until(lambda: fib_gateway(net) == {gateway(net, "egress2")},
               timeout=30, what="FIB moved to egress2")
    view = cfnnet.egresses(ingress, SID)[E1]
    assert view["instances"][0]["metrics"][0]["value"] == 200
    net.load.write_text("0\n")
    wait_until(lambda: fib_gateway(net) == {gateway(net, "egress1")},
               timeout=30, what="FIB back to egress1")
    stats = e1.vtysh_json("show bgp cfn statistics json")
    assert stats["api"]["serviceChanges"] >= 3
    assert stats["api"]["requests"] >= stats["api"]["serviceChanges"]


def test_killed_agent_instance_expires(net):
    ingress, e1 = net["ingress"], net["egress1"]
    net.agent.send_signal(signal.SIGKILL)
    net.agent.wait()
    wait_until(lambda: egress_ids(ingress) == {E2}, timeout=HOLD + 10,
               what="egress1 gone after the hold time")
    stats = e1.vtysh_json("show bgp cfn statistics json")["instances"][0]
    assert stats["instancesExpired"] >= 1
    assert fib_gateway(net) == {gateway(net, "egress2")}
    net.agent = start_agent(net)
    wait_until(lambda: egress_ids(ingress) == {E1, E2}, timeout=30,
               what="egress1 back with the agent")


def test_bgpd_restart_reregisters_without_operator(net):
    ingress, e1 = net["ingress"], net["egress1"]
    e1.vtysh("write memory")
    e1.stop_daemons()
    wait_until(lambda: egress_ids(ingress) == {E2}, timeout=30,
               what="egress1 gone with its bgpd")
    e1.start_daemons()
    wait_until(lambda: egress_ids(ingress) == {E1, E2}, timeout=60,
               what="egress1 back: the agent registered again")


def as_user(uid):
    """For preexec_fn: run as uid, in the group that may use the socket."""
    def drop():
        os.setgroups([grp.getgrnam("frrvty").gr_gid])
        os.setgid(uid)
        os.setuid(uid)
    return drop


class UserClients:
    """count connections to a router's API in a burst by user uid, held
    open until close(); result: what cfnapi.open_many saw."""

    def __init__(self, router, uid, count):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", open(cfnapi.__file__).read(), "flood",
             socket_path(router), str(count)],
            preexec_fn=as_user(uid), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, cwd="/")
        self.result = json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def raw_request(payload):
    return struct.pack("!I", len(payload)) + payload


def connect(router):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(socket_path(router))
    return s


def read_reply(sock):
    header = sock.recv(4, socket.MSG_WAITALL)
    if len(header) < 4:
        return None
    (length,) = struct.unpack("!I", header)
    return sock.recv(length, socket.MSG_WAITALL)


def test_bad_input(net):
    e2 = net["egress2"]
    def reports():
        listed = json.loads(cfnctl(e2, "-j", "list").stdout)
        for inst in listed:
            del inst["ageMs"]
        return listed
    assert cfnctl(e2, "register", "video", "10.2.0.9", "capacity", "4",
                  "hold", "3600", "queue-depth=3").returncode == 0
    before = reports()
    cases = [
        (["register", "radio", "10.2.0.9"], "NOT_FOUND: no service 'radio'"),
        (["register", "203.0.113.1/32", "10.2.0.9"], "no service"),
        (["update", "video", "10.2.0.9", "cpu-utilization=1e9"],
         "cpu-utilization must be a number from 0 to 100"),
        (["update", "video", "10.2.0.9", "active-sessions=-4"],
         "active-sessions must be a number"),
        (["update", "video", "10.2.0.9", "cpu-utilization=101"],
         "from 0 to 100 percent"),
        (["update", "video", "10.2.0.9", "temperature=3"],
         "unknown metric 'temperature'"),
        (["register", "video", "10.2.0.0/24"], "not a host address"),
        (["update", "video", "10.2.0.1", "queue-depth=1"],
         "CONFLICT: instance 10.2.0.1 of video is configured statically"),
        (["deregister", "video", "10.2.0.77"], "NOT_FOUND"),
    ]
    for args, reason in cases:
        out = cfnctl(e2, *args)
        assert out.returncode == 1, args
        assert reason in out.stdout, (args, out.stdout)
    # not a decimal number: cfnctl refuses it before sending (usage, 2)
    for value in ("nan", "inf", "0x10"):
        out = cfnctl(e2, "update", "video", "10.2.0.9",
                     f"cpu-utilization={value}")
        assert out.returncode == 2, value
        assert "is not a number" in out.stdout, value
    assert reports() == before  # nothing already accepted changed

    e2.configure("cfn api max-instances 2", context="router bgp 65002")
    out = cfnctl(e2, "register", "video", "10.2.0.10")
    assert out.returncode == 1 and "LIMIT" in out.stdout

    # undecodable protobuf: an error reply, the connection stays
    s = connect(e2)
    s.sendall(raw_request(b"\xff\xff\xff\x01"))
    assert read_reply(s) is not None
    # oversized frame: the connection is closed
    s.sendall(struct.pack("!I", 10 * 1024 * 1024))
    assert read_reply(s) is None
    s.close()

    e2.configure("cfn api max-clients 2", context="router bgp 65002")
    first = UserClients(e2, 4101, 1)
    second = UserClients(e2, 4102, 2)
    try:
        assert first.result["served"] == 1
        assert second.result["served"] == 1
        # refused with a reason, then closed
        assert "max-clients" in second.result["refused"][0]
        assert cfnctl(e2, "list").returncode == 0  # root still gets in
    finally:
        first.close()
        second.close()
    api = e2.vtysh_json("show bgp cfn statistics json")["api"]
    assert api["framingErrors"] >= 1
    assert api["refusedClients"] >= 1
    assert api["errorReplies"] >= len(cases) + 2
    assert reports() == before
    assert cfnctl(e2, "-s", "/nonexistent", "list").returncode == 3


def test_optional_tcp_listener(net):
    e2 = net["egress2"]
    ctl = ["ip", "netns", "exec", e2.ns, "cfnctl", "-s", "tcp:127.0.0.1:7979"]
    assert subprocess.run(ctl + ["list"]).returncode == 3  # off by default
    e2.configure("cfn api tcp 127.0.0.1 port 7979", "cfn api max-instances 64",
                 context="router bgp 65002")
    assert "cfn api tcp 127.0.0.1 port 7979" in e2.vtysh("show running-config")
    out = subprocess.run(ctl + ["register", "video", "10.2.0.30", "hold",
                                "3600"], text=True, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    assert out.returncode == 0, out.stdout
    listed = subprocess.run(ctl + ["list", "video"], text=True,
                            stdout=subprocess.PIPE).stdout
    assert "10.2.0.30" in listed and "client 127.0.0.1" in listed
    e2.configure("no cfn api tcp 127.0.0.1 port 7979",
                 context="router bgp 65002")
    assert subprocess.run(ctl + ["list"]).returncode == 3


def test_stale_metrics_marked_for_selection(net):
    ingress, e2 = net["ingress"], net["egress2"]
    e2.configure("cfn api stale-after 2", "cfn api max-instances 64",
                 context="router bgp 65002")
    assert cfnctl(e2, "register", "video", "10.2.0.40", "capacity", "4",
                  "hold", "3600", "queue-depth=1").returncode == 0

    def stale_at_ingress():
        egress = cfnnet.egresses(ingress, SID).get(E2, {})
        return {i["bid"]: i["stale"] for i in egress.get("instances", [])}
    wait_until(lambda: stale_at_ingress().get("10.2.0.40") is False,
               timeout=30, what="the new instance at the ingress")
    # heartbeats keep it alive, but its metrics grow old
    for _ in range(4):
        assert cfnctl(e2, "heartbeat", "video", "10.2.0.40").returncode == 0
        time.sleep(1)
    wait_until(lambda: stale_at_ingress().get("10.2.0.40") is True,
               timeout=10, what="the instance flagged stale at the ingress")
    local = e2.vtysh_json("show bgp cfn instances json")
    mine = [i for i in local["instances"][0]["localInstances"]
            if i["bid"] == "10.2.0.40"]
    assert mine[0]["stale"] is True
    assert stale_at_ingress()["10.2.0.1"] is False  # static: never stale
    assert cfnctl(e2, "update", "video", "10.2.0.40",
                  "queue-depth=2").returncode == 0
    wait_until(lambda: stale_at_ingress().get("10.2.0.40") is False,
               timeout=10, what="fresh again after a metric report")
    e2.configure("no cfn api stale-after 2", context="router bgp 65002")


def api_stats(router):
    return router.vtysh_json("show bgp cfn statistics json")["api"]


def agent_reporting(router):
    local = router.vtysh_json("show bgp cfn instances json")
    return [i for i in local["instances"][0]["localInstances"]
            if i["origin"] == "api" and i["secondsSinceReport"] < 3]


def test_burst_and_per_user_flood_lock_nobody_out(net):
    """Issue 12 item 11: 200 connects in a burst by one user are all
    accepted or refused with a reason; that user's connections do not keep
    out another user, root (cfnctl) or cfn-agent."""
    e1 = net["egress1"]
    wait_until(lambda: agent_reporting(e1), timeout=30, what="the agent")
    before = api_stats(e1)
    flood = UserClients(e1, 4001, 200)
    other = None
    try:
        res = flood.result
        assert res["errors"] == [] and res["lost"] == [], res
        assert res["served"] == 8  # cfn api max-clients-per-user default
        assert len(res["refused"]) == 192
        assert "connections of uid 4001 already" in res["refused"][0]
        other = UserClients(e1, 4002, 3)
        assert other.result["served"] == 3, other.result
        assert cfnctl(e1, "list").returncode == 0
        # other users fill max-clients: root, and so the agent, still in
        e1.configure("cfn api max-clients 10", context="router bgp 65001")
        third = UserClients(e1, 4003, 2)
        third.close()
        assert third.result["served"] == 0, third.result
        assert "cfn api max-clients" in third.result["refused"][0]
        assert cfnctl(e1, "list").returncode == 0
        net.agent.send_signal(signal.SIGKILL)  # a new agent connects too
        net.agent.wait()
        net.agent = start_agent(net)
        client = f"pid {net.agent.pid} uid 0"
        wait_until(lambda: [i for i in agent_reporting(e1)
                            if i["client"] == client], timeout=10,
                   what="the restarted agent reporting")
    finally:
        flood.close()
        if other:
            other.close()
        e1.configure("no cfn api max-clients", context="router bgp 65001")
    after = api_stats(e1)
    assert after["refusedPerUser"] - before["refusedPerUser"] == 192
    assert after["refusedClients"] - before["refusedClients"] == 2


def test_idle_clients_closed(net):
    """Issue 12 item 11: a connection without a request for idle-timeout
    is closed; one that keeps sending, and cfn-agent, stay."""
    e1, e2 = net["egress1"], net["egress2"]
    e1.configure("cfn api idle-timeout 2", context="router bgp 65001")
    e2.configure("cfn api idle-timeout 2", context="router bgp 65002")
    try:
        assert "cfn api idle-timeout 2" in e2.vtysh("show running-config")
        agent_before = api_stats(e1)["idleClients"]
        idle, busy = connect(e2), cfnapi.Client(socket_path(e2))
        start, closed_after = time.monotonic(), None
        for i in range(5):
            assert busy.call(cfnapi.list_request(i + 1)) == 0
            time.sleep(1)
            if closed_after is None and select.select([idle], [], [], 0)[0]:
                assert idle.recv(1) == b""  # closed by the node
                closed_after = time.monotonic() - start
        assert closed_after and 1.5 < closed_after < 4.5, closed_after
        assert busy.call(cfnapi.list_request(9)) == 0  # still open
        busy.close()
        idle.close()
        assert api_stats(e2)["idleClients"] >= 1
        # the agent reports every second: never idle
        assert api_stats(e1)["idleClients"] == agent_before
        assert agent_reporting(e1)
    finally:
        e1.configure("no cfn api idle-timeout", context="router bgp 65001")
        e2.configure("no cfn api idle-timeout", context="router bgp 65002")


def listed_bids(router):
    return {i["bid"] for i in json.loads(cfnctl(router, "-j", "list").stdout)}


def test_bid_must_be_a_unicast_host(net):
    """Issue 12 item 9, over the API and in the configuration."""
    e2 = net["egress2"]
    e2.configure("cfn api max-instances 64", context="router bgp 65002")
    before = listed_bids(e2)
    for bid, why in (("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
                     ("239.255.1.1", "multicast"),
                     ("255.255.255.255", "limited broadcast"),
                     ("127.0.0.1", "loopback"), ("::", "unspecified"),
                     ("ff02::1", "multicast"), ("fe80::1", "link-local"),
                     ("10.2.0.0/24", "not a host address")):
        out = cfnctl(e2, "register", "video", bid)
        assert out.returncode == 1 and "INVALID" in out.stdout, bid
        assert why in out.stdout, (bid, out.stdout)
        if "/" in bid:
            continue  # the command takes an address only
        out = e2.vtysh("configure terminal", "router bgp 65002",
                       f"cfn service video instance {bid}", check=False)
        assert f"Invalid binding ID: '{bid}' is not a host address: {why}" \
            in out, (bid, out)
    assert listed_bids(e2) == before
    assert "instance 224.0.0.1" not in e2.vtysh("show running-config")
    assert cfnctl(e2, "register", "video", "10.2.0.50/32", "hold",
                  "3600").returncode == 0
    assert listed_bids(e2) == before | {"10.2.0.50"}


def test_nul_and_invalid_utf8_refused(net):
    """Issue 12 item 10: raw protobuf strings with a NUL are refused, not
    cut short; the error never echoes invalid UTF-8 or controls."""
    e2 = net["egress2"]
    before = listed_bids(e2)
    client = cfnapi.Client(socket_path(e2))
    try:
        for req in (cfnapi.register(1, b"video\0junk", "10.2.0.51"),
                    cfnapi.register(2, "video", b"10.2.0.52\0junk")):
            client.send(req)
            reply = client.reply()
            assert cfnapi.reply_status(reply) == 1  # INVALID
            assert b"must not contain NUL" in cfnapi.reply_error(reply)
        client.send(cfnapi.register(3, b"\xff\x1b[2Jvid\xc3eo", "10.2.0.53"))
        reply = client.reply()
        assert cfnapi.reply_status(reply) == 2  # NOT_FOUND
        error = cfnapi.reply_error(reply).decode("utf-8")  # strict
        assert "no service '??[2Jvid?eo'" in error, error
    finally:
        client.close()
    assert listed_bids(e2) == before


# Issue 13 item 2: every instance of a service in one request.
BATCH = [f"10.2.1.{i}" for i in range(1, 11)]


def announcements(router):
    stats = router.vtysh_json("show bgp cfn statistics json")
    return stats["instances"][0]["announcements"]


def queue_depths_at_ingress(ingress):
    """{bid: queue-depth} of egress2's instances in the ingress's view."""
    view = cfnnet.egresses(ingress, SID).get(E2, {})
    return {i["bid"]: m["value"] for i in view.get("instances", [])
            for m in i["metrics"] if m["name"] == "queue-depth"}


def batch_words(kind, depth, bids=BATCH):
    words = []
    for bid in bids:
        words += [kind, bid, f"queue-depth={depth}"]
        if kind == "register":
            words += ["capacity", "4", "hold", "3600"]
    return words


def counters(router):
    api = api_stats(router)
    return {"announcements": announcements(router),
            "requests": api["requests"],
            "serviceChanges": api["serviceChanges"],
            "instanceReports": api["instanceReports"]}


def delta(router, before):
    return {k: v - before[k] for k, v in counters(router).items()}


def ingress_has(ingress, depth):
    seen = queue_depths_at_ingress(ingress)
    return all(seen.get(bid) == depth for bid in BATCH)


def test_batch_is_one_advertisement(net):
    """A batch of 10 instances is one request, one advertisement, and the
    ingress sees all 10; ten single updates are ten advertisements."""
    ingress, e2 = net["ingress"], net["egress2"]
    # no other announcement in the way: earlier tests' instances going
    # stale would be one (the sweep runs every second)
    e2.configure("cfn api max-instances 64", "cfn damping min-interval 0",
                 "cfn api stale-after 0", context="router bgp 65002")
    time.sleep(2)
    try:
        before = counters(e2)
        out = cfnctl(e2, "batch", "video", *batch_words("register", 5))
        assert out.returncode == 0, out.stdout
        wait_until(lambda: ingress_has(ingress, 5), timeout=30,
                   what="the 10 registered instances at the ingress")
        assert delta(e2, before) == {"announcements": 1, "requests": 1,
                                     "serviceChanges": 1,
                                     "instanceReports": 10}

        # a load edge on every instance: one update, one advertisement
        before = counters(e2)
        assert cfnctl(e2, "batch", "video",
                      *batch_words("update", 60)).returncode == 0
        wait_until(lambda: ingress_has(ingress, 60), timeout=30,
                   what="the load edge at the ingress")
        assert delta(e2, before)["announcements"] == 1

        # the same edge instance by instance: one advertisement each
        before = counters(e2)
        for bid in BATCH:
            assert cfnctl(e2, "update", "video", bid,
                          "queue-depth=5").returncode == 0
        wait_until(lambda: ingress_has(ingress, 5), timeout=30,
                   what="single updates at the ingress")
        assert delta(e2, before)["announcements"] == 10

        # one bad instance refuses the batch whole: nothing changes
        before = counters(e2)
        words = batch_words("update", 60)
        words[3 * 6 + 2] = "queue-depth=-1"
        out = cfnctl(e2, "batch", "video", *words)
        assert out.returncode == 1
        assert "INVALID: update #7 (10.2.1.7): queue-depth" in out.stdout, \
            out.stdout
        time.sleep(1)
        assert ingress_has(ingress, 5)
        assert delta(e2, before) == {"announcements": 0, "requests": 1,
                                     "serviceChanges": 0,
                                     "instanceReports": 0}
    finally:
        for bid in BATCH:
            cfnctl(e2, "deregister", "video", bid)
        e2.configure("no cfn damping min-interval", "no cfn api stale-after",
                     context="router bgp 65002")


def test_agent_reports_a_service_in_one_request(net, tmp_path):
    """cfn-agent sends its three instances of video as one batch per
    interval; the ingress sees them all."""
    ingress, e2 = net["ingress"], net["egress2"]
    bids = BATCH[:3]
    conf = tmp_path / "agent.conf"
    conf.write_text(
        f"socket {socket_path(e2)}\ninterval 1\nhold-time {HOLD}\n" +
        "".join(f"instance video {bid} capacity 2 sample commands\n"
                f"command {bid} queue-depth echo 7\n" for bid in bids))
    log = tmp_path / "agent.log"
    with open(log, "w") as out:
        agent = subprocess.Popen(["cfn-agent", "-c", str(conf), "-v"],
                                 stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: all(queue_depths_at_ingress(ingress).get(b) == 7
                               for b in bids), timeout=30,
                   what="the agent's three instances at the ingress")
        before = counters(e2)
        time.sleep(3)
        moved = delta(e2, before)
        assert moved["requests"] >= 2, moved
        assert moved["instanceReports"] == 3 * moved["requests"], moved
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=10)
    assert "video: 3 instances reported in one request" in log.read_text()
    assert not listed_bids(e2) & set(bids)  # deregistered on SIGTERM


def test_agent_leaves_out_a_command_without_a_decimal_number(net, tmp_path):
    """A command printing NaN, hexadecimal or a value beyond the metric's
    range would have the node refuse the whole report: the agent leaves
    that metric out, says so once, and the instance's other metrics
    still go."""
    ingress, e2 = net["ingress"], net["egress2"]
    bid = BATCH[5]
    printed = tmp_path / "sessions"
    conf = tmp_path / "agent.conf"
    conf.write_text(
        f"socket {socket_path(e2)}\ninterval 1\nhold-time {HOLD}\n"
        f"instance video {bid} capacity 2 sample commands\n"
        f"command {bid} queue-depth echo 7\n"
        f"command {bid} active-sessions cat {printed}\n")
    log = tmp_path / "agent.log"

    def metrics():
        view = cfnnet.egresses(ingress, SID).get(E2, {})
        return {m["name"]: m["value"] for i in view.get("instances", [])
                if i["bid"] == bid for m in i["metrics"]}
    printed.write_text("nan\n")
    with open(log, "w") as out:
        agent = subprocess.Popen(["cfn-agent", "-c", str(conf)],
                                 stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: metrics().get("queue-depth") == 7, timeout=30,
                   what="the instance's good metric at the ingress")
        printed.write_text("0x10\n")
        time.sleep(2 * HOLD)  # the instance outlives its hold time
        assert metrics().get("queue-depth") == 7
        assert "active-sessions" not in metrics()
        printed.write_text("12 sessions\n")
        wait_until(lambda: metrics().get("active-sessions") == 12,
                   timeout=30, what="the fixed command's metric")
        printed.write_text("1e12\n")  # beyond the metric's range
        wait_until(lambda: "must be a number from 0 to" in log.read_text(),
                   timeout=10, what="the agent to refuse 1e12")
        time.sleep(2 * HOLD)
        assert metrics().get("queue-depth") == 7
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=10)
    text = log.read_text()
    assert text.count("active-sessions left out of the reports: its "
                      "command printed no decimal number") == 1, text
    assert "active-sessions reported again" in text
    assert "INVALID" not in text


def selection_verdicts(router):
    sel = router.vtysh_json(f"show bgp cfn selection {SID} json")
    return {c["nodeId"]: c["verdict"]
            for c in sel["instances"][0]["sids"][0]["candidates"]}


def local_instance(router, bid):
    local = router.vtysh_json("show bgp cfn instances json")
    return {i["bid"]: i for i in
            local["instances"][0]["localInstances"]}.get(bid)


def test_drain_over_the_api(net):
    ingress, e1, e2 = net["ingress"], net["egress1"], net["egress2"]
    wait_until(lambda: local_instance(e1, "10.1.0.1"), timeout=30,
               what="the agent's instance")
    # the agent's (only) instance drains: egress1 gets no new flows
    assert cfnctl(e1, "drain", "video", "10.1.0.1").returncode == 0
    assert local_instance(e1, "10.1.0.1")["draining"]
    assert json.loads(cfnctl(e1, "-j", "list").stdout)[0]["draining"]
    wait_until(lambda: selection_verdicts(ingress).get(E1) == "draining",
               timeout=10, what="egress1 draining at the ingress")
    assert cfnctl(e1, "undrain", "video", "10.1.0.1").returncode == 0
    wait_until(lambda: selection_verdicts(ingress).get(E1) != "draining",
               timeout=10, what="egress1 back")
    # the whole egress, by SID
    assert cfnctl(e2, "drain", SID).returncode == 0
    wait_until(lambda: selection_verdicts(ingress).get(E2) == "draining",
               timeout=10, what="egress2 draining at the ingress")
    assert "cfn service video drain" in e2.vtysh("show running-config")
    assert cfnctl(e2, "undrain", "video").returncode == 0
    wait_until(lambda: selection_verdicts(ingress).get(E2) != "draining",
               timeout=10, what="egress2 back")
    # refused with a reason, nothing changed
    out = cfnctl(e2, "drain", "video", "10.2.0.1")
    assert out.returncode == 1 and "configured statically" in out.stdout
    assert not local_instance(e2, "10.2.0.1")["draining"]
    out = cfnctl(e2, "drain", "nothing")
    assert out.returncode == 1 and "no service" in out.stdout
    assert cfnctl(e2, "drain").returncode == 2  # usage


def test_agent_drains_on_sigterm(net, tmp_path):
    """SIGTERM with a drain time: the instance drains, still reported,
    for that long, then deregisters and the agent exits."""
    e2 = net["egress2"]
    conf = tmp_path / "drain.conf"
    conf.write_text(f"socket {socket_path(e2)}\ninterval 1\n"
                    f"hold-time {HOLD}\ndrain-time 4\n"
                    "instance video 10.2.0.50 capacity 4 sample commands\n")
    log = open(tmp_path / "drain.log", "w")
    agent = subprocess.Popen(["cfn-agent", "-c", str(conf), "-v"],
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: local_instance(e2, "10.2.0.50"), timeout=20,
                   what="the agent's instance registered")
        assert not local_instance(e2, "10.2.0.50")["draining"]
        agent.send_signal(signal.SIGTERM)
        wait_until(lambda: local_instance(e2, "10.2.0.50")["draining"],
                   timeout=5, what="draining after SIGTERM")
        time.sleep(2)  # still reported while the drain time runs
        assert local_instance(e2, "10.2.0.50")["draining"]
        assert agent.wait(timeout=10) == 0
        assert local_instance(e2, "10.2.0.50") is None  # deregistered
    finally:
        agent.kill()
        agent.wait()
