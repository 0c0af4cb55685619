#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""cfn-altod on a live CFN network (tests/topo/cfnnet.py: an ingress,
three egresses, a route reflector), measured inside the ingress's
namespace:

- cost map GETs per second with wrk (Debian's), against the rate at
  which the same data can be read with "vtysh -c 'show bgp cfn service
  SID json'" (what a client without ALTO would poll): the ratio;
- concurrent SSE update streams held (default 1000), with cfn-altod's
  memory and the CPU it spends while they are idle;
- event latency: a load change at an egress moves its L2; from the
  moment bgpd pushes the change on its API (a Watch held by this
  script) to the merge patch's arrival on every stream, p50 and p99
  over all streams and repetitions; and from the vtysh command at the
  egress (BGP propagation included).

usage: bench/alto.py [--streams N] [--repeat R] [--duration S]
                     [--csv FILE]
"""

import argparse
import ctypes
import json
import os
import resource
import select
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "topo"))
sys.path.insert(0, os.path.join(TOP, "bench"))

import cfnapi  # noqa: E402
import cfnnet  # noqa: E402
from benchlib import default_csv, print_table, write_csv  # noqa: E402
from topolib import VTYSH, run, wait_until  # noqa: E402

ALTOD = os.path.join(TOP, "tools", "cfn-altod")
SID = "198.51.100.10/32"
PORT = 8181
CLONE_NEWNET = 0x40000000


def set_namespace(path):
    """This process's new sockets live in that network namespace; the
    one it was in before, to return to (teardown kills every process of
    a test namespace)."""
    before = os.open("/proc/self/ns/net", os.O_RDONLY)
    fd = os.open(path, os.O_RDONLY)
    if ctypes.CDLL("libc.so.6", use_errno=True).setns(fd, CLONE_NEWNET):
        raise OSError(ctypes.get_errno(), "setns")
    os.close(fd)
    return f"/proc/self/fd/{before}"


def watch(api_socket):
    """A Watch on bgpd's API: its socket, past the OK and the snapshot."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(api_socket)
    req = cfnapi._field(1, 0, 9) + cfnapi._field(9, 2, b"")  # Watch
    s.sendall(struct.pack(">I", len(req)) + req)
    for _ in range(2):
        read_frame(s)
    return s


def read_frame(s):
    head = b""
    while len(head) < 4:
        head += s.recv(4 - len(head))
    (length,) = struct.unpack(">I", head)
    body = b""
    while len(body) < length:
        body += s.recv(length - len(body))
    return body


def open_stream():
    s = socket.create_connection(("127.0.0.1", PORT))
    body = json.dumps({"add": {"p": {"resource-id": "propmap"}}})
    s.sendall((f"POST /updates HTTP/1.1\r\nHost: x\r\n"
               "Content-Type: application/alto-updatestreamparams+json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n{body}").encode())
    s.setblocking(False)
    return s


def drain(s):
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except BlockingIOError:
            return data
        if not chunk:
            raise RuntimeError("stream closed")
        data += chunk


def wrk_rate(path, duration):
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{duration}s",
                          f"http://127.0.0.1:{PORT}{path}"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(out)


def vtysh_rate(ingress, count=20):
    start = time.monotonic()
    for _ in range(count):
        run([VTYSH, "-N", ingress.ns, "-c", f"show bgp cfn service {SID} json"])
    return count / (time.monotonic() - start)


def proc_status(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def latencies(topo, api, streams, repeat):
    """(from bgpd's push, from the egress command) per stream event, ms."""
    poll = select.epoll()
    for i, s in enumerate(streams):
        poll.register(s.fileno(), select.EPOLLIN)
    by_fd = {s.fileno(): s for s in streams}
    pushed, commanded = [], []
    for rep in range(repeat):
        cpu = 95 if rep % 2 == 0 else 20
        t_cmd = time.monotonic()
        topo["e2"].configure("cfn service video instance 10.1.2.1 metric "
                             f"cpu-utilization {cpu} statistic mean",
                             context="router bgp 65000")
        api.settimeout(20)
        read_frame(api)
        t_push = time.monotonic()
        waiting = set(by_fd)
        deadline = time.monotonic() + 20
        while waiting and time.monotonic() < deadline:
            for fd, _ in poll.poll(1):
                if fd in waiting and b"merge-patch" in drain(by_fd[fd]):
                    now = time.monotonic()
                    waiting.discard(fd)
                    pushed.append((now - t_push) * 1000)
                    commanded.append((now - t_cmd) * 1000)
        if waiting:
            raise RuntimeError(f"{len(waiting)} streams got no event")
        while True:  # events of the same change that came in two parts
            try:
                api.settimeout(0.3)
                read_frame(api)
            except socket.timeout:
                break
    return pushed, commanded


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--streams", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--csv", default=default_csv("alto.csv"))
    args = ap.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (args.streams + 512,) * 2)
    topo = cfnnet.build("altob", {"e1": 10, "e2": 20, "e3": 30})
    work = tempfile.mkdtemp(prefix="alto-bench-")
    with topo:
        cfnnet.wait_converged(topo)
        cfnnet.offer_service(
            topo, SID, extra=["cfn service video instance 10.1.{n}.1 "
                              "metric cpu-utilization 20 statistic mean"])
        ingress = topo["ingress"]
        api_socket = os.path.join(ingress.run_dir, "cfn-api.sock")
        conf = os.path.join(work, "altod.conf")
        with open(conf, "w") as f:
            f.write(f"listen 127.0.0.1\nport {PORT}\napi-socket {api_socket}\n"
                    f"max-streams {args.streams + 100}\n"
                    f"max-clients-per-ip {args.streams + 100}\n")
        altod = ingress.popen(ALTOD, "-f", conf, log="cfn-altod.log")
        home = set_namespace(f"/var/run/netns/{ingress.ns}")
        try:
            results = measure(args, topo, altod, api_socket)
        finally:
            set_namespace(home)
            altod.terminate()
            altod.wait(timeout=10)
    print_table(("measure", "value"), results)
    write_csv(args.csv, ("measure", "value"), results)


def measure(args, topo, altod, api_socket):
    """Every figure, from inside the ingress's namespace."""
    ingress = topo["ingress"]
    wait_until(lambda: subprocess.run(
        ["curl", "-sf", f"http://127.0.0.1:{PORT}/costmap/score"],
        capture_output=True).returncode == 0, what="cfn-altod")
    get_rate = wrk_rate("/costmap/score", args.duration)
    poll_rate = vtysh_rate(ingress)
    streams = [open_stream() for _ in range(args.streams)]
    wait_until(lambda: json.loads(subprocess.run(
        ["curl", "-s", f"http://127.0.0.1:{PORT}/stats"],
        capture_output=True, text=True).stdout)["streams"] ==
        args.streams, what="every stream open")
    for s in streams:
        drain(s)
    ticks = cpu_ticks(altod.pid)
    time.sleep(5)
    idle_cpu = (cpu_ticks(altod.pid) - ticks) / os.sysconf(
        "SC_CLK_TCK") / 5 * 100
    rss = proc_status(altod.pid, "VmRSS")
    api = watch(api_socket)
    pushed, commanded = latencies(topo, api, streams, args.repeat)
    for s in streams:
        s.close()
    return [
        ("cost map GETs/s (wrk -t2 -c64)", f"{get_rate:.0f}"),
        ("vtysh show ... json reads/s", f"{poll_rate:.1f}"),
        ("ratio GETs / vtysh reads", f"{get_rate / poll_rate:.0f}"),
        ("SSE streams held", str(args.streams)),
        ("cfn-altod RSS with them (MiB)", f"{rss / 1024:.1f}"),
        ("cfn-altod CPU while idle (%)", f"{idle_cpu:.1f}"),
        ("events measured", str(len(pushed))),
        ("latency push -> SSE p50 (ms)", f"{statistics.median(pushed):.1f}"),
        ("latency push -> SSE p99 (ms)", f"{pct(pushed, 0.99):.1f}"),
        ("latency command -> SSE p50 (ms)",
         f"{statistics.median(commanded):.1f}"),
        ("latency command -> SSE p99 (ms)", f"{pct(commanded, 0.99):.1f}"),
    ]


if __name__ == "__main__":
    main()
