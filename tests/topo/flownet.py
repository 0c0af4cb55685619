# SPDX-License-Identifier: GPL-2.0-or-later
"""The network of the flow tests: an ingress (AS 65000) with two directly
connected eBGP egresses, egress1 (AS 65001) and egress2 (AS 65002), and a
client host behind it whose flows the ingress hashes per connection;
IPv4 or IPv6 on every link, sessions and flows.

    egress1 --\\
               ingress --- client
    egress2 --/
"""

import itertools
import json
import sys

from topolib import Topology, wait_until

EGRESS_ASN = {"egress1": 65001, "egress2": 65002}


def ipv6_subnets():
    return (f"fd00:cf:{i}::/64" for i in range(1, 10))


def activate_ipv6(router):
    """IPv6 unicast on every session of the router (its IPv6 links)."""
    router.config += "\n".join(
        [f"router bgp {router.asn}", " address-family ipv6 unicast"]
        + [f"  neighbor {addr} activate"
           for peer, addr in router.neighbors() if peer.asn]
        + [" exit-address-family", "exit", ""])


def build(name, ipv6=False):
    """The topology, not started."""
    topo = Topology(name)
    topo.ip = "-6" if ipv6 else "-4"
    subnets = ipv6_subnets() if ipv6 else itertools.repeat(None)
    ingress = topo.add_router("ingress", asn=65000)
    for egress, asn in EGRESS_ASN.items():
        router = topo.add_router(egress, asn=asn)
        topo.add_link(ingress, router, next(subnets))
        if ipv6:
            activate_ipv6(router)
    client = topo.add_router("client", daemons=())
    topo.client_gateway, _ = topo.add_link(ingress, client, next(subnets))
    if ipv6:
        activate_ipv6(ingress)
    return topo


def prepare(topo):
    """Once started: sessions up, the client routed through the ingress,
    which hashes flows on the 5-tuple."""
    topo.wait_established()
    topo["client"].exec("ip", topo.ip, "route", "add", "default", "via",
                        topo.client_gateway)
    family = "ipv6" if topo.ip == "-6" else "ipv4"
    topo["ingress"].exec("sysctl", "-qw",
                         f"net.{family}.fib_multipath_hash_policy=1")


# Tells each connection which egress took it, then echoes.
SERVER = """
import socket, sys, threading
name, port = sys.argv[1].encode(), int(sys.argv[2])
s = socket.socket(socket.AF_INET6)  # and IPv4, mapped
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", port))
s.listen(1024)
def serve(c):
    try:
        c.sendall(name + b"\\n")
        while True:
            data = c.recv(64)
            if not data:
                break
            c.sendall(data)
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""

# Opens connection i from source port sport + i (any port when sport is
# 0): with a fixed net.ipv4.fib_multipath_hash_seed, every run then
# hashes the same flows alike.
CONNECT = """
import socket
def connect(addr, port, sport, i, timeout):
    v6 = ":" in addr
    c = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET)
    c.settimeout(timeout)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if sport:
        c.bind(("::" if v6 else "0.0.0.0", sport + i))
    c.connect((addr, port))
    return c
"""

# New connections: which egress answers each.
PROBE = CONNECT + """
import json, sys
addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sport = int(sys.argv[4]) if len(sys.argv) > 4 else 0
seen = []
for i in range(count):
    try:
        c = connect(addr, port, sport, i, 2)
        seen.append(c.recv(64).decode().strip())
        c.close()
    except OSError:
        seen.append(None)
print(json.dumps(seen))
"""

# Long-lived connections, each sending a byte every 0.3 s and expecting
# it back; writes {index: [egress, alive]} after every round.
CLIENT = CONNECT + """
import json, os, sys, time
addr, port, count, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sport = int(sys.argv[5]) if len(sys.argv) > 5 else 0
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
    c = connect(addr, port, sport, i, 3)
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


def route_back(egress):
    """Replies to the client go back through the ingress."""
    back = egress.interfaces["eth-ingress"][2]
    egress.exec("ip", egress.topo.ip, "route", "replace", "default", "via",
                back)


def install(work):
    """The server, probe and client scripts, into the directory work."""
    for name, text in (("server", SERVER), ("probe", PROBE),
                       ("client", CLIENT)):
        (work / f"{name}.py").write_text(text)


def serve(host, work, name, port):
    """A server on host that answers TCP connections with name."""
    host.popen(sys.executable, str(work / "server.py"), name, str(port),
               log="server.log")


def serve_tcp(topo, work, sid, port):
    """Every egress answers TCP connections to the SID with its name."""
    install(work)
    for name in EGRESS_ASN:
        egress = topo[name]
        route_back(egress)
        egress.exec("ip", "addr", "add", sid, "dev", "lo")
        serve(egress, work, name, port)


def probe(topo, work, addr, port, count, sport=0):
    """Opens `count` new connections from the client: the egress that
    answered each, None where none did."""
    out = topo["client"].exec(sys.executable, str(work / "probe.py"), addr,
                              str(port), str(count), str(sport)).stdout
    return json.loads(out)


class Connections:
    """Long-lived TCP connections from the client, pinging all along."""

    def __init__(self, topo, work, addr, port, count, tag, sport=0):
        self.file = work / f"conns-{tag}.json"
        self.proc = topo["client"].popen(
            sys.executable, str(work / "client.py"), addr, str(port),
            str(count), str(self.file), str(sport), log=f"client-{tag}.log")
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
