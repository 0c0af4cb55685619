#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Update damping and the API, measured on a real bgpd.

1. API throughput: metric updates per second the module answers over one
   connection (pipelined), against heartbeats (the cheapest request)
   measured in the same run.
2. A noisy CPU trace sampled every 100 ms (bursty background load as in
   the CFN field trial: 90 % for 4 s, 10 % for 2 s, plus noise) is
   replayed through the API twice: with the default damping and with
   damping off. Reported: BGP UPDATEs the egress sent, their ratio, and
   how far the ingress's view lags behind the truth after each step.

usage: bench/damping.py [--seconds S] [--csv FILE]
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import default_csv, p99, write_csv  # noqa: E402

import cfnapi  # noqa: E402
from topolib import Topology  # noqa: E402

SID = "198.51.100.10/32"
BID = "10.1.0.11"


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


def announcements(egress):
    stats = egress.vtysh_json("show bgp cfn statistics json")
    return stats["instances"][0]["announcements"]


def ingress_view(ingress):
    data = ingress.vtysh_json(f"show bgp cfn service {SID} json")
    if not data["instances"]:
        return None
    inst = data["instances"][0]["egresses"][0]["instances"][0]
    return inst["metrics"][0]["value"] if inst["metrics"] else None


def replay(egress, ingress, samples, label, rows):
    client = cfnapi.Client(os.path.join(egress.run_dir, "cfn-api.sock"))
    observed = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            observed.append((time.monotonic(), ingress_view(ingress)))
            time.sleep(0.05)

    before = announcements(egress)
    watcher = threading.Thread(target=watch)
    watcher.start()
    truth = []
    start = time.monotonic()
    for i, cpu in enumerate(samples):
        time.sleep(max(0, start + i / 10 - time.monotonic()))
        truth.append((time.monotonic(), cpu))
        client.call(cfnapi.update(i, "video", BID,
                                  [cfnapi.metric("cpu-utilization", cpu,
                                                 "mean")]))
    time.sleep(2)
    stop.set()
    watcher.join()
    client.close()
    sent = announcements(egress) - before
    lags = step_lags(truth, observed)
    for t, cpu in truth:
        rows.append((label, round(t - start, 3), "truth", cpu))
    for t, seen in observed:
        rows.append((label, round(t - start, 3), "ingress", seen))
    return sent, lags


def step_lags(truth, observed):
    """Seconds from each burst edge in the truth until the ingress shows
    the new level (closer to it than to the old one)."""
    lags = []
    for i in range(1, len(truth)):
        t, cpu = truth[i]
        prev = truth[i - 1][1]
        if abs(cpu - prev) < 40:
            continue
        seen = next((ts for ts, v in observed
                     if ts >= t and v is not None
                     and abs(v - cpu) < abs(v - prev)), None)
        if seen is not None:
            lags.append(seen - t)
    return lags


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--csv", default=default_csv("damping.csv"))
    args = parser.parse_args()
    topo = Topology("damp")
    egress = topo.add_router("egress", asn=65001)
    ingress = topo.add_router("ingress", asn=65002)
    topo.add_link(egress, ingress)
    rows = []
    with topo:
        topo.wait_established()
        egress.configure(f"cfn service video sid {SID}",
                         context="router bgp 65001")
        client = cfnapi.Client(os.path.join(egress.run_dir, "cfn-api.sock"))
        client.call(cfnapi.register(1, "video", BID, capacity=8, hold=3600))
        n = 20000
        upd = throughput(client, lambda i: cfnapi.update(
            i, "video", BID, [cfnapi.metric("queue-depth", i % 7)]), n)
        hb = throughput(client, lambda i: cfnapi.heartbeat(i, "video", BID), n)
        client.close()

        samples = trace(args.seconds)
        damped, damped_lag = replay(egress, ingress, samples, "damped", rows)
        egress.configure("cfn damping min-interval 0",
                         *[f"cfn damping threshold {m} relative 0 absolute 0"
                           for m in ("cpu-utilization", "queue-depth")],
                         context="router bgp 65001")
        plain, plain_lag = replay(egress, ingress, samples, "undamped", rows)

    write_csv(args.csv, ["run", "seconds", "series", "cpu"], rows)
    print(f"API: {upd:.0f} metric updates/s, {hb:.0f} heartbeats/s "
          f"(updates / heartbeats = {upd / hb:.2f}), {n} each, one connection")
    print(f"trace: {len(samples)} CPU samples every 100 ms, bursts 90 %/4 s, "
          "10 %/2 s, noise sigma 3")
    print(f"{'run':<10} {'UPDATEs':>8} {'per report':>11} "
          f"{'lag median s':>13} {'lag p99 s':>10}")
    for label, sent, lags in (("damped", damped, damped_lag),
                              ("undamped", plain, plain_lag)):
        lags = lags or [float("nan")]
        print(f"{label:<10} {sent:>8} {sent / len(samples):>11.2f} "
              f"{statistics.median(lags):>13.2f} {p99(lags):>10.2f}")
    print(f"UPDATEs damped / undamped = {damped / max(plain, 1):.2f}")


if __name__ == "__main__":
    main()
