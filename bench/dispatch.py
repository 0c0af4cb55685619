#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Dispatch quality: one demand trace and one set of load traces replayed
through plain anycast, health-checked anycast (exabgp's healthcheck.py),
static weighted ECMP by capacity, CFN (the real lib/ selection, damping
and metric code; modes best, weighted and balanced) and a zero-delay
water-filling oracle, by the simulator bench/dispatch_sim, at several
demand levels.

Writes to the results directory dispatch_summary.csv (every strategy at
every demand scale), dispatch_timeseries.csv and dispatch_cdf.csv (at the
nominal demand) and dispatch_*.png; prints markdown tables.

usage: bench/dispatch.py [--results DIR] [--scales 0.25,0.5,0.75,1,1.25]
"""

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (TOP, print_markdown_table, pyplot,  # noqa: E402
                      save_plot, write_csv)

SIM = os.path.join(TOP, "bench", "dispatch_sim")
NOMINAL = 1.0  # the scenario's demand as dispatch_scenario.c defines it
DURATION_S = 300  # dispatch_sim.h
SITES = 4
ZOOM_S = (140, 160)  # around the peak: close enough to see each move
SITE_COLORS = {"edge-a": "tab:red", "edge-b": "tab:orange",
               "metro": "tab:blue", "core": "tab:green"}


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def simulate(scale, directory):
    subprocess.run([SIM, "-s", str(scale), directory], check=True)
    return read_csv(os.path.join(directory, "dispatch_summary.csv"))


def run_scales(scales, results):
    """Summary rows of every scale; the nominal run's other files are
    kept in results."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scale in scales:
            for row in simulate(scale, tmp):
                rows.append({"demand_scale": scale, **row})
            if scale == NOMINAL:
                for name in ("dispatch_timeseries.csv", "dispatch_cdf.csv"):
                    shutil.copy(os.path.join(tmp, name), results)
    return rows


def strategies(rows):
    return list(dict.fromkeys(r["strategy"] for r in rows))


def plot_cdf(cdf_path, png):
    plt = pyplot()
    rows = read_csv(cdf_path)
    fig, ax = plt.subplots(figsize=(8, 5))
    for name in strategies(rows):
        mine = [r for r in rows if r["strategy"] == name]
        ax.plot([float(r["response_ms"]) for r in mine],
                [float(r["quantile"]) for r in mine], label=name)
    ax.set_xscale("log")
    ax.set_xlabel("modelled response time, ms (log)")
    ax.set_ylabel("share of requests at or below")
    ax.set_title("Response time at the nominal demand")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    save_plot(fig, png)


def grouped_bars(ax, rows, column, scales):
    names = strategies(rows)
    width = 0.8 / len(scales)
    for n, scale in enumerate(scales):
        values = [100 * float(r[column]) for name in names for r in rows
                  if r["strategy"] == name and r["demand_scale"] == scale]
        ax.bar([i + n * width for i in range(len(names))], values, width,
               label=f"demand x{scale:g}")
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(names))])
    ax.set_xticklabels(names)
    ax.grid(True, axis="y", alpha=0.3)


def plot_overload(rows, scales, png):
    plt = pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7))
    grouped_bars(top, rows, "overloaded_share", scales)
    top.set_ylabel("% of requests")
    top.set_title("Sent to an overloaded site (utilisation >= 90 % or "
                  "a backlog)")
    top.legend()
    grouped_bars(bottom, rows, "timeout_share", scales)
    bottom.set_ylabel("% of requests")
    bottom.set_title("Timed out (2 s)")
    save_plot(fig, png)


def site_series(rows, strategy, column):
    """{site: [(t, value)]} of one strategy's time series."""
    series = {}
    for r in rows:
        if r["strategy"] == strategy:
            series.setdefault(r["site"], []).append(
                (float(r["t_s"]), float(r[column])))
    return series


def draw_background(ax, rows, window):
    first = rows[0]["strategy"]
    for site, points in site_series(rows, first, "background").items():
        ax.plot(*zip(*[p for p in points if window[0] <= p[0] <= window[1]]),
                color=SITE_COLORS[site], label=site, linewidth=0.8)
    ax.set_ylabel("background\nutilisation")
    ax.set_ylim(0, 1)


def draw_shares(ax, rows, strategy, window):
    series = site_series(rows, strategy, "share")
    sites = list(series)
    times = [t for t, _ in series[sites[0]] if window[0] <= t <= window[1]]
    shares = [[v for t, v in series[s] if window[0] <= t <= window[1]]
              for s in sites]
    ax.stackplot(times, shares, colors=[SITE_COLORS[s] for s in sites],
                 step="post", linewidth=0)
    ax.set_ylabel(f"{strategy}\nshare of demand")
    ax.set_ylim(0, 1)


def plot_traffic(series_path, png):
    plt = pyplot()
    rows = read_csv(series_path)
    names = strategies(rows)
    panels = len(names) + 1
    fig, axes = plt.subplots(panels, 2, figsize=(13, 2.2 * panels),
                             sharex="col")
    for column, window in enumerate(((0, float("inf")), ZOOM_S)):
        draw_background(axes[0][column], rows, window)
        for row, name in enumerate(names, start=1):
            draw_shares(axes[row][column], rows, name, window)
        axes[-1][column].set_xlabel("time, s")
    axes[0][0].set_title("Where each strategy sends the demand (whole run)")
    axes[0][1].set_title(f"{ZOOM_S[0]}-{ZOOM_S[1]} s")
    axes[0][1].legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    save_plot(fig, png)


def print_nominal(rows):
    print(f"At the nominal demand (x{NOMINAL:g}):")
    print_markdown_table(
        ["strategy", "mean ms", "p50 ms", "p99 ms", "to overloaded",
         "timed out", "BGP UPDATEs", "FIB changes"],
        [[r["strategy"], r["mean_ms"], r["p50_ms"], r["p99_ms"],
          f"{100 * float(r['overloaded_share']):.1f} %",
          f"{100 * float(r['timeout_share']):.1f} %", r["bgp_updates"],
          r["fib_changes"]]
         for r in rows if r["demand_scale"] == NOMINAL])


def print_sweep(rows, scales):
    names = strategies(rows)
    print("\nMean response time and share sent to overloaded sites, "
          "by demand:")
    print_markdown_table(
        ["demand"] + names,
        [[f"x{scale:g}"] + [
            f"{float(r['mean_ms']):.0f} ms, "
            f"{100 * float(r['overloaded_share']):.0f} %"
            for name in names for r in rows
            if r["strategy"] == name and r["demand_scale"] == scale]
         for scale in scales])


def print_ratios(rows, scales):
    """Each strategy's mean against static UCMP's and the oracle's, and
    its UPDATEs per egress per second."""
    by = {(r["strategy"], r["demand_scale"]): r for r in rows}
    print("\nMean and p99 response, ratio of the mean to static UCMP's and "
          "to the oracle's, BGP UPDATEs per egress per second:")
    table = []
    for scale in scales:
        ucmp = float(by[("static-ucmp", scale)]["mean_ms"])
        oracle = float(by[("oracle", scale)]["mean_ms"])
        for name in strategies(rows):
            r = by[(name, scale)]
            mean = float(r["mean_ms"])
            table.append([
                f"x{scale:g}", name, f"{mean:.1f}", r["p99_ms"],
                f"{mean / ucmp:.2f}", f"{mean / oracle:.2f}",
                f"{int(r['bgp_updates']) / DURATION_S / SITES:.2f}"])
    print_markdown_table(["demand", "strategy", "mean ms", "p99 ms",
                          "/ static-ucmp", "/ oracle", "UPDATEs/s/egress"],
                         table)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results",
                        default=os.path.join(TOP, "bench", "results"))
    parser.add_argument("--scales", default="0.25,0.5,0.75,1,1.25",
                        type=lambda s: [float(x) for x in s.split(",")])
    args = parser.parse_args()
    if NOMINAL not in args.scales:
        args.scales.append(NOMINAL)
    os.makedirs(args.results, exist_ok=True)
    subprocess.run(["make", "-C", TOP, "-s", "bench/dispatch_sim"],
                   check=True)
    rows = run_scales(args.scales, args.results)
    write_csv(os.path.join(args.results, "dispatch_summary.csv"),
              list(rows[0]), [list(r.values()) for r in rows])
    plot_cdf(os.path.join(args.results, "dispatch_cdf.csv"),
             os.path.join(args.results, "dispatch_cdf.png"))
    plot_overload(rows, args.scales,
                  os.path.join(args.results, "dispatch_overload.png"))
    plot_traffic(os.path.join(args.results, "dispatch_timeseries.csv"),
                 os.path.join(args.results, "dispatch_traffic.png"))
    print_nominal(rows)
    print_sweep(rows, args.scales)
    print_ratios(rows, args.scales)


if __name__ == "__main__":
    main()
