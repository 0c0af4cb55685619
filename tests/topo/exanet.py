# SPDX-License-Identifier: GPL-2.0-or-later
"""exabgp as a third-party BGP speaker in topology tests: started on a
plain host of a Topology, fed routes through a fifo (announce), and
optionally recording every UPDATE it receives, raw (received)."""

import ipaddress
import json
import os
import struct
import textwrap

import cfnwire as w
from cfnnet import egresses
from topolib import Topology, wait_until

FEEDER = """\
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
with os.fdopen(fd) as fifo:
    for line in fifo:
        sys.stdout.write(line)
        sys.stdout.flush()
"""

RECORDER = """\
import sys
with open(sys.argv[1], "a") as out:
    for line in sys.stdin:
        out.write(line)
        out.flush()
"""


def exabgp_config(host, local, peer, routes, record):
    static = ("    static {\n" + "".join(f"        {r}\n" for r in routes)
              + "    }\n") if routes else ""
    recorder = textwrap.dedent(f"""\
        process recorder {{
            run /usr/bin/python3 {host.run_dir}/recorder.py {host.run_dir}/received.json;
            encoder json;
        }}
        """) if record else ""
    receive = ("    api { processes [ recorder ]; "
               "receive { packets; update; } }\n") if record else ""
    return recorder + textwrap.dedent(f"""\
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
        """) + receive + static + "}\n"


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def start_exabgp(host, local, peer, routes=(), record=False):
    """exabgp on a plain host, peering from `local` with FRR (AS 65001)
    at `peer`; returns the fifo through which announce() feeds it. With
    record, every UPDATE it receives goes to received(host)."""
    os.makedirs(host.run_dir, exist_ok=True)
    write(os.path.join(host.run_dir, "feeder.py"), FEEDER)
    write(os.path.join(host.run_dir, "recorder.py"), RECORDER)
    fifo = os.path.join(host.run_dir, "feed.fifo")
    os.mkfifo(fifo)
    conf = os.path.join(host.run_dir, "exabgp.conf")
    write(conf, exabgp_config(host, local, peer, routes, record))
    env = os.path.join(host.run_dir, "exabgp.env")
    write(env, "[exabgp.daemon]\nuser = 'root'\n"
               "[exabgp.log]\ndestination = 'stdout'\n")
    host.popen("exabgp", "--env", env, conf, log="exabgp.log")
    return fifo


def announce(fifo, prefix, value=None, code=w.ATTR_TYPE, flags=w.FLAGS):
    """Announce prefix from exabgp, with attribute code holding value."""
    attribute = f" {w.exabgp(value, code, flags)}" if value is not None \
        else ""
    with open(fifo, "w") as feed:
        feed.write(f"announce route {prefix} next-hop self{attribute}\n")


def attributes(body):
    """{code: (flags, value)} of a raw UPDATE body (RFC 4271 4.3)."""
    withdrawn = struct.unpack("!H", body[:2])[0]
    pos = 2 + withdrawn
    end = pos + 2 + struct.unpack("!H", body[pos:pos + 2])[0]
    pos += 2
    found = {}
    while pos < end:
        flags, code = body[pos], body[pos + 1]
        if flags & 0x10:
            length, hdr = struct.unpack("!H", body[pos + 2:pos + 4])[0], 4
        else:
            length, hdr = body[pos + 2], 3
        found[code] = (flags, body[pos + hdr:pos + hdr + length])
        pos += hdr + length
    return found


def received(host):
    """The raw bodies of the UPDATEs a recording exabgp received."""
    path = os.path.join(host.run_dir, "received.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [bytes.fromhex(json.loads(line)["neighbor"]["message"][
            "body"].removeprefix("0x")) for line in f]


def last_attributes(host, prefix):
    """{code: (flags, value)} of the last UPDATE announcing the IPv4
    prefix that a recording exabgp received; None if none did."""
    net = ipaddress.ip_network(prefix)
    nlri = (bytes([net.prefixlen])
            + net.network_address.packed[:(net.prefixlen + 7) // 8])
    bodies = [b for b in received(host) if b.endswith(nlri)]
    return attributes(bodies[-1]) if bodies else None


def session(router, peer):
    return router.vtysh_json(f"show bgp neighbors {peer} json")[peer]


def assert_session_kept(router, peer):
    state = session(router, peer)
    assert state["bgpState"] == "Established"
    assert state["connectionsEstablished"] == 1
    assert state["connectionsDropped"] == 0


EGRESS_ID = "10.0.0.2"
EXABGP_ID = "10.0.0.9"


def ingress_egress_exabgp(name, sid, routes=()):
    """An ingress (AS 65001) with two eBGP neighbours: a real CFN egress
    (AS 65002, EGRESS_ID) serving sid at 50 % CPU, and exabgp (AS 65009,
    EXABGP_ID) with routes. Yields the topology, with gateway and exa
    (the ingress's next hops to each) and fifo (exabgp's feed)."""
    topo = Topology(name)
    ingress = topo.add_router("ingress", asn=65001)
    egress = topo.add_router("egress", asn=65002, router_id=EGRESS_ID)
    host = topo.add_router("exabgp", asn=65009, router_id=EXABGP_ID,
                           daemons=())
    _, topo.gateway = topo.add_link(ingress, egress)
    ingress_addr, topo.exa = topo.add_link(ingress, host)
    with topo:
        topo.fifo = start_exabgp(host, topo.exa, ingress_addr, routes)
        ingress.wait_established(timeout=60)
        egress.configure(
            f"cfn service video sid {sid}",
            "cfn service video instance 10.1.0.11 capacity 100",
            "cfn service video instance 10.1.0.11 metric cpu-utilization 50",
            context="router bgp 65002")
        ingress.configure("debug bgp cfn updates")
        wait_until(lambda: EGRESS_ID in egresses(ingress, sid), timeout=30,
                   what="the real egress at the ingress")
        yield topo
