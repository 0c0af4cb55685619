#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Update damping and the API, measured on a real bgpd.

1. API throughput: metric updates per second the module answers over one
   connection (pipelined), against heartbeats (the cheapest request)
   measured in the same run.
2. The trade-off curve of the damping threshold: one noisy CPU trace
   sampled every 100 ms (bursty background load as in the CFN field
   trial: 90 % for 4 s, idle at 10 % for 2 s, plus noise) is replayed
   through the API at an egress once per damping setting: the default,
   then thresholds of 0 (undamped), 1, 2, 5, 10, 20 and 30 points of CPU
   without rate limit ("cfn damping min-interval 0"). Per setting:
   BGP UPDATEs the egress sent (bgpd's neighbor counter, and the module's
   announcements), and what they cost in staleness at the ingress: the
   time-weighted mean absolute error of its view against the true load,
   and the lag from each burst edge until its view shows the new level.
   The view's history comes from both bgpds' debug logs (microsecond
   stamps), not from polling, which would miss most of a 50 ms lag.

usage: bench/damping.py [--seconds S] [--thresholds T,T,...] [--csv FILE]
"""

import argparse
import bisect
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (default_csv, enable_precise_debug,  # noqa: E402
                      log_matches, median_p99, plot_path, print_table,
                      pyplot, save_plot, write_csv)

import cfnapi  # noqa: E402
from topolib import Topology, wait_until  # noqa: E402

SID = "198.51.100.10/32"
BID = "10.1.0.11"
# The throughput test has a service of its own, so that its metrics take
# no part in the scores, and so in the damping, of the replayed one.
LOAD_SERVICE = ("load", "198.51.100.11/32", "10.1.0.12")
CONTEXT = "router bgp 65001"
THRESHOLDS = (0, 1, 2, 5, 10, 20, 30)
DEFAULT = "default"  # label of the run with the module's default damping
SETTLE_S = 2.5       # after the trace, for a rate-limited update to go


def trace(seconds, seed=1):
    rng = random.Random(seed)
    samples = []
    for i in range(int(seconds * 10)):
        t = i / 10
        level = 90 if t % 6 < 4 else 10
        samples.append(max(0.0, min(100.0, level + rng.gauss(0, 3))))
    return samples


def throughput(client, make, count):
    start = time.monotonic()
    for i in range(count):
        client.send(make(i))
    for _ in range(count):
        client.reply()
    return count / (time.monotonic() - start)


def api_throughput(egress, count=20000):
    """Metric updates and heartbeats per second over one connection."""
    name, sid, bid = LOAD_SERVICE
    egress.configure(f"cfn service {name} sid {sid}", context=CONTEXT)
    client = cfnapi.Client(os.path.join(egress.run_dir, "cfn-api.sock"))
    client.call(cfnapi.register(1, name, bid, capacity=8, hold=3600))
    upd = throughput(client, lambda i: cfnapi.update(
        i, name, bid, [cfnapi.metric("queue-depth", i % 7)]), count)
    hb = throughput(client, lambda i: cfnapi.heartbeat(i, name, bid), count)
    client.close()
    return upd, hb, count


def updates_sent(egress):
    """(BGP UPDATE messages sent to the ingress, SID announcements made by
    the module): bgpd's own count and the module's. Only the replayed
    service changes while they are compared."""
    peers = egress.vtysh_json("show bgp neighbors json")
    bgp = sum(p["messageStats"]["updatesSent"] for p in peers.values())
    stats = egress.vtysh_json("show bgp cfn statistics json")
    return bgp, stats["instances"][0]["announcements"]


def set_damping(egress, label):
    """The default damping, or a CPU threshold of `label` points with no
    rate limit, so that the threshold alone decides."""
    if label == DEFAULT:
        egress.configure(
            "no cfn damping min-interval 0",
            "no cfn damping threshold cpu-utilization relative 0 absolute 0",
            context=CONTEXT)
        return
    # For a percentage, "relative 0 absolute T": T points whatever the
    # level (a relative threshold would be 9x finer at 10 % than at 90 %).
    egress.configure("cfn damping min-interval 0",
                     "cfn damping threshold cpu-utilization relative 0 "
                     f"absolute {label}", context=CONTEXT)


def report(client, req_id, cpu):
    client.call(cfnapi.update(req_id, "video", BID,
                              [cfnapi.metric("cpu-utilization", cpu,
                                             "mean")]))


def ingress_cpu(ingress):
    """The CPU load the ingress's view holds for the instance."""
    data = ingress.vtysh_json(f"show bgp cfn service {SID} json")
    if not data["instances"]:
        return None
    inst = data["instances"][0]["egresses"][0]["instances"][0]
    return next((m["value"] for m in inst["metrics"]
                 if m["name"] == "cpu-utilization"), None)


def reset(egress, ingress, cpu):
    """Report the trace's first value and wait until the ingress has it,
    so that every setting starts from the same state. Returns its
    (wall-clock time, CPU)."""
    client = cfnapi.Client(os.path.join(egress.run_dir, "cfn-api.sock"))
    point = (time.time(), cpu)
    report(client, 0, cpu)
    client.close()
    # the wire carries hundredths of a percent
    wait_until(lambda: abs((ingress_cpu(ingress) or -1) - cpu) < 0.01,
               timeout=10, interval=0.05, what="the reset value at ingress")
    return point


def replay(egress, samples, settle):
    """Report every sample through the API on time, then wait `settle`
    seconds; return the truth: (wall-clock time, CPU) of each report."""
    client = cfnapi.Client(os.path.join(egress.run_dir, "cfn-api.sock"))
    truth = []
    start = time.monotonic()
    for i, cpu in enumerate(samples):
        time.sleep(max(0, start + i / 10 - time.monotonic()))
        truth.append((time.time(), cpu))
        report(client, i + 1, cpu)
    time.sleep(settle)
    client.close()
    return truth


def ingress_view(egress, ingress, truth):
    """(time, CPU) of every value the ingress learnt during the replay,
    from both bgpd's logs: when the egress announced each sequence number
    and when the ingress decoded it. An announcement carries the last
    value reported before it: the module announces while it handles a
    report, or, for one the rate limit delayed, from its timer."""
    sid = re.escape(SID)
    announced = [(t, int(m.group(1))) for t, m in log_matches(
        egress, rf"announce {sid}: .* seq (\d+),") if t >= truth[0][0]]
    learnt = {}
    for t, m in log_matches(ingress, rf"{sid} from \S+: decoded egress "
                            r"\S+ seq (\d+),"):
        learnt.setdefault(int(m.group(1)), t)
    view = [(learnt[seq], value_at(truth, t)) for t, seq in announced
            if seq in learnt]
    return sorted(view)


def value_at(points, t):
    """The value of a step function given as sorted (time, value) at t."""
    i = bisect.bisect_right([p[0] for p in points], t) - 1
    return points[i][1] if i >= 0 else None


def mean_abs_error(truth, view, start, end):
    """Time-weighted mean of |ingress view - true load| from start to end;
    both are step functions."""
    cuts = sorted({start, end} | {t for t, _ in truth + view
                                   if start < t < end})
    total = 0.0
    for a, b in zip(cuts, cuts[1:]):
        total += abs(value_at(view, a) - value_at(truth, a)) * (b - a)
    return total / (end - start)


def step_lags(truth, view):
    """Seconds from each burst edge in the truth until the ingress shows
    the new level (closer to it than to the old one)."""
    lags = []
    for (_, prev), (t, cpu) in zip(truth, truth[1:]):
        if abs(cpu - prev) < 40:
            continue
        seen = next((ts for ts, v in view
                     if ts >= t and abs(v - cpu) < abs(v - prev)), None)
        if seen is not None:
            lags.append(seen - t)
    return lags


def measure_setting(egress, ingress, samples, label, series):
    """One replay; returns its summary row, adds its time series."""
    set_damping(egress, label)
    initial = reset(egress, ingress, samples[0])
    bgp_before, module_before = updates_sent(egress)
    # without rate limit nothing is held back: only BGP's own delay
    truth = replay(egress, samples, SETTLE_S if label == DEFAULT else 0.5)
    bgp_after, module_after = updates_sent(egress)
    view = ingress_view(egress, ingress, [initial] + truth)
    start, end = truth[0][0], truth[-1][0] + 0.1
    seen = [(start, value_at(view, start))] + [p for p in view
                                               if p[0] > start]
    for name, points in (("truth", truth), ("ingress", seen)):
        series += [(label, round(t - start, 3), name, cpu)
                   for t, cpu in points]
    lags = step_lags(truth, view) or [float("nan")]
    lag_median, lag_p99 = median_p99(lags)
    updates = bgp_after - bgp_before
    return (label, updates, module_after - module_before,
            round(updates / len(samples), 3),
            round(mean_abs_error(truth, view, start, end), 2),
            round(lag_median, 3), round(lag_p99, 3))


CURVE_HEADER = ("setting", "bgp_updates", "announcements", "per_report",
                "mae_points", "lag_median_s", "lag_p99_s")


def plot_curve(curve, path):
    """UPDATEs, error and lag against the threshold; the default damping
    as a dotted line."""
    plt = pyplot()
    panels = ((1, "BGP UPDATEs sent", 1), (4, "mean abs. error\n(points)", 1),
              (5, "edge lag\nmedian (ms)", 1000))
    fig, axes = plt.subplots(len(panels), 1, sharex=True, figsize=(7, 7))
    points = [r for r in curve if r[0] != DEFAULT]
    default = next((r for r in curve if r[0] == DEFAULT), None)
    x = [int(r[0]) for r in points]
    for ax, (column, label, scale) in zip(axes, panels):
        ax.plot(x, [r[column] * scale for r in points], "o-",
                label="threshold, no rate limit")
        if default:
            ax.axhline(default[column] * scale, color="red", linestyle=":",
                       label="default damping (10 %/5 points, 1 s)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_title("Damping threshold: UPDATEs against staleness")
    axes[0].legend(fontsize=8)
    axes[-1].set_xlabel("cpu-utilization threshold (points)")
    save_plot(fig, path)


def plot_series(series, labels, path):
    """True load and the ingress's view over time, one panel per setting."""
    plt = pyplot()
    fig, axes = plt.subplots(len(labels), 1, sharex=True,
                             figsize=(8, 2 * len(labels)))
    for ax, label in zip(axes, labels):
        for name in ("truth", "ingress"):
            points = [(t, v) for run, t, n, v in series
                      if run == label and n == name]
            ax.plot([p[0] for p in points], [p[1] for p in points],
                    drawstyle="steps-post", label=name, linewidth=1)
        ax.set_ylabel("CPU %")
        ax.set_title(f"threshold {label}" if label != DEFAULT
                     else "default damping", fontsize=9)
        ax.legend(fontsize=7, loc="upper right")
    axes[-1].set_xlabel("seconds")
    save_plot(fig, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=18)
    parser.add_argument("--thresholds", default=",".join(map(str,
                                                             THRESHOLDS)))
    parser.add_argument("--csv", default=default_csv("damping.csv"))
    args = parser.parse_args()
    topo = Topology("bench-damp")
    egress = topo.add_router("egress", asn=65001)
    ingress = topo.add_router("ingress", asn=65002)
    topo.add_link(egress, ingress)
    samples = trace(args.seconds)
    labels = [DEFAULT] + args.thresholds.split(",")
    series = []
    with topo:
        topo.wait_established()
        for router in (egress, ingress):
            enable_precise_debug(router, "debug bgp cfn updates")
        egress.configure(f"cfn service video sid {SID}", context=CONTEXT)
        client = cfnapi.Client(os.path.join(egress.run_dir, "cfn-api.sock"))
        client.call(cfnapi.register(1, "video", BID, capacity=8, hold=3600))
        client.close()
        upd, hb, count = api_throughput(egress)
        # the load service's last update, rate-limited, must not be
        # counted with the first replay
        time.sleep(SETTLE_S)
        curve = [measure_setting(egress, ingress, samples, label, series)
                 for label in labels]

    write_csv(args.csv, ["run", "seconds", "series", "cpu"], series)
    curve_csv = args.csv.replace(".csv", "_curve.csv")
    write_csv(curve_csv, CURVE_HEADER, curve)
    plot_curve(curve, plot_path(args.csv, "_curve"))
    plot_series(series, [lb for lb in (DEFAULT, "0", "10", "30")
                         if lb in labels], plot_path(args.csv, "_trace"))
    print(f"API: {upd:.0f} metric updates/s, {hb:.0f} heartbeats/s "
          f"(updates / heartbeats = {upd / hb:.2f}), {count} each, "
          "one connection")
    print(f"trace: {len(samples)} CPU samples every 100 ms, bursts 90 %/4 s, "
          "10 %/2 s, noise sigma 3; thresholds in points, no rate limit")
    print_table(CURVE_HEADER, curve)


if __name__ == "__main__":
    main()
