#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""NETCONF read latency at scale: cfn-netconfd in front of an ingress
bgpd with N configured services (default 1000).

Measured, each the median of --repeat runs, over SSH with ncclient:
- a full <get> (configuration, state of every SID, YANG library);
- a subtree-filtered <get> of one SID's state;
- a <get-config>;
- a <get-config> of a second session while a first one runs full <get>s
  back to back (how long one slow request holds up the others).

usage: bench/netconf_get.py [--services N] [--repeat R]
                            [--daemon BINARY] [--yang DIR]
The defaults are the daemon and YANG directory of this tree, so an older
build can be measured against the same network (--daemon, --yang).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "topo"))

import cfnnet  # noqa: E402
import ncclient.transport.ssh  # noqa: E402
import paramiko  # noqa: E402
from ncclient import manager  # noqa: E402
from topolib import VTYSH, run, wait_until  # noqa: E402

NS = "urn:frr-cfn:yang:frr-cfn"
PORT = 17830
# ncclient's session thread sends a request when its select() wakes up,
# every TICK (100 ms) when nothing arrives: a floor of 100 ms per request
ncclient.transport.ssh.TICK = 0.001


def sid(i):
    return f"198.18.{i // 256}.{i % 256}/32"


def load_config(router, lines, workdir):
    path = os.path.join(workdir, f"{router.name}.conf")
    with open(path, "w") as f:
        f.write("router bgp 65000\n")
        f.writelines(f" {line}\n" for line in lines)
    out = run([VTYSH, "-N", router.ns, "-f", path], check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stdout[-2000:])


def load_services(topo, count, workdir):
    """count services offered at e1 (one instance each) and declared at
    the ingress; until the ingress has a view of each SID."""
    load_config(topo["e1"], [
        line for i in range(count) for line in (
            f"cfn service s{i} sid {sid(i)}",
            f"cfn service s{i} instance 10.100.{i // 256}.{i % 256} "
            "capacity 10",
            f"cfn service s{i} instance 10.100.{i // 256}.{i % 256} "
            f"metric cpu-utilization {i % 100} statistic mean")],
        workdir)
    load_config(topo["ingress"], [f"cfn service s{i} sid {sid(i)}"
                                  for i in range(count)], workdir)
    wait_until(lambda: len(topo["ingress"].vtysh_json(
        "show bgp cfn services json")["instances"][0]["sids"]) >= count,
        timeout=300, what="every SID at the ingress")


def start_daemon(binary, yang, workdir, pathspace):
    key = paramiko.ECDSAKey.generate()
    key_path = os.path.join(workdir, "key")
    key.write_private_key_file(key_path)
    with open(os.path.join(workdir, "keys_root"), "w") as f:
        f.write(f"{key.get_name()} {key.get_base64()} bench\n")
    log = open(os.path.join(workdir, "daemon.log"), "w")
    proc = subprocess.Popen(
        [binary, "-d", "-a", "127.0.0.1", "-p", str(PORT),
         "-k", os.path.join(workdir, "host_key"),
         "-A", os.path.join(workdir, "keys_%u"), "-N", pathspace,
         "-y", yang], stdout=log, stderr=subprocess.STDOUT)
    wait_until(lambda: b"listening" in open(log.name, "rb").read(),
               timeout=15, what="cfn-netconfd to listen")
    return proc, key_path


def connect(key):
    return manager.connect(host="127.0.0.1", port=PORT, username="root",
                           key_filename=key, hostkey_verify=False,
                           allow_agent=False, look_for_keys=False,
                           timeout=120)


def median_ms(request, repeat):
    times = []
    for _ in range(repeat):
        started = time.monotonic()
        request()
        times.append(time.monotonic() - started)
    return statistics.median(times) * 1000


def while_busy_ms(key, request, repeat):
    """request()'s latency on a second session while a first one runs
    full <get>s."""
    busy = threading.Event()

    def load():
        with connect(key) as m:
            while not busy.is_set():
                m.get()
    loader = threading.Thread(target=load)
    loader.start()
    time.sleep(1)
    try:
        return median_ms(request, repeat)
    finally:
        busy.set()
        loader.join()


def measure(key, repeat):
    one_sid = (f'<cfn xmlns="{NS}"><state><sid><sid>{sid(500)}</sid>'
               "</sid></state></cfn>")
    with connect(key) as m:
        rows = [
            ("get (full)", median_ms(m.get, repeat)),
            ("get, subtree filter of one SID", median_ms(
                lambda: m.get(filter=("subtree", one_sid)), repeat)),
            ("get-config", median_ms(
                lambda: m.get_config(source="running"), repeat)),
            ("get-config of a 2nd session during full gets",
             while_busy_ms(key, lambda: m.get_config(source="running"),
                           repeat)),
        ]
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--daemon", default=os.path.join(
        TOP, "tools", "cfn-netconfd"))
    parser.add_argument("--yang", default=os.path.join(TOP, "yang"))
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-netconf-")
    topo = cfnnet.build("ncb", {"e1": 10, "e2": 20, "e3": 30})
    with topo:
        cfnnet.wait_converged(topo)
        load_services(topo, args.services, workdir)
        proc, key = start_daemon(args.daemon, args.yang, workdir,
                                 topo["ingress"].ns)
        try:
            rows = measure(key, args.repeat)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    print(f"{args.services} services, {args.daemon}, median of "
          f"{args.repeat}")
    for name, ms in rows:
        print(f"  {name:48s} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
