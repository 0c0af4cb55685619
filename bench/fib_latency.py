#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reaction time to the kernel FIB, CFN against plain BGP, in one run.

In the CFN test network (ingress, route reflector, three egresses, OSPF),
one egress's load is flipped so that the ingress's selection for a SID
moves between two egresses; each flip is timed from the vtysh command at
the egress to the route change in the ingress's kernel ("ip -ts monitor").
The baseline is the same path for an ordinary BGP route: a "network"
statement added and removed at an egress, timed to the ingress's kernel.

usage: bench/fib_latency.py [--changes N] [--csv FILE]
"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (KernelRouteMonitor, default_csv, p99,  # noqa: E402
                      write_csv)

import cfnnet  # noqa: E402
from topolib import wait_until  # noqa: E402

SID = "198.51.100.10/32"
PLAIN = "203.0.113.77/32"


def run(changes):
    topo = cfnnet.build("bench", {"e1": 10, "e2": 10, "e3": 10})
    rows = []
    with topo:
        cfnnet.wait_converged(topo)
        ingress, e1, e2, e3 = (topo[n] for n in ("ingress", "e1", "e2", "e3"))
        for egress, cpu in ((e1, 10), (e2, 50)):
            egress.configure(
                f"cfn service video sid {SID}",
                f"cfn service video instance 10.1.{egress.name[1]}.1 capacity 10",
                f"cfn service video instance 10.1.{egress.name[1]}.1 metric "
                f"cpu-utilization {cpu}", context="router bgp 65000")
        ingress.configure(f"cfn service video sid {SID}",
                          "cfn service video selection hysteresis 0",
                          context="router bgp 65000")
        gw = {n: cfnnet.gateway_to(ingress, n)[0] for n in ("e1", "e2")}
        wait_until(lambda: gw["e1"] in str(cfnnet.kernel_nexthops(ingress, SID)),
                   what="initial FIB via e1")
        monitor = KernelRouteMonitor(ingress)

        for i in range(changes):
            cpu, to = (90, "e2") if i % 2 == 0 else (10, "e1")
            ms = monitor.time_change(SID, lambda: e1.configure(
                f"cfn service video instance 10.1.1.1 metric "
                f"cpu-utilization {cpu}", context="router bgp 65000"),
                lambda e, to=to: not e.deleted and gw[to] in e.line,
                f"FIB via {to}")
            rows.append(("cfn-metric-update", i, ms))

        for i in range(changes):
            add = i % 2 == 0
            cmd = ("" if add else "no ") + f"network {PLAIN}"
            ms = monitor.time_change(PLAIN, lambda: e3.configure(
                cmd, context="router bgp 65000"),
                lambda e, add=add: e.deleted != add, f"plain route {cmd}")
            rows.append(("plain-bgp-add" if add else "plain-bgp-withdraw",
                         i, ms))
    return rows


def summarize(rows):
    kinds = {}
    for kind, _, ms in rows:
        kinds.setdefault(kind, []).append(ms)
    base = statistics.median(kinds["plain-bgp-add"])
    print(f"{'kind':<22} {'n':>4} {'median ms':>10} {'p99 ms':>8} "
          f"{'median / plain add':>19}")
    for kind, values in kinds.items():
        med = statistics.median(values)
        print(f"{kind:<22} {len(values):>4} {med:>10.1f} {p99(values):>8.1f} "
              f"{med / base:>19.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--csv", default=default_csv("fib_latency.csv"))
    args = parser.parse_args()
    rows = run(args.changes)
    write_csv(args.csv, ["kind", "iteration", "latency_ms"], rows)
    summarize(rows)


if __name__ == "__main__":
    main()
