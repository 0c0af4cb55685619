#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Churn: the BGP control plane's cost of CFN under continuous load
changes, against the same network carrying the same prefixes as plain BGP,
at several sizes in one run.

The network (one per size and variant, network namespaces): E egress
bgpds (e1..eE), 2 route reflectors (rr1, rr2) and 4 ingresses (i1..i4),
all in AS 65000; every client peers with both reflectors (iBGP between
loopbacks, add-path from the reflectors so that an ingress sees every
egress; a peer group per role). The IGP is static: every router hangs
off one forwarding-only namespace (hub) by a veth, with a kernel route
to 10.0.0.0/16 through it,
and the hub has a /32 route to every loopback. Static routes cost no CPU
on 2 shared cores, where 46 OSPF processes would add their hellos and SPF
runs to the very CPU figures being measured. e1 and e2 also have a direct
link to every ingress (a /32 route to their loopback over it), so that the
ingress's kernel route for the marker SID (below) shows which egress it
uses.

Variant "cfn": S SIDs (198.18.0.0/32 upwards), each served at `sites`
egresses with `instances` instances each, registered over each egress's
API socket. A load trace moves every instance's CPU utilisation: smooth
drift (a sine of period DRIFT_PERIOD_S), bursts (a site jumps by
BURST_LOAD for BURST_S, BURST_RATE times per second on average) and a
fraction of sites flapping between idle and busy every FLAP_S. Every
REPORT_S each egress reports all its instances, one API Batch per
service (as cfn-agent does), with the default damping and an update
budget: `cfn damping max-rate` of --reflector-budget (400 UPDATEs per
second) over the egresses, so that each reflector takes the same
whatever the number of egresses. Variant "plain": the same prefixes at
the same egresses as `network` statements, no CFN configuration (the
module is loaded and idle).

Measured per size and variant, over a window of --seconds (cfn, trace
running) or --plain-seconds (plain: nothing changes): UPDATEs received per
second at rr1 and at i1; CPU seconds per minute (/proc/PID/stat) of the
reflectors' and ingresses' bgpd and the ingresses' zebra (and the
egresses' bgpd, and the trace driver itself); VmRSS of bgpd per role
after convergence. Reaction time (cfn): the marker SID (bench/reaction.py's
service at e1 and e2) is flipped between e1 and e2 by API load reports,
each timed from the report to the route change in every ingress's kernel
FIB (ip -ts monitor route), first on the idle network (trace not yet
started; once the reflectors have sent everything, after one untimed
change), then while the trace runs.

The egresses other than e1 and e2 and their trace driver stand for
machines of their own: on these 2 cores they run at nice 19 (their
autogroups too), so that they do not take the CPU of the routers the
marker goes through; e1 and e2 have a driver of their own at normal
priority. --shared-cpu runs everything at the same priority.

usage: bench/churn.py [--egresses E] [--sids S] [--sizes ExS,...]
           [--sites K] [--instances I] [--seconds W] [--plain-seconds W]
           [--changes N] [--reflector-budget R] [--shared-cpu]
           [--results DIR]
"""

import argparse
import math
import multiprocessing
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import (KernelRouteMonitor, cpu_seconds,  # noqa: E402
                      default_csv, process_cpu_seconds, median_p99, print_markdown_table,
                      print_table, pyplot, rss_kib, save_plot, write_csv)

import cfnapi  # noqa: E402
import cfnnet  # noqa: E402
import reaction  # noqa: E402
from scale import bid, sid  # noqa: E402
from topolib import Topology, wait_until  # noqa: E402

ASN = 65000
INGRESSES = 4
REFLECTORS = 2
MARKER_EGRESSES = ("e1", "e2")  # reaction.py's marker service lives here
LOAD_NICE = 19  # the other egresses and the trace driver (lower_priority)
LOOPBACKS = "10.0.0.0/16"
# The trace (seconds, CPU utilisation in percent)
REPORT_S = 1.0
DRIFT_PERIOD_S = 120.0
DRIFT_AMPLITUDE = 15.0
BURST_RATE = 0.01      # bursts per site per second
BURST_S = 5.0
BURST_LOAD = 40.0
FLAP_FRACTION = 0.1    # of the sites
FLAP_S = 10.0
FLAP_LOADS = (5.0, 95.0)
WARMUP_S = 5           # trace running before the window opens
CONVERGE_TIMEOUT_S = 900
MARKER_TIMEOUT_S = 10  # a marker change not in a FIB by then is missed


# -- the network ----------------------------------------------------------

def placement(sids, egresses, sites):
    """{egress index: [SID index...]}: SID i at `sites` egresses spread
    evenly, starting at i (so every egress hosts as many)."""
    stride = egresses // sites
    hosted = {e: [] for e in range(egresses)}
    for i in range(sids):
        for s in range(sites):
            hosted[(i + s * stride) % egresses].append(i)
    return hosted


def site_of(i, egress, egresses, sites):
    """Which of SID i's sites an egress is (numbers its instances)."""
    return ((egress - i) % egresses) // (egresses // sites)


def reflector_config(groups):
    """Clients in one peer group per role, as an operator would configure
    a reflector with many clients: one update group each. An update
    group sends at the pace of its slowest member (FRR builds its
    UPDATEs once, into a queue of at most `bgp default
    subgroup-pkt-queue-max` packets that every member must have sent), so
    the ingresses do not wait for busy egresses."""
    lines = [f"router bgp {ASN}"]
    for group, clients in groups.items():
        lines += [f" neighbor {group} peer-group",
                  f" neighbor {group} remote-as {ASN}",
                  f" neighbor {group} update-source lo",
                  f" neighbor {group} timers connect 1"]
        lines += [f" neighbor {c.router_id} peer-group {group}"
                  for c in clients]
    lines.append(" address-family ipv4 unicast")
    for group in groups:
        lines += [f"  neighbor {group} route-reflector-client",
                  f"  neighbor {group} addpath-tx-all-paths"]
    lines += [" exit-address-family", "exit"]
    return "\n".join(lines) + "\n"


def egress_config(sids, variant, max_rate):
    """cfn: the services the egress hosts (their instances come over the
    API) and its update budget; plain: the same prefixes as network
    statements."""
    lines = [f"router bgp {ASN}"]
    if variant == "cfn":
        # reports come every REPORT_S; a stalled driver must not turn
        # into stale-flag churn of its own, and the connections stay open
        # while a large network converges before the trace starts
        lines += [" cfn api stale-after 0", " cfn api idle-timeout 0"]
        if max_rate:
            lines.append(f" cfn damping max-rate {max_rate}")
        lines += [f" cfn service s{i} sid {sid(i)}" for i in sids]
    else:
        lines += [f" network {sid(i)}" for i in sids]
    return "\n".join(lines + ["exit"]) + "\n"


def ingress_config():
    return "\n".join([
        f"router bgp {ASN}",
        f" cfn service {reaction.SERVICE} sid {reaction.SID}",
        f" cfn service {reaction.SERVICE} selection hysteresis 0",
        "exit"]) + "\n"


def build(variant, egresses, hosted, max_rate):
    """The topology, not started; routers by role."""
    topo = Topology(f"churn-{variant}")
    hub = topo.add_router("hub", daemons=())
    roles = {
        "rr": [topo.add_router(f"rr{k}", asn=ASN, router_id=f"10.0.2.{k}",
                               link_peers=False)
               for k in range(1, REFLECTORS + 1)],
        "ingress": [topo.add_router(f"i{k}", asn=ASN,
                                    router_id=f"10.0.1.{k}",
                                    link_peers=False)
                    for k in range(1, INGRESSES + 1)],
        "egress": [topo.add_router(f"e{k}", asn=ASN,
                                   router_id=f"10.0.3.{k}", link_peers=False)
                   for k in range(1, egresses + 1)]}
    uplinks = {r.name: topo.add_link(hub, r)
               for role in roles.values() for r in role}
    direct = {(i.name, e): topo.add_link(i, topo[e])[1]
              for i in roles["ingress"] for e in MARKER_EGRESSES}
    rr_ids = [rr.router_id for rr in roles["rr"]]
    for rr in roles["rr"]:
        rr.config = reflector_config({role: roles[role] for role in
                                      ("ingress", "egress")})
    for ingress in roles["ingress"]:
        ingress.config = ingress_config() + cfnnet.ibgp_client_config(
            rr_ids)
    for k, egress in enumerate(roles["egress"]):
        egress.config = (cfnnet.ibgp_client_config(rr_ids) +
                         egress_config(hosted[k], variant, max_rate))
    return topo, hub, roles, uplinks, direct


def static_routes(topo, hub, roles, uplinks, direct):
    """The static IGP: loopbacks through the hub, the marker egresses'
    over their direct links."""
    hub.exec("sysctl", "-qw", "net.ipv4.ip_forward=1")
    for role in roles.values():
        for router in role:
            hub_addr, addr = uplinks[router.name]
            hub.exec("ip", "route", "add", f"{router.router_id}/32", "via",
                     addr)
            router.exec("ip", "route", "add", LOOPBACKS, "via", hub_addr)
    for (ingress, egress), addr in direct.items():
        topo[ingress].exec("ip", "route", "add",
                           f"{topo[egress].router_id}/32", "via", addr)


# -- convergence ----------------------------------------------------------

def paths_received(router):
    return sum(p.get("pfxRcd", 0) for p in router.bgp_peers().values())


def all_established(router, count):
    peers = router.bgp_peers()
    return len(peers) == count and all(p["state"] == "Established"
                                       for p in peers.values())


def wait_converged(roles, expected_paths):
    """Every session up; every ingress has every path from both
    reflectors."""
    clients = len(roles["ingress"]) + len(roles["egress"])
    for rr in roles["rr"]:
        wait_until(lambda rr=rr: all_established(rr, clients),
                   timeout=CONVERGE_TIMEOUT_S, interval=1,
                   what=f"{rr.name}: every client Established")
    for ingress in roles["ingress"]:
        wait_until(lambda i=ingress: paths_received(i) >= expected_paths,
                   timeout=CONVERGE_TIMEOUT_S, interval=1,
                   what=f"{ingress.name}: {expected_paths} paths")


def wait_quiet(roles):
    """Until the reflectors have sent every client everything: the
    niced egresses take in the network's paths well after the ingresses
    have them, and a reflector still sending to them delays what the
    idle timing measures (one change took 838 ms against 114)."""
    last = {}

    def unchanged():
        now = [updates(rr, "Sent") for rr in roles["rr"]]
        previous, last["sent"] = last.get("sent"), now
        return now == previous
    wait_until(unchanged, timeout=CONVERGE_TIMEOUT_S, interval=2,
               what="reflectors quiet")


def redundancy_check(ingress, sites):
    """Item 2 of issue 17: SID 0 comes from each of its egresses over both
    reflectors, and the per-service view counts each egress once."""
    paths = ingress.vtysh_json(f"show bgp ipv4 unicast {sid(0)} json")
    egresses = cfnnet.egresses(ingress, sid(0))
    if len(egresses) != sites:
        raise RuntimeError(f"{ingress.name}: {sid(0)} has {len(egresses)} "
                           f"egresses in the view, expected {sites}")
    return len(paths.get("paths", [])), len(egresses)


# -- the load trace -------------------------------------------------------

class Site:
    """One SID at one egress: its instances' loads over time."""

    def __init__(self, rng, instances):
        self.base = rng.uniform(20, 60)
        self.phases = [rng.uniform(0, 2 * math.pi) for _ in range(instances)]
        self.flap_phase = (rng.uniform(0, 2 * FLAP_S)
                           if rng.random() < FLAP_FRACTION else None)
        self.burst_until = -1.0

    def loads(self, t, rng):
        if self.flap_phase is not None:
            busy = int((t + self.flap_phase) / FLAP_S) % 2
            return [FLAP_LOADS[busy]] * len(self.phases)
        if t >= self.burst_until and rng.random() < BURST_RATE * REPORT_S:
            self.burst_until = t + BURST_S
        burst = BURST_LOAD if t < self.burst_until else 0.0
        return [min(100.0, max(0.0, self.base + burst + DRIFT_AMPLITUDE *
                               math.sin(2 * math.pi * t / DRIFT_PERIOD_S +
                                        phase)))
                for phase in self.phases]


class Egress:
    """One egress's API connection and the sites (SIDs) it reports."""

    def __init__(self, router, index, sids, egresses, args, rng):
        self.router = router
        self.client = cfnapi.Client(os.path.join(router.run_dir,
                                                 "cfn-api.sock"))
        self.instances = {i: [bid(i, site_of(i, index, egresses, args.sites)
                                  * args.instances + k)
                              for k in range(args.instances)]
                          for i in sids}
        self.rng = rng
        self.sites = {i: Site(rng, args.instances) for i in sids}
        self.next_id = 1

    def send(self, make):
        """Pipeline one request per SID; replies() reads them."""
        for i in self.instances:
            self.client.send(make(self.next_id, i))
            self.next_id += 1
        return len(self.instances)

    def replies(self):
        for i in self.instances:
            status = cfnapi.reply_status(self.client.reply())
            if status != 0:
                raise RuntimeError(f"{self.router.name}: API refused a "
                                   f"batch (status {status})")

    def register(self):
        def make(req_id, i):
            loads = self.sites[i].loads(0.0, self.rng)
            return cfnapi.batch(req_id, f"s{i}", registers=[
                cfnapi.instance_report(b, capacity=8, hold=3600,
                                       metrics=[reaction.cpu_metric(load)])
                for b, load in zip(self.instances[i], loads)])
        return self.send(make)

    def report(self, t):
        def make(req_id, i):
            loads = self.sites[i].loads(t, self.rng)
            return cfnapi.batch(req_id, f"s{i}", updates=[
                cfnapi.instance_report(b, metrics=[reaction.cpu_metric(load)])
                for b, load in zip(self.instances[i], loads)])
        return self.send(make)


class Trace:
    """Reports every egress's instances every REPORT_S until stopped, in
    a process of its own: the marker's reports, timed in this one, never
    wait for it."""

    def __init__(self, egresses, low_priority):
        context = multiprocessing.get_context("fork")  # the connections
        self.low_priority = low_priority
        self.stopping = context.Event()
        self.batches = context.Value("q", 0)
        self.late_ticks = context.Value("q", 0)  # rounds over REPORT_S
        self.process = context.Process(target=self._run, args=(egresses,),
                                       daemon=True)

    def start(self):
        self.process.start()

    def cpu_seconds(self):
        return process_cpu_seconds(self.process.pid)

    def _run(self, egresses):
        # the network is this benchmark's to tear down, not the driver's
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if self.low_priority:
            os.setsid()  # an autogroup of its own, not the benchmark's
            lower_priority(os.getpid())
        t0 = time.monotonic()
        tick = 1
        while not self.stopping.is_set():
            t = time.monotonic() - t0
            # every egress's requests first, then the replies: the
            # egresses' bgpds answer in parallel, not one after the other
            for egress in egresses:
                self.batches.value += egress.report(t)
            for egress in egresses:
                egress.replies()
            wait = t0 + tick * REPORT_S - time.monotonic()
            self.late_ticks.value += wait < 0
            tick += 1
            self.stopping.wait(max(0.0, wait))

    def stop(self):
        self.stopping.set()
        self.process.join()
        if self.process.exitcode:
            raise RuntimeError("load trace failed (its error is above)")


# -- measurements ---------------------------------------------------------

def updates(router, direction="Recv"):
    """UPDATEs the router received (or sent: "Sent") on all sessions."""
    peers = router.vtysh_json("show bgp neighbors json")
    return sum(p["messageStats"][f"updates{direction}"]
               for p in peers.values())


def counters(roles, traces=()):
    """What the window measures, read at its start and its end."""
    values = {"t": time.monotonic(),
              "cpu_driver": sum(t.cpu_seconds() for t in traces),
              "upd_rr": updates(roles["rr"][0]),
              "upd_rr_sent": updates(roles["rr"][0], "Sent"),
              "upd_ingress": updates(roles["ingress"][0])}
    for role, daemon in (("rr", "bgpd"), ("ingress", "bgpd"),
                         ("ingress", "zebra"), ("egress", "bgpd")):
        values[f"cpu_{role}_{daemon}"] = sum(cpu_seconds(r, daemon)
                                            for r in roles[role])
    return values


def window_rates(before, after, roles):
    """UPDATEs per second; CPU seconds per minute, per daemon (mean of its
    role)."""
    seconds = after["t"] - before["t"]
    result = {"window_s": round(seconds, 1)}
    for key in ("upd_rr", "upd_rr_sent", "upd_ingress"):
        result[f"{key}_per_s"] = round((after[key] - before[key]) / seconds,
                                       1)
    for key in before:
        if key.startswith("cpu_"):
            role = key.split("_")[1]
            count = len(roles[role]) if role in roles else 1
            result[f"{key}_per_min"] = round(
                (after[key] - before[key]) * 60 / seconds / count, 3)
    return result


def rss(roles):
    """bgpd VmRSS (KiB) per role: the mean, and the largest egress."""
    result = {f"rss_{role}_bgpd_kib": round(
        sum(rss_kib(r) for r in routers) / len(routers))
        for role, routers in roles.items()}
    result["rss_egress_bgpd_max_kib"] = max(rss_kib(r)
                                            for r in roles["egress"])
    result["rss_ingress_zebra_kib"] = round(
        sum(rss_kib(r, "zebra") for r in roles["ingress"]) /
        len(roles["ingress"]))
    return result


class Marker:
    """bench/reaction.py's marker service at e1 and e2, timed at every
    ingress's kernel FIB."""

    def __init__(self, topo, roles):
        self.clients = reaction.register_instances(topo)
        self.ingresses = roles["ingress"]
        self.gw = {(i.name, e): cfnnet.gateway_to(i, e)[0]
                   for i in self.ingresses for e in reaction.BIDS}
        for ingress in self.ingresses:
            wait_until(lambda i=ingress: self.gw[(i.name, "e1")] in str(
                cfnnet.kernel_nexthops(i, reaction.SID)),
                timeout=CONVERGE_TIMEOUT_S,
                what=f"{ingress.name}: marker via e1")
        self.monitors = {i.name: KernelRouteMonitor(i)
                         for i in self.ingresses}
        self.changes = 0

    def change(self, phase):
        """One report that moves the marker; a row per ingress."""
        egress, load, to = reaction.CYCLE[self.changes % len(reaction.CYCLE)]
        self.changes += 1
        time.sleep(reaction.SPACING_S)
        t0 = time.time()
        reaction.report(self.clients[egress], self.changes + 100,
                        reaction.BIDS[egress], load)
        rows = []
        for ingress in self.ingresses:
            via = f"via {self.gw[(ingress.name, to)]} "
            try:
                t_fib = self.monitors[ingress.name].wait_event(
                    reaction.SID, t0, lambda e: not e.deleted and
                    via in e.line, f"{ingress.name}: marker {via}",
                    timeout=MARKER_TIMEOUT_S)
                ms = round((t_fib - t0) * 1000, 2)
            except TimeoutError as err:
                ms = ""  # counted as missed, the run goes on
                print(f"{phase} change {self.changes}: {err}; view: "
                      f"{cfnnet.egresses(ingress, reaction.SID)}",
                      file=sys.stderr)
            rows.append((phase, self.changes, ingress.name, egress, load, to,
                         ms))
        return rows


def reaction_summary(rows, phase):
    times = [r[-1] for r in rows if r[0] == phase]
    values = [ms for ms in times if ms != ""]
    if not values:
        return {}
    median, p99 = median_p99(values)
    return {f"react_{phase}_n": len(values),
            f"react_{phase}_missed": len(times) - len(values),
            f"react_{phase}_p50_ms": round(median, 1),
            f"react_{phase}_p99_ms": round(p99, 1)}


def egress_max_rate(reflector_budget, egresses):
    """An operator's sizing: what a reflector takes, shared by the nodes
    that send to it."""
    return max(1, reflector_budget // egresses) if reflector_budget else 0


def lower_priority(pid):
    """Every thread of a process at LOAD_NICE, and its session's autogroup:
    with the kernel's autogroup scheduling (sched_autogroup_enabled) a
    daemon, a session of its own, competes as a group, whatever its
    threads' nice value."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        os.setpriority(os.PRIO_PROCESS, int(tid), LOAD_NICE)
    if os.path.exists(f"/proc/{pid}/autogroup"):
        with open(f"/proc/{pid}/autogroup", "w") as f:
            f.write(str(LOAD_NICE))


def lower_load_priority(routers):
    """The egresses off the marker's path stand for routers with CPUs of
    their own: here they share 2 cores with the routers the marker goes
    through, so their daemons run at the lowest priority (--shared-cpu:
    equal priority)."""
    for router in routers:
        for pid in router.daemon_pids().values():
            lower_priority(pid)


def measure(variant, size, args):
    """One network of the size: (result, reaction rows)."""
    egresses, sids = size
    hosted = placement(sids, egresses, args.sites)
    max_rate = egress_max_rate(args.reflector_budget, egresses)
    topo, hub, roles, uplinks, direct = build(variant, egresses, hosted,
                                              max_rate)
    result = {"variant": variant, "egresses": egresses, "sids": sids,
              "max_rate": max_rate if variant == "cfn" else "",
              "load_nice": 0 if args.shared_cpu else LOAD_NICE,
              "bindings": (sids * args.sites * args.instances
                           if variant == "cfn" else 0)}
    with topo:
        started = time.monotonic()
        static_routes(topo, hub, roles, uplinks, direct)
        if not args.shared_cpu:
            lower_load_priority([e for e in roles["egress"]
                                 if e.name not in MARKER_EGRESSES])
        phases = cfn_phases if variant == "cfn" else plain_phase
        rows = phases(topo, roles, hosted, args, result, started)
    return result, [(egresses, sids, *row) for row in rows]


def plain_phase(topo, roles, hosted, args, result, started):
    """Converge, then a window in which nothing changes."""
    wait_converged(roles, REFLECTORS * result["sids"] * args.sites)
    result["converge_s"] = round(time.monotonic() - started, 1)
    result["paths_sid0"] = len(roles["ingress"][0].vtysh_json(
        f"show bgp ipv4 unicast {sid(0)} json").get("paths", []))
    before = counters(roles)
    time.sleep(args.plain_seconds)
    result.update(window_rates(before, counters(roles), roles))
    result.update(rss(roles))
    return []


def cfn_phases(topo, roles, hosted, args, result, started):
    """Register every instance and the marker, converge, time the marker
    on the idle network, then under the trace."""
    drivers = register_all(roles["egress"], hosted, args)
    marker = Marker(topo, roles)
    wait_converged(roles, REFLECTORS * (result["sids"] * args.sites +
                                        len(MARKER_EGRESSES)))
    result["converge_s"] = round(time.monotonic() - started, 1)
    result["paths_sid0"], result["view_egresses_sid0"] = \
        redundancy_check(roles["ingress"][0], args.sites)
    result.update(rss(roles))
    wait_quiet(roles)
    marker.change("warmup")  # not timed: the first after convergence
    before = counters(roles)
    rows = [row for _ in range(args.changes)
            for row in marker.change("idle")]
    idle = window_rates(before, counters(roles), roles)
    result.update({f"idle_{k}": v for k, v in idle.items()})
    rows += churn_phase(drivers, marker, roles, args, result)
    result.update({f"churn_{k}": v for k, v in rss(roles).items()})
    for phase in ("idle", "churn"):
        result.update(reaction_summary(rows, phase))
    for driver in drivers:
        driver.client.close()
    return rows


def register_all(egresses, hosted, args):
    """An API connection per egress, every instance registered."""
    rng = random.Random(17)  # the same trace at every size
    for egress in egresses:
        wait_until(lambda e=egress: os.path.exists(
            os.path.join(e.run_dir, "cfn-api.sock")),
            what=f"{egress.name} API socket")
    drivers = [Egress(router, k, hosted[k], len(egresses), args, rng)
               for k, router in enumerate(egresses)]
    for driver in drivers:
        driver.register()
        driver.replies()
    return drivers


def churn_phase(drivers, marker, roles, args, result):
    """The trace running: the window's rates, marker changes throughout.
    The marker's egresses are driven by a process of their own at normal
    priority, as their own agents would report on time; a driver niced
    with the other egresses falls behind them at 40 egresses and would
    hand e1 and e2 several seconds of the trace at once."""
    on_path = [d for d in drivers if d.router.name in MARKER_EGRESSES]
    traces = [Trace(on_path, False),
              Trace([d for d in drivers if d not in on_path],
                    not args.shared_cpu)]
    for trace in traces:
        trace.start()
    time.sleep(WARMUP_S)
    before = counters(roles, traces)
    rows = []
    while time.monotonic() - before["t"] < args.seconds:
        rows += marker.change("churn")
    after = counters(roles, traces)
    for trace in traces:
        trace.stop()
    result.update(window_rates(before, after, roles))
    result["batches_per_s"] = round(
        sum(t.batches.value for t in traces) /
        (after["t"] - before["t"] + WARMUP_S), 1)
    result["late_ticks"] = traces[1].late_ticks.value
    result["late_ticks_marker_egresses"] = traces[0].late_ticks.value
    return rows


# -- reporting ------------------------------------------------------------

def default_sizes(egresses, sids, sites):
    """Three node counts at S SIDs and three SID counts at E egresses."""
    nodes = sorted({max(sites, egresses // 4), max(sites, egresses // 2),
                    egresses})
    counts = sorted({max(1, sids // 4), max(1, sids // 2), sids})
    return sorted({(e, sids) for e in nodes} | {(egresses, s)
                                                 for s in counts})


def parse_sizes(text):
    return sorted(tuple(int(n) for n in item.split("x"))
                  for item in text.split(","))


PLOTS = (("UPDATEs / s", (("upd_rr_per_s", "at rr1"),
                          ("upd_ingress_per_s", "at i1"))),
         ("CPU s / min", (("cpu_rr_bgpd_per_min", "RR bgpd"),
                          ("cpu_ingress_bgpd_per_min", "ingress bgpd"),
                          ("cpu_ingress_zebra_per_min", "ingress zebra"))),
         ("reaction ms (cfn)", (("react_idle_p50_ms", "idle p50"),
                                ("react_idle_p99_ms", "idle p99"),
                                ("react_churn_p50_ms", "churn p50"),
                                ("react_churn_p99_ms", "churn p99"))),
         ("bgpd RSS MiB", (("rss_rr_bgpd_kib", "RR"),
                           ("rss_ingress_bgpd_kib", "ingress"),
                           ("rss_egress_bgpd_kib", "egress"))))


def plot(results, path, axis, fixed):
    """Each measure against SIDs (at the most egresses) or egresses (at
    the most SIDs); cfn solid, plain dashed."""
    other = "egresses" if axis == "sids" else "sids"
    chosen = [r for r in results if r[other] == fixed]
    if len({r[axis] for r in chosen}) < 2:
        return
    plt = pyplot()
    fig, panels = plt.subplots(1, len(PLOTS), figsize=(4.2 * len(PLOTS), 3.8))
    for ax, (title, series) in zip(panels, PLOTS):
        for variant, style in (("cfn", "o-"), ("plain", "s--")):
            rows = sorted((r for r in chosen if r["variant"] == variant),
                          key=lambda r: r[axis])
            for key, label in series:
                points = [(r[axis], r[key] / (1024 if "kib" in key else 1))
                          for r in rows if r.get(key) not in (None, "")]
                if points:
                    ax.plot(*zip(*points), style,
                            label=f"{variant}: {label}")
        ax.set_xlabel(axis)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"Churn: growth with {axis} ({other} = {fixed})")
    save_plot(fig, path)


SUMMARY = ("variant", "egresses", "sids", "upd_rr_per_s",
           "upd_ingress_per_s", "cpu_rr_bgpd_per_min",
           "cpu_ingress_bgpd_per_min", "cpu_ingress_zebra_per_min",
           "react_idle_p50_ms", "react_idle_p99_ms", "react_churn_p50_ms",
           "react_churn_p99_ms", "rss_rr_bgpd_kib", "rss_ingress_bgpd_kib",
           "rss_egress_bgpd_kib")


def report(results, reactions, results_dir):
    header = sorted({k for r in results for k in r},
                    key=lambda k: (k not in SUMMARY, SUMMARY.index(k)
                                   if k in SUMMARY else 0, k))
    csv_path = os.path.join(results_dir, "churn.csv")
    write_csv(csv_path, header, [[r.get(k, "") for k in header]
                                 for r in results])
    write_csv(os.path.join(results_dir, "churn_reaction.csv"),
              ["egresses", "sids", "phase", "change", "ingress",
               "reporting_egress", "cpu_load", "fib_via", "ms"], reactions)
    most_egresses = max(r["egresses"] for r in results)
    most_sids = max(r["sids"] for r in results)
    plot(results, os.path.join(results_dir, "churn_sids.png"), "sids",
         most_egresses)
    plot(results, os.path.join(results_dir, "churn_nodes.png"), "egresses",
         most_sids)
    rows = [[r.get(k, "") for k in SUMMARY] for r in results]
    print_table(SUMMARY, rows)
    print()
    print_markdown_table(SUMMARY, rows)  # for doc/benchmarks.md


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--egresses", type=int, default=40)
    parser.add_argument("--sids", type=int, default=2000)
    parser.add_argument("--sizes", help="EGRESSESxSIDS,... (default: "
                        "E/4, E/2, E at S SIDs and S/4, S/2, S at E)")
    parser.add_argument("--sites", type=int, default=4,
                        help="egresses serving each SID")
    parser.add_argument("--instances", type=int, default=2,
                        help="instances of a SID at each of its sites")
    parser.add_argument("--seconds", type=float, default=60,
                        help="churn window")
    parser.add_argument("--plain-seconds", type=float, default=20)
    parser.add_argument("--changes", type=int, default=20,
                        help="marker changes on the idle network")
    parser.add_argument("--reflector-budget", type=int, default=400,
                        help="UPDATEs per second into each reflector: "
                        "every egress gets `cfn damping max-rate` of "
                        "this over the egresses (0: no budget)")
    parser.add_argument("--shared-cpu", action="store_true",
                        help="run every router and the trace driver at "
                        "the same priority")
    parser.add_argument("--results", default=default_csv("churn"))
    args = parser.parse_args()
    sizes = (parse_sizes(args.sizes) if args.sizes else
             default_sizes(args.egresses, args.sids, args.sites))
    for egresses, sids in sizes:
        if not (max(args.sites, len(MARKER_EGRESSES)) <= egresses <= 254
                and 0 < sids <= 65536):
            parser.error(f"size {egresses}x{sids}: egresses "
                         f"{args.sites}..254, SIDs 1..65536")
    if not 0 < args.sites * args.instances <= 64:
        parser.error("--sites x --instances: 1..64 instances per SID")
    results, reactions = [], []
    started = time.monotonic()
    for size in sizes:
        for variant in ("plain", "cfn"):
            result, rows = measure(variant, size, args)
            results.append(result)
            reactions += rows
            print(f"{result['variant']} {size[0]}x{size[1]} done at "
                  f"{time.monotonic() - started:.0f} s", flush=True)
    report(results, reactions, args.results)


if __name__ == "__main__":
    main()
