#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scale: N SIDs with 10 instances each between two bgpd, against N plain
BGP routes, in one run.

An egress and an ingress (eBGP over a veth, namespaces). The egress's
configuration is generated and loaded with "vtysh -f" while its session
is shut down: N services, each with 10 static instances reporting one CPU
metric (variant "cfn"), or N "network" routes with no CFN configuration,
the module loaded and idle (variant "plain"). Then the session is opened
("no neighbor shutdown") and the ingress is polled until it has received
every prefix (show bgp summary), holds every SID in its per-service view
(show bgp cfn, cfn only) and has every route in its kernel FIB (selection
installed through zebra). Reported per variant: config load time, times
to Established, RIB, view and FIB, bgpd and zebra RSS before and after,
the module's accounted memory, and the session's bytes (ss). bgpd's
memory by type ("show memory") goes to a CSV of its own (_memory.csv),
and the types that grow most with CFN are printed per binding. Derived: the
ratios cfn / plain, bytes of memory per SID/BID binding ((RSS growth with
CFN - without) / bindings) and on the wire, and the length of one SID's
CFN attribute as the module encodes it (its debug log).

--solo sets "neighbor ... solo" at the ingress: FRR 8.4 otherwise
announces every route back to the egress it came from (which drops it,
its AS being in the path; "sender-as-path-loop-detection" alone does not
stop that in 8.4), and holds an Adj-RIB-Out attribute per SID for it.

usage: bench/scale.py [--sids N] [--instances K] [--solo] [--csv FILE]
"""

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (cpu_seconds, default_csv,  # noqa: E402
                      memory_bytes, memory_types, plot_path, print_table,
                      pyplot, rss_kib, save_plot, write_csv)

from topolib import VTYSH, Topology, run, wait_until  # noqa: E402

EGRESS_AS, INGRESS_AS = 65001, 65002
SETTLE_S = 3  # after convergence, before reading memory
TIMEOUT_S = 600
MAX_SIDS = 65536  # the address plan below


def sid(i):
    """SIDs from the benchmarking range 198.18.0.0/15 (RFC 2544)."""
    return f"198.{18 + i // 65536}.{(i // 256) % 256}.{i % 256}/32"


def bid(i, j):
    return f"10.{100 + j}.{i // 256}.{i % 256}"


def cfn_config(sids, instances):
    lines = [f"router bgp {EGRESS_AS}"]
    for i in range(sids):
        lines.append(f" cfn service s{i} sid {sid(i)}")
        for j in range(instances):
            lines += [f" cfn service s{i} instance {bid(i, j)} capacity 8",
                      f" cfn service s{i} instance {bid(i, j)} metric "
                      f"cpu-utilization {(7 * i + 13 * j) % 100}"]
    return lines


def plain_config(sids, instances):
    """The same prefixes as plain routes (instances: unused, the signature
    of cfn_config)."""
    return [f"router bgp {EGRESS_AS}"] + [f" network {sid(i)}"
                                          for i in range(sids)]


def load_config(router, lines):
    """Seconds vtysh takes to apply the lines to the router's daemons."""
    path = os.path.join(router.etc_dir, "scale.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    t0 = time.monotonic()
    out = run([VTYSH, "-N", router.ns, "-f", path], check=False)
    seconds = time.monotonic() - t0
    if out.returncode != 0 or "%" in out.stdout:
        raise RuntimeError(f"config load failed:\n{out.stdout[-2000:]}")
    return seconds


def peer_state(ingress, egress_addr):
    """(session state, prefixes received) at the ingress."""
    peers = ingress.vtysh_json("show bgp summary json")
    peer = peers.get("ipv4Unicast", {}).get("peers", {}).get(egress_addr, {})
    return peer.get("state"), peer.get("pfxRcd", 0)


def view_sids(router):
    data = router.vtysh_json("show bgp cfn json")
    return sum(inst["sidsKnown"] for inst in data["instances"])


def fib_routes(router):
    out = router.exec("ip", "-4", "route", "show", "proto", "bgp").stdout
    return out.count("\n")


def session_bytes(router):
    """TCP bytes received on the router's BGP sessions (ss -ti)."""
    out = router.exec("ss", "-tinH", "state", "established",
                      "( sport = :179 or dport = :179 )").stdout
    return sum(int(n) for n in re.findall(r"bytes_received:(\d+)", out))


def updates_received(router):
    peers = router.vtysh_json("show bgp neighbors json")
    return sum(p["messageStats"]["updatesRecv"] for p in peers.values())


def converge(egress, ingress, addrs, sids, cfn, timeline, variant):
    """Open the session; poll the ingress, each reading dated on its own,
    until its RIB, view (cfn) and FIB are complete. Returns seconds from
    opening to each milestone."""
    egress_addr, ingress_addr = addrs
    readings = {"rib": lambda: peer_state(ingress, egress_addr),
                "fib": lambda: ("", fib_routes(ingress))}
    if cfn:
        readings["view"] = lambda: ("", view_sids(ingress))
    t0 = time.monotonic()
    egress.configure(f"no neighbor {ingress_addr} shutdown",
                     context=f"router bgp {EGRESS_AS}")
    done = {}
    while len(done) < len(readings) + 2:
        for name, read in readings.items():
            state, count = read()
            now = round(time.monotonic() - t0, 3)
            if now > TIMEOUT_S:
                raise TimeoutError(f"{variant}: not converged: {done}")
            timeline.append((variant, now, name, count))
            if state == "Established":
                done.setdefault("established", now)
            if count:
                done.setdefault("first_prefix", now)
            if count >= sids:
                done.setdefault(name, now)
    return done


def zebra_routes(router):
    """Routes zebra holds (every source; more than the FIB when several
    sources give the same prefix)."""
    summary = router.vtysh_json("show ip route summary json")
    return summary["routesTotal"]


def attribute_length(egress, index=0):
    """Octets of one SID's CFN attribute value, as the module logs it when
    it announces the SID again after a metric change."""
    egress.vtysh("debug bgp cfn updates")
    egress.configure(f"cfn service s{index} instance {bid(index, 0)} metric "
                     "cpu-utilization 99.5", context=f"router bgp {EGRESS_AS}")
    pattern = re.compile(rf"announce {re.escape(sid(index))}: "
                         r"\d+ instances, seq \d+, (\d+) octets")

    def logged():
        with open(egress.log_file("bgpd")) as f:
            found = pattern.findall(f.read())
        return found[-1] if found else None

    octets = wait_until(logged, timeout=10, what="announcement in the log")
    egress.vtysh("no debug bgp cfn updates")
    return int(octets)


def memory(routers):
    return {f"{name}_{daemon}_rss_kib": rss_kib(router, daemon)
            for name, router in routers.items()
            for daemon in ("bgpd", "zebra")}


def cpu(routers):
    return {f"{name}_{daemon}_cpu_s": cpu_seconds(router, daemon)
            for name, router in routers.items()
            for daemon in ("bgpd", "zebra")}


def delta(after, before):
    return {key: round(after[key] - before[key], 2) for key in before}


def load_phase(egress, make, sids, instances):
    """Load the generated config into the shut-down egress: its size, the
    wall-clock time and bgpd's CPU time."""
    lines = make(sids, instances)
    cpu_before = cpu_seconds(egress)
    seconds = load_config(egress, lines)
    return {"config_lines": len(lines) - 1,
            "config_load_s": round(seconds, 3),
            "config_egress_bgpd_cpu_s": round(cpu_seconds(egress) -
                                              cpu_before, 2),
            "egress_bgpd_rss_config_kib": rss_kib(egress)}


def measure(variant, args, timeline, memory_rows):
    sids, instances = args.sids, args.instances
    topo = Topology("bench-scale")
    egress = topo.add_router("egress", asn=EGRESS_AS)
    ingress = topo.add_router("ingress", asn=INGRESS_AS)
    addrs = topo.add_link(egress, ingress)
    routers = {"egress": egress, "ingress": ingress}
    cfn = variant == "cfn"
    result = {"variant": variant, "sids": sids,
              "bindings": sids * instances if cfn else 0}
    with topo:
        topo.wait_established()
        egress.configure(f"neighbor {addrs[1]} shutdown",
                         context=f"router bgp {EGRESS_AS}")
        if args.solo:
            ingress.configure(f"neighbor {addrs[0]} solo",
                              context=f"router bgp {INGRESS_AS}")
        rss_before = memory(routers)
        result.update(load_phase(egress, cfn_config if cfn else plain_config,
                                 sids, instances))
        cpu_before = cpu(routers)
        done = converge(egress, ingress, addrs, sids, cfn, timeline, variant)
        result.update({f"{k}_s": v for k, v in done.items()})
        result.update({f"converge_{k}": v for k, v in
                       delta(cpu(routers), cpu_before).items()})
        time.sleep(SETTLE_S)
        rss_after = memory(routers)
        for key in rss_before:
            result[key.replace("_rss", "_rss_before")] = rss_before[key]
            result[key.replace("_rss", "_rss_after")] = rss_after[key]
        for name, router in routers.items():
            result[f"{name}_module_bytes"] = memory_bytes(router, "CFN ")
            result[f"{name}_transit_bytes"] = memory_bytes(router,
                                                           "BGP transit")
            memory_rows += [(variant, name, mtype, count, size)
                            for mtype, (count, size)
                            in memory_types(router).items()]
        result["ingress_zebra_routes"] = zebra_routes(ingress)
        result["session_bytes"] = session_bytes(ingress)
        result["updates_received"] = updates_received(ingress)
        result["attribute_octets"] = (attribute_length(egress) if cfn
                                      else 0)
    return result


def growth(result, router, daemon="bgpd"):
    return (result[f"{router}_{daemon}_rss_after_kib"] -
            result[f"{router}_{daemon}_rss_before_kib"])


def ratio(a, b):
    return f"{a / b:.2f}" if b else "-"


def derived(cfn, plain, instances):
    """Ratios cfn / plain and per-binding costs, as (what, value) rows."""
    bindings = cfn["bindings"]
    rows = [(f"{key} cfn / plain", ratio(cfn[key], plain[key]))
            for key in ("config_load_s", "rib_s", "fib_s",
                        "converge_egress_bgpd_cpu_s",
                        "converge_ingress_bgpd_cpu_s",
                        "converge_ingress_zebra_cpu_s")]
    rows.append(("first prefix to full RIB, cfn / plain s",
                 f"{cfn['rib_s'] - cfn['first_prefix_s']:.2f} / "
                 f"{plain['rib_s'] - plain['first_prefix_s']:.2f}"))
    for router, daemon in (("egress", "bgpd"), ("ingress", "bgpd"),
                           ("ingress", "zebra")):
        extra = growth(cfn, router, daemon) - growth(plain, router, daemon)
        rows.append((f"{router} {daemon} RSS growth cfn / plain",
                     ratio(growth(cfn, router, daemon),
                           growth(plain, router, daemon))))
        rows.append((f"{router} {daemon} RSS bytes per binding",
                     f"{extra * 1024 / bindings:.0f}"))
    for router in ("egress", "ingress"):
        rows.append((f"{router} module bytes per binding (show memory)",
                     f"{cfn[f'{router}_module_bytes'] / bindings:.0f}"))
        rows.append((f"{router} bgpd transit bytes per binding",
                     f"{cfn[f'{router}_transit_bytes'] / bindings:.0f}"))
    wire = cfn["session_bytes"] - plain["session_bytes"]
    rows.append(("session bytes cfn / plain",
                 ratio(cfn["session_bytes"], plain["session_bytes"])))
    rows.append(("wire bytes per binding (cfn - plain)",
                 f"{wire / bindings:.1f}"))
    rows.append((f"attribute octets per SID ({instances} instances)",
                 cfn["attribute_octets"]))
    rows.append(("attribute octets per binding",
                 f"{cfn['attribute_octets'] / instances:.1f}"))
    return rows


def memory_growth(memory_rows, router, bindings, top=12):
    """The bgpd memory types that hold the most more with CFN than
    without, as (type, bytes per binding, allocations per binding)
    rows."""
    held = {}
    for variant, name, mtype, count, size in memory_rows:
        if name == router:
            sign = 1 if variant == "cfn" else -1
            was = held.get(mtype, (0, 0))
            held[mtype] = (was[0] + sign * count, was[1] + sign * size)
    ranked = sorted(held.items(), key=lambda item: -item[1][1])[:top]
    return [(mtype, f"{size / bindings:.1f}", f"{count / bindings:.2f}")
            for mtype, (count, size) in ranked]


def plot(timeline, results, path):
    """Convergence at the ingress over time, and RSS before and after."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    names = {"rib": "received (RIB)", "view": "CFN view",
             "fib": "kernel FIB"}
    for variant, style in (("cfn", "-"), ("plain", "--")):
        for reading, label in names.items():
            points = [(t, n) for v, t, r, n in timeline
                      if v == variant and r == reading]
            if points:
                left.plot([p[0] for p in points], [p[1] for p in points],
                          style, drawstyle="steps-post",
                          label=f"{variant}: {label}")
    left.set_xlim(left=max(0, min(r["established_s"] for r in results)
                           - 0.3))
    for result, style in zip(results, ("-", "--")):
        left.axvline(result["established_s"], color="grey", linestyle=style,
                     linewidth=0.8)
    left.set_xlabel("seconds since no neighbor shutdown "
                    "(grey: Established)")
    left.set_ylabel("prefixes at the ingress")
    left.set_title("Convergence")
    left.legend(fontsize=8)
    left.grid(alpha=0.3)
    labels = ["egress bgpd", "ingress bgpd", "ingress zebra"]
    keys = [("egress", "bgpd"), ("ingress", "bgpd"), ("ingress", "zebra")]
    width = 0.2
    for k, (result, phase) in enumerate(
            (r, p) for r in results for p in ("before", "after")):
        values = [result[f"{rt}_{d}_rss_{phase}_kib"] / 1024
                  for rt, d in keys]
        right.bar([x + (k - 1.5) * width for x in range(len(keys))], values,
                  width, label=f"{result['variant']} {phase}")
    right.set_xticks(range(len(keys)), labels)
    right.set_ylabel("RSS MiB")
    right.set_title(f"Memory, {results[0]['sids']} SIDs")
    right.legend(fontsize=8)
    save_plot(fig, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sids", type=int, default=10000)
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--solo", action="store_true")
    parser.add_argument("--csv", default=default_csv("scale.csv"))
    args = parser.parse_args()
    if not 0 < args.sids <= MAX_SIDS or not 0 < args.instances <= 64:
        parser.error(f"--sids 1..{MAX_SIDS}, --instances 1..64")
    timeline, memory_rows = [], []
    results = [measure(v, args, timeline, memory_rows)
               for v in ("cfn", "plain")]
    header = list(results[0])
    write_csv(args.csv, header, [[r.get(k, "") for k in header]
                                 for r in results])
    write_csv(args.csv.replace(".csv", "_timeline.csv"),
              ["variant", "seconds", "reading", "count"], timeline)
    write_csv(args.csv.replace(".csv", "_memory.csv"),
              ["variant", "router", "type", "allocations", "bytes"],
              memory_rows)
    plot(timeline, results, plot_path(args.csv))
    print_table(["measure"] + [r["variant"] for r in results],
                [[k] + [r.get(k, "") for r in results] for k in header
                 if k != "variant"])
    print()
    print_table(["derived", "value"], derived(*results, args.instances))
    for router in ("ingress", "egress"):
        print()
        print_table([f"{router} bgpd memory type, cfn - plain",
                     "bytes per binding", "allocations per binding"],
                    memory_growth(memory_rows, router, results[0]["bindings"]))


if __name__ == "__main__":
    main()
