# SPDX-License-Identifier: GPL-2.0-or-later
"""Real TCP flows for affinity tests: a server on each site that tells
every connection which site took it, long-lived connections that ping all
along (a connection moved to another site is reset there, so it shows as
dead), and probes that open new connections and say where each landed.

Source ports may be given, so that with a fixed multipath hash seed
(net.ipv4.fib_multipath_hash_seed) every run hashes the same flows alike.
"""

import json
import sys

from topolib import wait_until

# Tells each connection which site took it, then echoes.
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

# Opens connection i from source port sport + i (any port when sport is 0).
CONNECT = """
import socket
def connect(addr, port, sport, i, timeout):
    c = socket.socket()
    c.settimeout(timeout)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if sport:
        c.bind(("0.0.0.0", sport + i))
    c.connect((addr, port))
    return c
"""

# Long-lived connections, each sending a byte every 0.3 s and expecting
# it back; writes {index: [site, alive]} after every round.
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

# New connections: which site answers each.
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


def install(work):
    """Write the scripts into the directory work."""
    for name, text in (("server", SERVER), ("client", CLIENT),
                       ("probe", PROBE)):
        (work / f"{name}.py").write_text(text)


def serve(host, work, name, port):
    """The site's server on host, answering with name."""
    return host.popen(sys.executable, str(work / "server.py"), name,
                      str(port), log="server.log")


def probe(host, work, addr, port, count, sport=0):
    """Sites that answered count new connections from host, in order."""
    args = [str(sport)] if sport else []
    out = host.exec(sys.executable, str(work / "probe.py"), addr, str(port),
                    str(count), *args).stdout
    return json.loads(out)


class Connections:
    """Long-lived TCP connections from a host, pinging all along."""

    def __init__(self, host, work, addr, port, count, tag, sport=0):
        self.file = work / f"conns-{tag}.json"
        args = [str(sport)] if sport else []
        self.proc = host.popen(sys.executable, str(work / "client.py"), addr,
                               str(port), str(count), str(self.file), *args,
                               log=f"client-{tag}.log")
        wait_until(self.state, timeout=20, what="connections open")

    def state(self):
        try:
            with open(self.file) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def on(self, name):
        return sum(1 for site, _ in self.state().values() if site == name)

    def dead(self):
        return sum(1 for _, alive in self.state().values() if not alive)

    def stop(self):
        self.proc.kill()
        self.proc.wait()
