#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Reaction time from a load report over the API to the ingress's FIB.

In the CFN test network of bench/fib_latency.py (ingress, route reflector,
three egresses, OSPF), the SID's instances at e1 and e2 are registered
over the service notification API, as an agent does. Each change is one
metric report (an API "Update") at one egress that makes the other egress
the better one; it is timed from the report to the route change in the
ingress's kernel ("ip -ts monitor route"). The changes cycle through both
egresses and both directions: load up at the chosen egress, load down at
the other one. bgpd's debug logs (microsecond timestamps) split each
change into API to the egress's announcement, BGP to the ingress's
per-service view (through the route reflector), and view to kernel.

usage: bench/reaction.py [--changes N] [--csv FILE]
"""

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (KernelRouteMonitor, default_csv,  # noqa: E402
                      enable_precise_debug, log_matches, median_p99,
                      plot_path, print_table, pyplot, save_plot, write_csv)

import cfnapi  # noqa: E402
import cfnnet  # noqa: E402
from topolib import wait_until  # noqa: E402

SID = "198.51.100.10/32"
SERVICE = "video"
BIDS = {"e1": "10.1.1.1", "e2": "10.1.2.1"}
START_LOAD = {"e1": 20, "e2": 50}
# (egress that reports, its new CPU load, egress the ingress must then use).
# L2 = 10 * (1 - load / 100): 90 % scores 1, below min-score 4, so e2 (5)
# takes over; 20 % (8) beats 50 % (5); 0 % (10) beats 20 % (8).
CYCLE = (("e1", 90, "e2"), ("e1", 20, "e1"),
         ("e2", 0, "e2"), ("e2", 50, "e1"))
# Longer than the default damping min-interval (1 s), so that every report
# is an isolated significant change, not one held back by the rate limit.
SPACING_S = 1.2
STAGES = ("api_to_announce_ms", "announce_to_view_ms", "view_to_fib_ms")
STAGE_LABELS = ("report to announcement (egress)",
                "announcement to ingress view (BGP)",
                "ingress view to kernel FIB")


def log_times(router, needle):
    """Times of the router's bgpd log lines that contain needle."""
    return [t for t, _ in log_matches(router, re.escape(needle))]


def first_at_or_after(times, t0):
    return next((t for t in times if t >= t0), None)


def register_instances(topo):
    """Each egress: the service in its config, its instance over the API.
    Returns the API client of each egress."""
    clients = {}
    for name, bid in BIDS.items():
        egress = topo[name]
        # The benchmark reports only on changes; without this the instances
        # would be flagged stale between reports (cfn api stale-after).
        egress.configure(f"cfn service {SERVICE} sid {SID}",
                         "cfn api stale-after 0", context="router bgp 65000")
        client = cfnapi.Client(os.path.join(egress.run_dir, "cfn-api.sock"))
        status = client.call(cfnapi.register(
            1, SERVICE, bid, capacity=8, hold=3600,
            metrics=[cpu_metric(START_LOAD[name])]))
        if status != 0:
            raise RuntimeError(f"{name}: API register refused ({status})")
        clients[name] = client
    return clients


def cpu_metric(load):
    return cfnapi.metric("cpu-utilization", load, "mean")


def report(client, req_id, bid, load):
    status = client.call(cfnapi.update(req_id, SERVICE, bid,
                                       [cpu_metric(load)]))
    if status != 0:
        raise RuntimeError(f"API update refused ({status})")


def stages(topo, t0, fib, egress):
    """Split one change using the logs: API -> announcement at the egress,
    -> view change at the ingress, -> kernel."""
    announce = first_at_or_after(log_times(topo[egress], f"announce {SID}"),
                                 t0)
    view = announce and first_at_or_after(
        log_times(topo["ingress"], f"{SID}: view changed"), announce)
    if not view:
        return (None, None, None)
    return tuple(round((b - a) * 1000, 2) for a, b in
                 ((t0, announce), (announce, view), (view, fib)))


def prepare(topo):
    """The ingress's policy, debug logs, the API instances and the kernel
    route monitor; returns (API clients, gateway to each egress, monitor)
    once the FIB goes via e1 (20 % beats 50 %)."""
    ingress = topo["ingress"]
    ingress.configure(f"cfn service {SERVICE} sid {SID}",
                      f"cfn service {SERVICE} selection hysteresis 0",
                      context="router bgp 65000")
    for router in (ingress, topo["e1"], topo["e2"]):
        enable_precise_debug(router, "debug bgp cfn updates")
    clients = register_instances(topo)
    gw = {n: cfnnet.gateway_to(ingress, n)[0] for n in BIDS}
    wait_until(lambda: gw["e1"] in str(cfnnet.kernel_nexthops(ingress, SID)),
               what="initial FIB via e1")
    return clients, gw, KernelRouteMonitor(ingress)


def measure(changes):
    topo = cfnnet.build("bench-react", {"e1": 10, "e2": 10, "e3": 10})
    rows = []
    with topo:
        cfnnet.wait_converged(topo)
        clients, gw, monitor = prepare(topo)
        for i in range(changes):
            egress, load, to = CYCLE[i % len(CYCLE)]
            time.sleep(SPACING_S)
            t0 = time.time()
            report(clients[egress], i + 2, BIDS[egress], load)
            t_fib = monitor.wait_event(
                SID, t0, lambda e: not e.deleted and gw[to] in e.line,
                f"FIB via {to}")
            rows.append((i, egress, load, to, round((t_fib - t0) * 1000, 2),
                         *stages(topo, t0, t_fib, egress)))
        for client in clients.values():
            client.close()
    return rows


def columns(rows):
    """The reaction time and each stage: {label: milliseconds}."""
    result = {"API report to ingress FIB": [r[4] for r in rows]}
    for index, label in enumerate(STAGE_LABELS):
        values = [r[5 + index] for r in rows if r[5 + index] is not None]
        if values:
            result[label] = values
    return result


def summarize(rows):
    table = []
    for name, values in columns(rows).items():
        median, p99 = median_p99(values)
        table.append((name, len(values), f"{median:.1f}", f"{p99:.1f}"))
    print_table(("stage", "n", "median ms", "p99 ms"), table)


def plot(rows, path):
    """Cumulative distribution of the reaction time and of each stage."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, values in columns(rows).items():
        values = sorted(values)
        ax.step(values, [(k + 1) / len(values) for k in range(len(values))],
                where="post", label=label)
    ax.set_xlabel("milliseconds")
    ax.set_ylabel("fraction of changes")
    ax.set_title(f"Reaction to an API load report ({len(rows)} changes)")
    ax.grid(alpha=0.3)
    ax.legend(loc="center right", fontsize=8)
    save_plot(fig, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--csv", default=default_csv("reaction.csv"))
    args = parser.parse_args()
    rows = measure(args.changes)
    write_csv(args.csv, ["change", "egress", "cpu_load", "fib_via",
                         "total_ms", *STAGES], rows)
    plot(rows, plot_path(args.csv))
    summarize(rows)


if __name__ == "__main__":
    main()
