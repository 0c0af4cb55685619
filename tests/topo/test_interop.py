# SPDX-License-Identifier: GPL-2.0-or-later
"""Third-party BGP speakers: exabgp originates SID routes whose CFN
attributes are built from raw bytes, valid and malformed; bird2 in the
middle passes the attribute through unchanged."""

import os
import textwrap

import pytest

import cfnwire as w
from topolib import Topology, wait_until

VALID = w.attribute(
    w.egress("10.0.0.9", 3, 7, (6, NONE := w.NONE, 8), 300),
    w.instance("10.9.0.11", 6, (6, NONE, NONE), 100,
               w.metric("cpu-utilization", 42.5, "mean")),
    w.instance("10.9.0.12", 8, (NONE, NONE, 8), 200,
               w.metric("queue-depth", 3)))
GOOD_EGRESS = w.egress("10.0.0.9", 1, 5)
GOOD_INSTANCE = w.instance("10.9.0.21", 5, capacity=10)

# prefix -> (attribute value, decode error the ingress must count)
MALFORMED = {
    "203.0.113.2/32": (VALID[:20], "truncated"),
    "203.0.113.3/32": (w.attribute(GOOD_EGRESS, version=9),
                       "unknown-version"),
    "203.0.113.4/32": (w.attribute(w.egress("10.0.0.9", 1, 11)), "bad-score"),
    "203.0.113.5/32": (w.attribute(GOOD_EGRESS, GOOD_INSTANCE, GOOD_INSTANCE),
                       "duplicate-instance"),
    "203.0.113.6/32": (w.attribute(GOOD_EGRESS, w.instance(
        "10.9.0.21", 5, metrics=w.metric("cpu-utilization", 150))),
        "bad-metric-value"),
    "203.0.113.7/32": (w.attribute(w.tlv(w.TLV_EGRESS, b"\x0a\x00\x00\x09")),
                       "bad-length"),
    "203.0.113.8/32": (w.attribute(GOOD_INSTANCE), "missing-egress"),
    "203.0.113.9/32": (w.attribute(GOOD_EGRESS, w.instance(
        "10.9.0.21", 5, metrics=w.metric("queue-depth", 1) +
        w.metric("queue-depth", 2))), "duplicate-metric"),
    "203.0.113.10/32": (w.attribute(GOOD_EGRESS, GOOD_EGRESS),
                        "duplicate-egress"),
    "203.0.113.11/32": (w.attribute(GOOD_EGRESS, w.tlv(w.TLV_INSTANCE,
                        b"\x07\x00\x05\xff\xff\xff\x00\x00\x00\x01\x0a\x09\x00\x01")),
                        "bad-address-family"),
}
# unknown TLVs and sub-TLVs are skipped, not fatal
UNKNOWN_TLVS = w.attribute(w.tlv(99, b"\x01\x02"), GOOD_EGRESS,
                           w.instance("10.9.0.21", 5, capacity=10,
                                      metrics=w.tlv(42, b"\xff")))

FEEDER = """\
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
with os.fdopen(fd) as fifo:
    for line in fifo:
        sys.stdout.write(line)
        sys.stdout.flush()
"""


def exabgp_config(host, local, peer, routes):
    static = ("    static {\n" + "".join(f"        {r}\n" for r in routes)
              + "    }\n") if routes else ""
    return textwrap.dedent(f"""\
        process feed {{
            run /usr/bin/python3 {host.run_dir}/feeder.py {host.run_dir}/feed.fifo;
            encoder text;
        }}
        neighbor {peer} {{
            router-id {host.router_id};
            local-address {local};
            local-as {host.asn};
            peer-as 65001;
            api {{ processes [ feed ]; }}
        """) + static + "}\n"


def start_exabgp(host, local, peer, routes=()):
    """exabgp on a plain host, peering from `local` with FRR at `peer`;
    returns the fifo through which announce() feeds it."""
    os.makedirs(host.run_dir, exist_ok=True)
    with open(os.path.join(host.run_dir, "feeder.py"), "w") as f:
        f.write(FEEDER)
    fifo = os.path.join(host.run_dir, "feed.fifo")
    os.mkfifo(fifo)
    conf = os.path.join(host.run_dir, "exabgp.conf")
    with open(conf, "w") as f:
        f.write(exabgp_config(host, local, peer, routes))
    env = os.path.join(host.run_dir, "exabgp.env")
    with open(env, "w") as f:
        f.write("[exabgp.daemon]\nuser = 'root'\n"
                "[exabgp.log]\ndestination = 'stdout'\n")
    host.popen("exabgp", "--env", env, conf, log="exabgp.log")
    return fifo


@pytest.fixture(scope="module")
def exa():
    topo = Topology("exa")
    frr = topo.add_router("frr", asn=65001)
    host = topo.add_router("exabgp", asn=65009, router_id="10.0.0.9",
                           daemons=())
    frr_addr, exa_addr = topo.add_link(frr, host)
    routes = [f"route 203.0.113.1/32 next-hop self {w.exabgp(VALID)};",
              f"route 203.0.113.12/32 next-hop self {w.exabgp(UNKNOWN_TLVS)};"]
    routes += [f"route {p} next-hop self {w.exabgp(v)};"
               for p, (v, _) in MALFORMED.items()]
    with topo:
        topo.fifo = start_exabgp(host, exa_addr, frr_addr, routes)
        frr.wait_established(timeout=60)
        frr.configure("debug bgp cfn updates")
        topo.peer = exa_addr
        yield topo


def view(router, sid):
    data = router.vtysh_json(f"show bgp cfn service {sid} json")
    return data["instances"][0] if data["instances"] else None


def session(router, peer):
    return router.vtysh_json(f"show bgp neighbors {peer} json")[peer]


def announce(fifo, prefix, value):
    with open(fifo, "w") as feed:
        feed.write(f"announce route {prefix} next-hop self {w.exabgp(value)}\n")


def decode_errors(router, reason):
    return router.vtysh_json("show bgp cfn statistics json")["instances"][
        0]["decodeErrorsByReason"].get(reason, 0)


def assert_session_kept(router, peer):
    state = session(router, peer)
    assert state["bgpState"] == "Established"
    assert state["connectionsEstablished"] == 1
    assert state["connectionsDropped"] == 0


def test_valid_attribute_from_exabgp_decoded(exa):
    frr = exa["frr"]
    sid = wait_until(lambda: view(frr, "203.0.113.1/32"), timeout=30,
                     what="exabgp's SID in the view")
    (egress,) = sid["egresses"]
    assert egress["nodeId"] == "10.0.0.9"
    assert egress["sequence"] == 3
    assert egress["l2"] == 7 and egress["l1"] == {"compute": 6,
                                                  "service": 8}
    assert egress["capacity"] == 300
    assert egress["learnedFrom"] == exa.peer
    first, second = egress["instances"]
    assert first["bid"] == "10.9.0.11" and first["capacity"] == 100
    assert first["metrics"] == [{"name": "cpu-utilization",
                                 "statistic": "mean", "value": 42.5,
                                 "unit": "percent"}]
    assert second["metrics"][0]["name"] == "queue-depth"
    assert second["metrics"][0]["value"] == 3
    unknown = wait_until(lambda: view(frr, "203.0.113.12/32"), timeout=10,
                         what="attribute with unknown TLVs")
    assert unknown["egresses"][0]["instances"][0]["bid"] == "10.9.0.21"


def test_malformed_attributes_discarded_path_kept(exa):
    frr = exa["frr"]
    for prefix in MALFORMED:
        route = wait_until(
            lambda: frr.vtysh_json(f"show bgp ipv4 unicast {prefix} json"),
            timeout=30, what=f"plain BGP route {prefix}")
        assert route["paths"], prefix  # kept as a plain BGP path
        assert view(frr, prefix) is None, prefix
    stats = frr.vtysh_json("show bgp cfn statistics json")["instances"][0]
    for prefix, (_, reason) in MALFORMED.items():
        assert stats["decodeErrorsByReason"][reason] >= 1, reason
    with open(frr.log_file("bgpd")) as log:
        text = log.read()
    assert "malformed CFN attribute (duplicate-instance)" in text
    assert_session_kept(frr, exa.peer)


def test_updates_valid_malformed_valid_keep_session(exa):
    frr = exa["frr"]
    prefix = "203.0.113.50/32"
    good = w.attribute(w.egress("10.0.0.9", 10, 9), GOOD_INSTANCE)
    announce(exa.fifo, prefix, good)
    wait_until(lambda: view(frr, prefix), timeout=30, what="valid update")
    errors = frr.vtysh_json("show bgp cfn statistics json")[
        "instances"][0]["decodeErrorsByReason"]["bad-score"]
    announce(exa.fifo, prefix, w.attribute(w.egress("10.0.0.9", 11, 12)))
    wait_until(lambda: view(frr, prefix) is None, timeout=30,
               what="malformed update to drop the CFN data")
    assert frr.vtysh_json(f"show bgp ipv4 unicast {prefix} json")["paths"]
    stats = frr.vtysh_json("show bgp cfn statistics json")["instances"][0]
    assert stats["decodeErrorsByReason"]["bad-score"] == errors + 1
    announce(exa.fifo, prefix, w.attribute(w.egress("10.0.0.9", 12, 4),
                                      GOOD_INSTANCE))
    back = wait_until(lambda: view(frr, prefix), timeout=30,
                      what="valid update again")
    assert back["egresses"][0]["sequence"] == 12
    assert back["egresses"][0]["l2"] == 4
    with open(frr.log_file("bgpd")) as log:
        text = log.read()
    assert (f"CFN: {prefix} from {exa.peer}: decoded egress 10.0.0.9 seq 12,"
            " 1 instances, L2 4") in text
    assert_session_kept(frr, exa.peer)


def selection(router, sid):
    data = router.vtysh_json(f"show bgp cfn selection {sid} json")
    return data["instances"][0]["sids"][0]


def test_egress_without_instances_never_chosen(exa):
    """The spec allows an attribute without Instance TLVs: nothing serves
    the SID there, so the egress is neither chosen nor the fallback."""
    frr = exa["frr"]
    prefix = "203.0.113.70/32"
    announce(exa.fifo, prefix, w.attribute(w.egress("10.0.0.9", 1, 10)))
    wait_until(lambda: view(frr, prefix), timeout=30,
               what="the egress without instances in the view")
    sid = selection(frr, prefix)
    assert sid["candidates"][0]["verdict"] == "no-instances"
    assert sid["chosen"] == []
    assert "none (no reachable egress with instances)" in frr.vtysh(
        f"show bgp cfn selection {prefix}")


@pytest.mark.parametrize("prefix,attr_flags,inst_flags,drains", [
    ("203.0.113.71/32", w.EGRESS_DRAINING, 0, True),
    ("203.0.113.72/32", 0, w.INSTANCE_DRAINING, True),
    # bits no version defines are ignored, as older nodes ignored these
    ("203.0.113.73/32", 0x7f, 0x3f, False),
])
def test_drain_flags_from_exabgp(exa, prefix, attr_flags, inst_flags,
                                 drains):
    """A draining egress (its flag, or all its instances') is no
    candidate for new flows: being the only one, it is chosen as the
    last resort (the fallback) only."""
    frr = exa["frr"]
    announce(exa.fifo, prefix, w.attribute(
        w.egress("10.0.0.9", 1, 9), w.instance("10.9.0.31", 9, capacity=4,
                                              flags=inst_flags),
        flags=attr_flags))
    egress = wait_until(lambda: view(frr, prefix), timeout=30,
                        what="the egress in the view")["egresses"][0]
    assert egress["draining"] == bool(attr_flags & w.EGRESS_DRAINING)
    assert egress["instances"][0]["draining"] == bool(
        inst_flags & w.INSTANCE_DRAINING)
    sid = selection(frr, prefix)
    assert sid["fallback"] == drains
    assert sid["candidates"][0]["verdict"] == (
        "chosen-fallback" if drains else "chosen")
    assert_session_kept(frr, exa.peer)


@pytest.mark.parametrize("prefix,size", [
    ("203.0.113.80/32", 3073),    # one octet over, within 4096 octets
    ("203.0.113.81/32", 26901)])  # over RFC 8654 extended messages
def test_over_limit_attribute_malformed_session_kept(exa, prefix, size):
    """A value above CFN_ATTR_MAX_LEN (3072 octets), well-formed
    otherwise, is malformed (too-long); the session stays up."""
    frr = exa["frr"]
    valid = w.attribute(w.egress("10.0.0.9", 1, 8), GOOD_INSTANCE)
    big = valid + w.tlv(99, bytes(size - len(valid) - 3))
    assert len(big) == size
    before = decode_errors(frr, "too-long")
    announce(exa.fifo, prefix, big)
    wait_until(lambda: decode_errors(frr, "too-long") > before, timeout=30,
               what="the over-limit attribute counted as too-long")
    assert frr.vtysh_json(f"show bgp ipv4 unicast {prefix} json")["paths"]
    assert view(frr, prefix) is None
    assert_session_kept(frr, exa.peer)


@pytest.fixture(scope="module")
def two_sessions():
    """FRR with exabgp peers A and C, as two route reflectors would
    bring it one egress's reports over two sessions."""
    topo = Topology("exa2")
    frr = topo.add_router("frr", asn=65001)
    topo.fifos, topo.peers = {}, {}
    hosts = {name: topo.add_router(name, asn=asn, daemons=())
             for name, asn in (("a", 65011), ("c", 65013))}
    links = {name: topo.add_link(frr, host) for name, host in hosts.items()}
    with topo:
        for name, (frr_addr, exa_addr) in links.items():
            topo.fifos[name] = start_exabgp(hosts[name], exa_addr, frr_addr)
            topo.peers[name] = exa_addr
        frr.wait_established(timeout=60)
        yield topo


def test_newest_report_wins_across_two_sessions(two_sessions):
    """Issue 12: A seq 100, C seq 101 (L2 6), A seq 150 (L2 7); the
    ingress must end on seq 150 whichever path bgpd lists first."""
    topo = two_sessions
    frr = topo["frr"]
    prefix = "203.0.113.60/32"

    def report(peer, sequence, l2):
        announce(topo.fifos[peer], prefix, w.attribute(
            w.egress("10.0.0.11", sequence, l2),
            w.instance("10.9.0.61", l2, capacity=10)))

    def egress_at(sequence):
        sid = view(frr, prefix)
        return sid and len(sid["egresses"]) == 1 and \
            sid["egresses"][0]["sequence"] == sequence and sid["egresses"][0]

    report("a", 100, 5)
    wait_until(lambda: egress_at(100), timeout=30, what="A's seq 100")
    report("c", 101, 6)
    wait_until(lambda: egress_at(101), timeout=30, what="C's seq 101")
    report("a", 150, 7)
    egress = wait_until(lambda: egress_at(150), timeout=30,
                        what="A's seq 150 to replace C's 101")
    assert egress["l2"] == 7
    assert egress["learnedFrom"] == topo.peers["a"]
    route = frr.vtysh_json(f"show bgp ipv4 unicast {prefix} json")
    assert len(route["paths"]) == 2
    for peer in topo.peers.values():
        assert_session_kept(frr, peer)


BIRD_CONF = """\
router id 10.0.0.10;
protocol device {{ }}
protocol bgp left {{
    local {left_local} as 65010;
    neighbor {left_peer} as 65001;
    ipv4 {{ import all; export all; }};
}}
protocol bgp right {{
    local {right_local} as 65010;
    neighbor {right_peer} as 65002;
    ipv4 {{ import all; export all; }};
}}
"""


def test_bird_in_the_middle_passes_attribute_unchanged():
    topo = Topology("bird")
    egress = topo.add_router("egress", asn=65001)
    bird = topo.add_router("bird", asn=65010, daemons=())
    ingress = topo.add_router("ingress", asn=65002)
    e_addr, b_left = topo.add_link(egress, bird)
    b_right, i_addr = topo.add_link(bird, ingress)
    with topo:
        conf = os.path.join(bird.run_dir, "bird.conf")
        os.makedirs(bird.run_dir, exist_ok=True)
        with open(conf, "w") as f:
            f.write(BIRD_CONF.format(left_local=b_left, left_peer=e_addr,
                                     right_local=b_right, right_peer=i_addr))
        bird.popen("bird", "-f", "-c", conf, "-s",
                   os.path.join(bird.run_dir, "bird.ctl"), log="bird.log")
        topo.wait_established()
        egress.configure(
            "cfn service video sid 198.51.100.10/32",
            "cfn service video instance 10.1.0.11 capacity 100",
            "cfn service video instance 10.1.0.11 metric cpu-utilization 35",
            context="router bgp 65001")
        remote = wait_until(lambda: view(ingress, "198.51.100.10/32"),
                            timeout=30, what="the SID across bird")
        local = view(egress, "198.51.100.10/32")
        route = ingress.vtysh_json("show bgp ipv4 unicast 198.51.100.10/32 json")
        assert route["paths"][0]["aspath"]["string"] == "65010 65001"
        (theirs,), (ours,) = remote["egresses"], local["egresses"]
        for key in ("nodeId", "sequence", "l2", "l1", "capacity",
                    "instances"):
            assert theirs[key] == ours[key], key
        assert theirs["instances"][0]["metrics"][0]["value"] == 35
