#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Router memory for flow affinity: per SID, and with or without flows.

An ingress with N SIDs in weighted mode with affinity (resilient nexthop
groups of 128 buckets), two egresses, and a client sending UDP flows to
one SID. Reported: bgpd's memory for the module's groups ("CFN resilient
nexthop group" in show memory), bytes per SID, kernel buckets per SID,
and bgpd's RSS, before and while 0, 100 and 1000 flows run.

usage: bench/affinity_memory.py [--sids N] [--csv FILE]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (default_csv, memory_bytes, rss_kib,  # noqa: E402
                      write_csv)

from topolib import Topology, wait_until  # noqa: E402

SENDER = """
import socket, sys, time
socks = []
for port in range(20000, 20000 + int(sys.argv[2])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    socks.append(s)
while True:
    for s in socks:
        s.sendto(b"x", (sys.argv[1], 9000))
    time.sleep(0.5)
"""


def sid(i):
    return f"198.51.{100 + i // 250}.{1 + i % 250}/32"


def module_bytes(router):
    return memory_bytes(router, "CFN resilient nexthop group")


def buckets(router):
    out = router.exec("ip", "nexthop", "bucket", "show").stdout
    return out.count("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sids", type=int, default=50)
    parser.add_argument("--csv", default=default_csv("affinity_memory.csv"))
    args = parser.parse_args()
    topo = Topology("affmem")
    ingress = topo.add_router("ingress", asn=65000)
    egresses = [topo.add_router(f"egress{i}", asn=65001 + i) for i in (1, 2)]
    client = topo.add_router("client", daemons=())
    for egress in egresses:
        topo.add_link(ingress, egress)
    gw, _ = topo.add_link(ingress, client)
    rows = []
    with topo:
        topo.wait_established()
        client.exec("ip", "route", "add", "default", "via", gw)
        ingress.exec("sysctl", "-qw", "net.ipv4.fib_multipath_hash_policy=1")
        for egress in egresses:
            lines = []
            for i in range(args.sids):
                lines += [f"cfn service s{i} sid {sid(i)}",
                          f"cfn service s{i} instance 10.{egress.asn % 10}.{i // 250}.{1 + i % 250} capacity 8"]
            egress.configure(*lines, context=f"router bgp {egress.asn}")
        empty = module_bytes(ingress)
        lines = []
        for i in range(args.sids):
            lines += [f"cfn service s{i} sid {sid(i)}",
                      f"cfn service s{i} selection mode weighted",
                      f"cfn service s{i} selection affinity idle-timeout 30"]
        ingress.configure(*lines, context="router bgp 65000")
        wait_until(lambda: buckets(ingress) >= 128 * args.sids, timeout=60,
                   what="every SID's resilient group")
        script = os.path.join(client.run_dir, "sender.py")
        os.makedirs(client.run_dir, exist_ok=True)
        with open(script, "w") as f:
            f.write(SENDER)
        for flows in (0, 100, 1000):
            sender = None
            if flows:
                sender = client.popen(sys.executable, script,
                                      sid(0).split("/")[0], str(flows),
                                      log=f"sender-{flows}.log")
                time.sleep(3)
            total = module_bytes(ingress) - empty
            rows.append((args.sids, flows, total, total / args.sids,
                         buckets(ingress) / args.sids, rss_kib(ingress)))
            if sender:
                sender.kill()
                sender.wait()
    write_csv(args.csv, ["sids", "flows", "module_bytes", "bytes_per_sid",
                         "kernel_buckets_per_sid", "bgpd_rss_kib"], rows)
    print(f"{'SIDs':>5} {'flows':>6} {'module bytes':>13} {'per SID':>8} "
          f"{'buckets/SID':>12} {'bgpd RSS KiB':>13}")
    for row in rows:
        print(f"{row[0]:>5} {row[1]:>6} {row[2]:>13} {row[3]:>8.0f} "
              f"{row[4]:>12.0f} {row[5]:>13}")


if __name__ == "__main__":
    main()
