# SPDX-License-Identifier: GPL-2.0-or-later
"""The network of the flow tests: an ingress (AS 65000) with two directly
connected eBGP egresses, egress1 (AS 65001) and egress2 (AS 65002), and a
client host behind it whose flows the ingress hashes per connection.

    egress1 --\\
               ingress --- client
    egress2 --/
"""

import json
import sys

from topolib import Topology

EGRESS_ASN = {"egress1": 65001, "egress2": 65002}


def build(name):
    """The topology, not started."""
    topo = Topology(name)
    ingress = topo.add_router("ingress", asn=65000)
    for egress, asn in EGRESS_ASN.items():
        topo.add_link(ingress, topo.add_router(egress, asn=asn))
    client = topo.add_router("client", daemons=())
    topo.client_gateway, _ = topo.add_link(ingress, client)
    return topo


def prepare(topo):
    """Once started: sessions up, the client routed through the ingress,
    which hashes flows on the 5-tuple."""
    topo.wait_established()
    topo["client"].exec("ip", "route", "add", "default", "via",
                        topo.client_gateway)
    topo["ingress"].exec("sysctl", "-qw",
                         "net.ipv4.fib_multipath_hash_policy=1")


# Tells each connection which egress took it, then echoes.
SERVER = """
import socket, sys, threading
name, port = sys.argv[1].encode(), int(sys.argv[2])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
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

# New connections: which egress answers each.
PROBE = """
import json, socket, sys
addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seen = []
for i in range(count):
    try:
        c = socket.create_connection((addr, port), timeout=2)
        seen.append(c.recv(64).decode().strip())
        c.close()
    except OSError:
        seen.append(None)
print(json.dumps(seen))
"""


def route_back(egress):
    """Replies to the client go back through the ingress."""
    back = egress.interfaces["eth-ingress"][2]
    egress.exec("ip", "route", "replace", "default", "via", back)


def serve_tcp(topo, work, sid, port):
    """Every egress answers TCP connections to the SID with its name."""
    (work / "server.py").write_text(SERVER)
    (work / "probe.py").write_text(PROBE)
    for name in EGRESS_ASN:
        egress = topo[name]
        route_back(egress)
        egress.exec("ip", "addr", "add", sid, "dev", "lo")
        egress.popen(sys.executable, str(work / "server.py"), name,
                     str(port), log="server.log")


def probe(topo, work, addr, port, count):
    """Opens `count` new connections from the client: the egress that
    answered each, None where none did."""
    out = topo["client"].exec(sys.executable, str(work / "probe.py"), addr,
                              str(port), str(count)).stdout
    return json.loads(out)
