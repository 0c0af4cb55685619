#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Live dispatch benchmark (issue 13): real routers, servers and clients.

The same comparison as bench/dispatch.py (a model), run live in network
namespaces: 3 ingresses (west, east, south), a route reflector and 4 edge
sites (edge-a, edge-b, metro, core) with unequal capacities and IGP costs
(OSPF; the server adds the cost in ms to each reply as the RTT), FRR
zebra+ospfd+bgpd with the CFN module on every router, a client host behind
each ingress. Each site runs a server on the SID (TCP, a fixed number of
slots and a service time; requests beyond the free slots queue); edge-a
has bursty background load (90 % of its slots for 4 s, 10 % for 2 s).
Open-loop Poisson clients (a new TCP connection per request, 2 s timeout;
each region's rate follows bench/dispatch.py's day, a raised cosine from
55 % of its peak, squeezed into each run) send the same arrivals (fixed
seeds) to every variant:

  anycast      plain BGP anycast (nearest site by IGP cost)
  healthcheck  exabgp healthcheck per site, MED 100 up / 1000 down
  ucmp         FRR link-bandwidth weighted ECMP over eBGP from every site
  ucmp-net     the same, bandwidths = capacity net of the mean background
  best, weighted, balanced   the CFN module's selection modes (cfn-agent
               reports the servers' utilisation and queue)

usage: bench/dispatch_live.py [--quick] [--variants LIST] [--scales LIST]
           [--seconds S] [--results DIR] [--new-metrics auto|on|off]
           [--network-penalty PCT] [--spill-at PCT] [--service-ms MS]

Internal roles (run by the benchmark inside the namespaces):
  dispatch_live.py server NAME SLOTS SERVICE_S STATSDIR [BG_PLAN]
  dispatch_live.py client RATE SECONDS T0 SEED TIMEOUT OUT.csv
"""

import argparse
import asyncio
import collections
import csv
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
SID = "198.51.100.10/32"
ADDRESS = SID.split("/")[0]
PORT = 9000
SERVICE = "svc"
ASN = 65000
RR_ID = "10.0.0.9"
SERVICE_S = 0.05         # service time of one request (--service-ms)
TIMEOUT_S = 2.0          # client-side timeout
HOT = 90.0               # a site at or above this utilisation is "hot"
BG_PLAN = "90 4 10 2"    # edge-a: the field trial's bursts (percent seconds)

# site: (node ID, slots, background plan, local AS for eBGP in ucmp)
SITES = {"edge-a": ("10.0.0.11", 10, BG_PLAN, 65101),
         "edge-b": ("10.0.0.12", 6, "", 65102),
         "metro": ("10.0.0.13", 12, "", 65103),
         "core": ("10.0.0.14", 20, "", 65104)}
# ingress: (node ID, client weight, IGP cost to each site = RTT in ms,
# demand peak as a fraction of the run), as in bench/dispatch_scenario.c
INGRESSES = {"west": ("10.0.0.1", 320, {"edge-a": 4, "edge-b": 18,
                                        "metro": 12, "core": 30}, 0.4),
             "east": ("10.0.0.2", 260, {"edge-a": 18, "edge-b": 4,
                                        "metro": 12, "core": 30}, 0.5),
             "south": ("10.0.0.3", 300, {"edge-a": 20, "edge-b": 16,
                                         "metro": 6, "core": 24}, 0.6)}
INGRESS_AS_EBGP = 64900  # the ingresses' AS on the ucmp eBGP sessions
ALL_VARIANTS = ("anycast", "healthcheck", "ucmp", "ucmp-net", "best",
                "weighted", "balanced")
CFN_MODES = ("best", "weighted", "balanced")


def bg_mean(plan):
    nums = [float(x) for x in plan.split()]
    if not nums:
        return 0.0
    pairs = list(zip(nums[::2], nums[1::2]))
    return sum(p * s for p, s in pairs) / sum(s for _, s in pairs) / 100


def capacity(site):
    """Requests/s a site serves: slots / service time."""
    return SITES[site][1] / SERVICE_S


def effective_capacity():
    """Total capacity net of the mean background."""
    return sum(capacity(s) * (1 - bg_mean(SITES[s][2])) for s in SITES)


# The model's nominal demand (bench/dispatch_scenario.c) over the capacity
# its background leaves: mean demand 0.775 x (320 + 260 + 300) = 682 req/s
# against 400 x 0.367 + 300 x 0.55 + 600 x 0.75 + 1000 x 0.85 = 1612 req/s.
MODEL_NOMINAL_LOAD = 682.0 / 1611.7


def nominal_demand():
    """Demand x1: the model's nominal load on the capacity left here."""
    return MODEL_NOMINAL_LOAD * effective_capacity()


# -- server role --------------------------------------------------------

def bg_level(plan, elapsed):
    nums = [float(x) for x in plan.split()]
    if not nums:
        return 0.0
    pairs = list(zip(nums[::2], nums[1::2]))
    elapsed %= sum(s for _, s in pairs)
    for percent, seconds in pairs:
        if elapsed < seconds:
            return percent / 100
        elapsed -= seconds
    return pairs[-1][0] / 100


class Site:
    """Slots, a FIFO queue, background occupying a share of the slots."""

    def __init__(self, name, slots, service, statsdir, plan):
        self.name, self.slots, self.service = name, slots, service
        self.statsdir, self.plan = statsdir, plan
        self.busy = 0
        self.bg_slots = 0
        self.bg_frac = 0.0
        self.waiters = collections.deque()
        self.samples = collections.deque(maxlen=10)  # 100 ms occupancy
        self.bg_peak = collections.deque(maxlen=60)  # background, 6 s
        self.arrival_times = collections.deque()
        self.arrivals = self.hot_arrivals = self.served = 0
        self.abandoned = 0  # dropped from the queue: the client left
        self.util = 0.0
        self.epoch = time.time()
        self.rtt = {}
        try:
            with open(os.path.join(statsdir, "rtt")) as f:
                for line in f:
                    addr, ms = line.split()
                    self.rtt[addr] = float(ms) / 1000
        except OSError:
            pass

    def free(self):
        return self.slots - self.bg_slots - self.busy

    def dispatch(self):
        while self.waiters and self.free() > 0:
            fut = self.waiters.popleft()
            if not fut.done():
                self.busy += 1
                fut.set_result(None)

    async def handle(self, reader, writer):
        now = time.time()
        self.arrivals += 1
        self.arrival_times.append(now)
        hot = self.util >= HOT
        self.hot_arrivals += hot
        try:
            await asyncio.wait_for(reader.readline(), TIMEOUT_S)
            if self.free() > 0 and not self.waiters:
                self.busy += 1
            else:
                fut = asyncio.get_running_loop().create_future()
                self.waiters.append(fut)
                # a queued request is dropped when its client closes the
                # connection (it timed out), or after the client timeout
                gone = asyncio.ensure_future(reader.read(1))
                await asyncio.wait({fut, gone}, timeout=TIMEOUT_S + 0.5,
                                   return_when=asyncio.FIRST_COMPLETED)
                if not fut.done():
                    self.abandoned += 1
                    fut.cancel()
                    gone.cancel()
                    raise asyncio.TimeoutError
                gone.cancel()
            try:
                await asyncio.sleep(self.service)
            finally:
                self.busy -= 1
                self.dispatch()
            self.served += 1
            # the network round trip from the client's region
            peer = writer.get_extra_info("peername")
            await asyncio.sleep(self.rtt.get(peer[0] if peer else "", 0))
            writer.write(f"{self.name} {int(hot)}\n".encode())
            await writer.drain()
        except (OSError, asyncio.TimeoutError):
            pass
        finally:
            writer.close()

    def read_epoch(self):
        try:
            with open(os.path.join(self.statsdir, "..", "epoch")) as f:
                self.epoch = float(f.read())
        except (OSError, ValueError):
            pass

    def write(self, name, value):
        path = os.path.join(self.statsdir, name)
        with open(path + ".tmp", "w") as f:
            f.write(value + "\n")
        os.replace(path + ".tmp", path)

    async def ticker(self):
        while True:
            await asyncio.sleep(0.1)
            now = time.time()
            self.read_epoch()
            self.bg_frac = bg_level(self.plan, now - self.epoch)
            self.bg_slots = round(self.bg_frac * self.slots)
            self.dispatch()
            self.samples.append(min(1.0, (self.busy + self.bg_slots)
                                    / self.slots))
            self.util = 100 * sum(self.samples) / len(self.samples)
            while self.arrival_times and self.arrival_times[0] < now - 1:
                self.arrival_times.popleft()
            queue = sum(1 for w in self.waiters if not w.done())
            self.write("util", f"{self.util:.1f}")
            self.write("queue", str(queue))
            self.write("rate", str(len(self.arrival_times)))
            # background-utilization: the peak over the last 6 s (one
            # burst cycle), as the module's balanced mode expects
            self.bg_peak.append(self.bg_frac)
            self.write("bg", f"{100 * max(self.bg_peak):.1f}")
            self.write("stats.json", json.dumps({
                "arrivals": self.arrivals, "hot": self.hot_arrivals,
                "served": self.served, "abandoned": self.abandoned,
                "util": self.util, "queue": queue}))


async def serve(name, slots, service, statsdir, plan):
    site = Site(name, slots, service, statsdir, plan)
    server = await asyncio.start_server(site.handle, ADDRESS, PORT,
                                        backlog=4096)
    asyncio.get_running_loop().create_task(site.ticker())
    async with server:
        await server.serve_forever()


# -- client role --------------------------------------------------------

async def one_request(t_sched, rows, timeout):
    t0 = time.time()
    site, status = "", "ok"
    try:
        async def exchange():
            reader, writer = await asyncio.open_connection(ADDRESS, PORT)
            try:
                writer.write(b"req\n")
                await writer.drain()
                return (await reader.readline()).decode().split()
            finally:
                writer.close()
        words = await asyncio.wait_for(exchange(), timeout)
        if words:
            site = words[0]
        else:
            status = "error"
    except asyncio.TimeoutError:
        status = "timeout"
    except OSError:
        status = "error"
    latency = time.time() - t0
    if status != "ok":
        latency = max(latency, timeout) if status == "timeout" else latency
    rows.append((round(t_sched, 4), round(latency * 1000, 2), status, site))


def demand_shape(t, seconds, peak):
    """The model's day squeezed into the run: a raised cosine from 55 %
    of the peak up to the peak at fraction `peak` of the run, scaled to a
    mean of 1 over a whole cycle."""
    x = math.cos(2 * math.pi * (t / seconds - peak))
    return (0.55 + 0.45 * (1 + x) / 2) / 0.775


async def clients(rate, seconds, t_start, seed, timeout, out, peak):
    """Open-loop Poisson arrivals with mean `rate`, shaped over the run
    (thinning: a fixed seed gives the same arrivals to every variant)."""
    rng = random.Random(seed)
    top = rate / 0.775
    arrivals, t = [], rng.expovariate(top)
    while t < seconds:
        if rng.random() * top < rate * demand_shape(t, seconds, peak):
            arrivals.append(t)
        t += rng.expovariate(top)
    await asyncio.sleep(max(0.0, t_start - time.time()))
    rows, tasks = [], []
    for offset in arrivals:
        delay = t_start + offset - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one_request(offset, rows, timeout)))
    await asyncio.gather(*tasks)
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["t", "latency_ms", "status", "site"])
        w.writerows(sorted(rows))


# -- the benchmark -------------------------------------------------------

def bench_imports():
    sys.path.insert(0, HERE)
    global benchlib, topolib, cfnnet
    import benchlib  # noqa: F401
    import cfnnet  # noqa: F401
    import topolib  # noqa: F401


def ospf(router, costs):
    return cfnnet.ospf_config(router, costs)


def build():
    T = topolib.Topology("dl")
    daemons = ("zebra", "ospfd", "bgpd")
    rr = T.add_router("rr", asn=ASN, router_id=RR_ID, daemons=daemons,
                      link_peers=False)
    ingresses = {n: T.add_router(n, asn=ASN, router_id=i[0],
                                 daemons=daemons, link_peers=False)
                 for n, i in INGRESSES.items()}
    sites = {n: T.add_router(n, asn=ASN, router_id=s[0], daemons=daemons,
                             link_peers=False) for n, s in SITES.items()}
    hosts = {n: T.add_router("c" + n, daemons=()) for n in INGRESSES}
    for name, ing in ingresses.items():
        T.add_link(ing, rr)
        for site in sites.values():
            T.add_link(ing, site)
        T.add_link(ing, hosts[name])
    # OSPF: ingress-site costs of the matrix on both ends; the RR off path
    for name, ing in ingresses.items():
        costs = dict(INGRESSES[name][2], rr=100)
        ing.config = ospf(ing, costs) + ingress_bgp(ing)
    rr.config = ospf(rr, {n: 100 for n in INGRESSES}) + rr_bgp(rr)
    for name, site in sites.items():
        costs = {i: INGRESSES[i][2][name] for i in INGRESSES}
        site.config = (ospf(site, costs) + site_bgp(site, name)
                       + "interface lo\n ip address 10.0.1.%s/32\nexit\n"
                       % SITES[name][0].split(".")[-1])
    return T, rr, ingresses, sites, hosts


def ibgp_to(peer):
    return [f" neighbor {peer} remote-as {ASN}",
            f" neighbor {peer} update-source lo",
            f" neighbor {peer} timers connect 1"]


def ingress_bgp(ing):
    lines = ["router bgp %d" % ASN, " timers bgp 3 9",
             " bgp always-compare-med", " bgp deterministic-med",
             " bgp bestpath as-path multipath-relax",
             " bgp bestpath bandwidth skip-missing", *ibgp_to(RR_ID)]
    for site_name, (ifaddr, peer, peer_addr) in _site_links(ing):
        lines += [f" neighbor {peer_addr} remote-as {SITES[site_name][3]}",
                  f" neighbor {peer_addr} local-as {INGRESS_AS_EBGP}"
                  " no-prepend replace-as",
                  f" neighbor {peer_addr} timers connect 1",
                  f" neighbor {peer_addr} shutdown"]
    lines += [" address-family ipv4 unicast", "  maximum-paths 8",
              "  maximum-paths ibgp 8"]
    # the eBGP paths (AS path length 1) must win over the same routes
    # reflected by the RR (length 0)
    lines += [f"  neighbor {a} route-map EBGP-IN in"
              for _, (x, p, a) in _site_links(ing)]
    # an ingress only receives
    lines += [f"  neighbor {a} route-map NOTHING out"
              for a in [RR_ID] + [a for _, (x, p, a) in _site_links(ing)]]
    lines += [" exit-address-family", "exit", "route-map EBGP-IN permit 10",
              " set local-preference 200", "exit",
              "route-map NOTHING deny 10", "exit"]
    return "\n".join(lines) + "\n"


def _site_links(router):
    """(site name, (own address, peer router, peer address)) of the
    router's links to sites."""
    return [(peer.name, (addr, peer, paddr))
            for ifname, (addr, peer, paddr) in sorted(router.interfaces.items())
            if peer.name in SITES]


def _ingress_links(site):
    return [(peer.name, paddr)
            for ifname, (addr, peer, paddr) in sorted(site.interfaces.items())
            if peer.name in INGRESSES]


def rr_bgp(rr):
    lines = ["router bgp %d" % ASN, " timers bgp 3 9"]
    clients = [i[0] for i in INGRESSES.values()] + [
        s[0] for s in SITES.values()]
    exa = ["10.0.1.%s" % s[0].split(".")[-1] for s in SITES.values()]
    for c in clients:
        lines += ibgp_to(c)
    for e in exa:
        lines += [f" neighbor {e} remote-as {ASN}", f" neighbor {e} passive",
                  f" neighbor {e} update-source lo"]
    lines.append(" address-family ipv4 unicast")
    for c in clients + exa:
        lines.append(f"  neighbor {c} route-reflector-client")
    for c in [i[0] for i in INGRESSES.values()]:
        lines.append(f"  neighbor {c} addpath-tx-all-paths")
    lines += [" exit-address-family", "exit"]
    return "\n".join(lines) + "\n"


def site_bgp(site, name):
    node, slots, _, local_as = SITES[name]
    lines = ["router bgp %d" % ASN, " timers bgp 3 9", *ibgp_to(RR_ID)]
    for ing_name, paddr in _ingress_links(site):
        lines += [f" neighbor {paddr} remote-as {INGRESS_AS_EBGP}",
                  f" neighbor {paddr} local-as {local_as} no-prepend"
                  " replace-as",
                  f" neighbor {paddr} timers connect 1",
                  f" neighbor {paddr} shutdown"]
    lines.append(" address-family ipv4 unicast")
    for ing_name, paddr in _ingress_links(site):
        lines.append(f"  neighbor {paddr} route-map LB out")
    lines += [" exit-address-family", "exit",
              "route-map LB permit 10",
              f" set extcommunity bandwidth {bandwidth(name)}", "exit"]
    return "\n".join(lines) + "\n"


def bandwidth(name, net=False):
    """A site's link bandwidth for ucmp: its capacity in requests/s, or
    (ucmp-net) what its mean background leaves of it."""
    share = 1 - bg_mean(SITES[name][2]) if net else 1
    return round(capacity(name) * share)


class Bench:
    def __init__(self, args):
        self.args = args
        self.results = args.results
        self.raw = os.path.join(self.results, "raw")
        os.makedirs(self.raw, exist_ok=True)
        self.T, self.rr, self.ing, self.sites, self.hosts = build()
        self.procs = {}   # site -> {"agent"/"exabgp": Popen}
        self.notes = []   # verification notes for the report
        self.work = None

    def note(self, text):
        print("  * " + text, flush=True)
        self.notes.append(text)

    def sdir(self, site):
        return os.path.join(site.run_dir, "stats")

    # -- setup ----------------------------------------------------------

    def start(self):
        self.T.start()
        for name, h in self.hosts.items():
            gw = [paddr for _, (a, p, paddr) in h.interfaces.items()][0]
            h.exec("ip", "route", "add", "default", "via", gw)
            h.exec("sysctl", "-qw", "net.ipv4.tcp_tw_reuse=1",
                   "net.ipv4.ip_local_port_range=10000 65000")
        for name, ing in self.ing.items():
            ing.exec("sysctl", "-qw",
                     "net.ipv4.fib_multipath_hash_policy=1")
        # RTT = IGP cost in ms, added by the server per client region (this
        # kernel has no netem qdisc): "client-address rtt-ms" lines
        for site_name, site in self.sites.items():
            os.makedirs(self.sdir(site), exist_ok=True)
            with open(os.path.join(self.sdir(site), "rtt"), "w") as f:
                for name, h in self.hosts.items():
                    addr = list(h.interfaces.values())[0][0].split("/")[0]
                    f.write(f"{addr} {INGRESSES[name][2][site_name]}\n")
        for name, site in self.sites.items():
            site.exec("ip", "addr", "add", SID, "dev", "lo")
            os.makedirs(self.sdir(site), exist_ok=True)
            site.popen(PYTHON, os.path.abspath(__file__), "server", name,
                       str(SITES[name][1]), str(SERVICE_S), self.sdir(site),
                       SITES[name][2], log="server.log")
            with open(os.path.join(site.run_dir, "check.sh"), "w") as f:
                f.write("#!/bin/sh\n# up while utilisation is below "
                        f"{HOT:.0f} %\nexec awk '{{exit !($1 < {HOT})}}' "
                        f"{self.sdir(site)}/util\n")
            os.chmod(os.path.join(site.run_dir, "check.sh"), 0o755)
        topolib.wait_until(lambda: all(
            len(r.bgp_peers()) >= 1 and all(
                p.get("state") == "Established"
                for a, p in r.bgp_peers().items() if a == RR_ID)
            for r in list(self.ing.values()) + list(self.sites.values())),
            timeout=120, what="iBGP sessions to the route reflector")
        self.monitors = {n: benchlib.KernelRouteMonitor(i)
                         for n, i in self.ing.items()}

    def stop(self):
        self.T.stop()

    # -- variants -------------------------------------------------------

    def bgp(self, router, *lines):
        return router.configure(*lines, context=f"router bgp {ASN}")

    def try_bgp(self, router, *lines):
        return router.vtysh("configure terminal", f"router bgp {ASN}",
                            *lines, check=False)

    def reset(self):
        """Back to nothing announced."""
        for name, procs in self.procs.items():
            for p in procs.values():
                p.terminate()
            for p in procs.values():
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        self.procs = {}
        # one vtysh per command: a refused one (nothing to remove) must
        # not stop the others
        for name, site in self.sites.items():
            for line in ([f"no network {SID}", f"no cfn service {SERVICE}"]
                         + [f"neighbor {a} shutdown"
                            for _, a in _ingress_links(site)]):
                self.try_bgp(site, line)
            self.try_bgp(site, "address-family ipv4 unicast",
                         f"no neighbor {RR_ID} route-map LB out")
        self.set_bandwidths(net=False)
        for ing in self.ing.values():
            for line in [f"no cfn service {SERVICE}"] + [
                    f"neighbor {a} shutdown"
                    for _, (x, p, a) in _site_links(ing)]:
                self.try_bgp(ing, line)
        topolib.wait_until(lambda: all(not self.nexthops(i)
                                       for i in self.ing.values()),
                           timeout=30, what="SID withdrawn everywhere")

    def nexthops(self, ing):
        return cfnnet.kernel_nexthops(ing, SID)

    def site_of(self, ing, gw):
        for site_name, (addr, site, paddr) in _site_links(ing):
            if paddr == gw[0]:
                return site_name
        return gw[0]

    def fib(self, ing):
        return {self.site_of(ing, k): w for k, w in self.nexthops(ing).items()}

    def paths(self, ing):
        data = ing.vtysh_json(f"show bgp ipv4 unicast {SID} json")
        return data.get("paths", [])

    def setup_anycast(self):
        for site in self.sites.values():
            self.bgp(site, f"network {SID}")
        self.wait_fibs(lambda n, f: len(f) == 1 and f == {
            min(INGRESSES[n][2], key=INGRESSES[n][2].get): 1},
            "anycast: each ingress via its nearest site")
        self.note("anycast: ingress FIBs " + self.fib_text())

    def setup_healthcheck(self):
        for name, site in self.sites.items():
            node = SITES[name][0]
            exa = "10.0.1." + node.split(".")[-1]
            conf = os.path.join(site.run_dir, "exabgp.conf")
            hc = (f"{PYTHON} -m exabgp healthcheck --no-syslog "
                  f"--cmd {site.run_dir}/check.sh --ip {SID} --no-ip-setup "
                  f"--next-hop {node} --up-metric 100 --down-metric 1000 "
                  "--interval 1 --fast-interval 0.5 --rise 2 --fall 1 "
                  "--timeout 1")
            with open(conf, "w") as f:
                f.write(f"process hc {{\n  run {hc};\n  encoder text;\n}}\n"
                        f"neighbor {RR_ID} {{\n  router-id {exa};\n"
                        f"  local-address {exa};\n  local-as {ASN};\n"
                        f"  peer-as {ASN};\n  api {{ processes [ hc ]; }}\n"
                        "}\n")
            env = ["env", "exabgp_daemon_user=root", "exabgp_daemon_drop=false",
                   "exabgp_api_cli=false", "exabgp_log_destination=stdout"]
            self.procs.setdefault(name, {})["exabgp"] = site.popen(
                *env, "/usr/sbin/exabgp", conf, log="exabgp.log")
        topolib.wait_until(lambda: all(len(self.paths(i)) == 4
                                       for i in self.ing.values()),
                           timeout=60, what="exabgp: 4 paths per ingress")
        self.note("healthcheck: every ingress has the SID from the 4 exabgp "
                  "speakers (via the RR); MEDs at west: " + ", ".join(
                      f"{p['nexthops'][0]['ip']}={p.get('metric')}"
                      for p in self.paths(self.ing['west'])))

    def set_bandwidths(self, net):
        for name, site in self.sites.items():
            site.configure(f"set extcommunity bandwidth {bandwidth(name, net)}",
                           context="route-map LB permit 10")

    def setup_ucmp_net(self):
        self.set_bandwidths(net=True)
        self.setup_ucmp()

    def setup_ucmp(self):
        for site in self.sites.values():
            self.bgp(site, f"network {SID}", "address-family ipv4 unicast",
                     f"neighbor {RR_ID} route-map LB out")
        # iBGP only (add-path via the RR, bandwidth on every path)
        topolib.wait_until(lambda: all(len(self.paths(i)) == 4
                                       for i in self.ing.values()),
                           timeout=30, what="ucmp: 4 iBGP paths")
        time.sleep(2)
        self.note("ucmp over iBGP + add-path (unequal IGP costs), before "
                  "the eBGP sessions: FIB " + self.fib_text() +
                  " (FRR multipaths only paths of equal IGP metric)")
        for site in self.sites.values():
            self.bgp(site, *[f"no neighbor {a} shutdown"
                             for _, a in _ingress_links(site)])
        for ing in self.ing.values():
            self.bgp(ing, *[f"no neighbor {a} shutdown"
                            for _, (x, p, a) in _site_links(ing)])
        self.wait_fibs(lambda n, f: len(f) == 4, "ucmp: 4-way multipath",
                       timeout=60)
        self.note("ucmp over eBGP from every site: FIB " + self.fib_text())

    def module_knows_new_metrics(self):
        """Whether the loaded module knows request-rate: a harmless
        probe (restoring a default weight) that an older one refuses."""
        out = self.try_bgp(self.ing["west"], "no cfn metric request-rate "
                           "weight")
        return "%" not in out

    def setup_cfn(self, mode):
        ing0 = self.ing["west"]
        if not hasattr(self, "new_metrics"):
            known = self.module_knows_new_metrics()
            choice = self.args.new_metrics
            self.new_metrics = known if choice == "auto" else choice == "on"
            self.note(f"module knows request-rate/background-utilization: "
                      f"{'yes' if known else 'no'}; agents report them: "
                      f"{'yes' if self.new_metrics else 'no'} "
                      f"(--new-metrics {choice})")
        out = ing0.vtysh("configure terminal", f"router bgp {ASN}",
                         f"cfn service {SERVICE} sid {SID}",
                         f"cfn service {SERVICE} selection mode {mode}",
                         check=False)
        if "%" in out:
            self.bgp(ing0, f"no cfn service {SERVICE}")
            return f"mode {mode} refused by the module: {out.strip()}"
        tuning = []
        for knob in ("network-penalty", "spill-at"):
            value = getattr(self.args, knob.replace("-", "_"))
            if mode == "balanced" and value is not None:
                tuning.append(f"cfn service {SERVICE} selection {knob} "
                              f"{value}")
        for ing in self.ing.values():
            self.bgp(ing, f"cfn service {SERVICE} sid {SID}",
                     f"cfn service {SERVICE} selection mode {mode}", *tuning)
        for name, site in self.sites.items():
            self.bgp(site, f"cfn service {SERVICE} sid {SID}")
            conf = os.path.join(site.run_dir, "cfn-agent.conf")
            bid = "10.1.%s.1" % SITES[name][0].split(".")[-1]
            d = self.sdir(site)
            lines = [f"socket {site.run_dir}/cfn-api.sock", "interval 1",
                     "hold-time 3",
                     # capacity in requests/s, the unit of request-rate
                     # (balanced mode's water level is a utilisation)
                     f"instance {SERVICE} {bid} capacity "
                     f"{int(capacity(name))} sample commands",
                     f"command {bid} cpu-utilization cat {d}/util",
                     f"command {bid} queue-depth cat {d}/queue"]
            if self.new_metrics:
                lines += [f"command {bid} request-rate cat {d}/rate",
                          f"command {bid} background-utilization cat {d}/bg"]
            with open(conf, "w") as f:
                f.write("\n".join(lines) + "\n")
            self.procs.setdefault(name, {})["agent"] = site.popen(
                "cfn-agent", "-v", "-c", conf, log="cfn-agent.log")
        try:
            topolib.wait_until(lambda: all(
                len(cfnnet.egresses(i, SID)) == 4 for i in self.ing.values()),
                timeout=30, what=f"{mode}: 4 CFN egresses at every ingress")
        except TimeoutError as err:
            log = open(os.path.join(self.sites['edge-a'].run_dir,
                                    "cfn-agent.log")).read().splitlines()
            bad = [ln for ln in log if "INVALID" in ln or "refused" in ln]
            return f"{err}; edge-a's cfn-agent: " + (bad or log or [""])[-1]
        self.wait_fibs(lambda n, f: len(f) >= 1, f"{mode}: FIB")
        self.note(f"{mode}: ingress FIBs " + self.fib_text())
        return None

    def wait_fibs(self, ok, what, timeout=30):
        topolib.wait_until(lambda: all(ok(n, self.fib(i))
                                       for n, i in self.ing.items()),
                           timeout=timeout, what=what)

    def fib_text(self):
        return "; ".join(f"{n}: " + ", ".join(
            f"{s} w{w}" for s, w in sorted(self.fib(i).items()))
            for n, i in self.ing.items())

    def setup(self, variant):
        self.reset()
        if variant in CFN_MODES:
            why = self.setup_cfn(variant)
            if why:
                return why
        else:
            getattr(self, "setup_" + variant.replace("-", "_"))()
        self.observe(variant)
        return None

    def observe(self, variant, seconds=6.5):
        """One background cycle without clients: the FIB states each
        ingress goes through (does edge-a's burst move anything?)."""
        seen = {n: [] for n in self.ing}
        meds = []  # healthcheck: MEDs of the paths at west
        end = time.time() + seconds
        while time.time() < end:
            for n, i in self.ing.items():
                state = ", ".join(f"{s} w{w}"
                                  for s, w in sorted(self.fib(i).items()))
                if state not in seen[n]:
                    seen[n].append(state)
            if variant == "healthcheck":
                med = ", ".join(sorted(
                    f"{p['nexthops'][0]['ip']} MED {p.get('metric')}"
                    for p in self.paths(self.ing["west"])))
                if med not in meds:
                    meds.append(med)
            time.sleep(0.25)
        if meds:
            self.note("healthcheck: paths at west over the cycle: "
                      + " | ".join(meds))
        self.note(f"{variant}: FIB states over one edge-a burst cycle "
                  "(no clients): " + "; ".join(
                      f"{n}: " + " | ".join(v) for n, v in seen.items()))

    # -- one run --------------------------------------------------------

    def site_counters(self):
        out = {}
        for name, site in self.sites.items():
            with open(os.path.join(self.sdir(site), "stats.json")) as f:
                out[name] = json.load(f)
        return out

    def updates_recv(self):
        out = {}
        for name, ing in self.ing.items():
            data = ing.vtysh_json("show bgp neighbors json")
            out[name] = sum(p.get("messageStats", {}).get("updatesRecv", 0)
                            for p in data.values() if isinstance(p, dict))
        return out

    def run(self, variant, scale, seconds, seed_base):
        total = scale * nominal_demand()
        weight_sum = sum(i[1] for i in INGRESSES.values())
        t0 = time.time() + 2.0
        # background phase and client arrivals start together
        with open(os.path.join(self.sites["edge-a"].run_dir, "epoch"),
                  "w") as f:
            f.write(str(t0))
        before_c, before_u = self.site_counters(), self.updates_recv()
        procs, outs = [], {}
        for k, (name, host) in enumerate(self.hosts.items()):
            rate = total * INGRESSES[name][1] / weight_sum
            out = os.path.join(self.raw, f"{variant}_x{scale}_{name}.csv")
            outs[name] = out
            procs.append(host.popen(
                PYTHON, os.path.abspath(__file__), "client", f"{rate:.3f}",
                str(seconds), f"{t0:.3f}", str(seed_base + 1000 * k),
                str(TIMEOUT_S), out, str(INGRESSES[name][3]),
                log=f"client-{name}.log"))
        for p in procs:
            p.wait(seconds + 60)
        time.sleep(0.5)
        after_c, after_u = self.site_counters(), self.updates_recv()
        lat, status, per_site = [], collections.Counter(), collections.Counter()
        for out in outs.values():
            with open(out) as f:
                for row in csv.DictReader(f):
                    lat.append(float(row["latency_ms"]))
                    status[row["status"]] += 1
                    if row["site"]:
                        per_site[row["site"]] += 1
        arr = {s: after_c[s]["arrivals"] - before_c[s]["arrivals"]
               for s in SITES}
        hot = sum(after_c[s]["hot"] - before_c[s]["hot"] for s in SITES)
        n_arr = sum(arr.values()) or 1
        cap_sum = sum(capacity(s) for s in SITES)
        excess = max(arr[s] / n_arr - capacity(s) / cap_sum for s in SITES)
        minutes = seconds / 60
        fib = statistics.mean(
            sum(1 for e in m.events(SID) if t0 <= e.time <= t0 + seconds)
            for m in self.monitors.values())
        upd = statistics.mean(after_u[n] - before_u[n] for n in self.ing)
        n = len(lat)
        lat.sort()
        return {
            "variant": variant, "demand_scale": scale,
            "offered_rps": round(total, 1), "requests": n,
            "mean_ms": round(statistics.mean(lat), 1),
            "p50_ms": round(lat[n // 2], 1),
            "p99_ms": round(lat[min(n - 1, int(0.99 * n))], 1),
            "timeouts_pct": round(100 * status["timeout"] / n, 2),
            "errors_pct": round(100 * status["error"] / n, 2),
            "to_hot_pct": round(100 * hot / n_arr, 1),
            "max_excess_share_pp": round(100 * excess, 1),
            "updates_per_min": round(upd / minutes, 1),
            "fib_changes_per_min": round(fib / minutes, 1),
            **{f"share_{s}_pct": round(100 * arr[s] / n_arr, 1)
               for s in SITES},
            **{f"hot_{s}_pct": round(100 * (after_c[s]["hot"] -
                                            before_c[s]["hot"]) / n_arr, 1)
               for s in SITES},
        }


FIELDS = ["variant", "demand_scale", "offered_rps", "requests", "mean_ms",
          "p50_ms", "p99_ms", "timeouts_pct", "errors_pct", "to_hot_pct",
          "max_excess_share_pp", "updates_per_min", "fib_changes_per_min",
          *[f"share_{s}_pct" for s in SITES],
          *[f"hot_{s}_pct" for s in SITES]]


def plot(rows, path):
    plt = benchlib.pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    # (p99 is in the CSV; here it sits at the 2 s timeout for every one)
    for ax, key, label in zip(axes, ("mean_ms", "timeouts_pct",
                                     "to_hot_pct"),
                              ("mean response, ms", "timed out, %",
                               "requests to a site >= 90 %, %")):
        for v in dict.fromkeys(r["variant"] for r in rows):
            mine = [r for r in rows if r["variant"] == v]
            ax.plot([r["demand_scale"] for r in mine],
                    [r[key] for r in mine], marker="o", label=v)
        ax.set_xlabel("demand (x the model's nominal load)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Live dispatch benchmark (bench/dispatch_live.py)")
    benchlib.save_plot(fig, path)


def plot_timeline(rows, raw, path, bin_s=1.0):
    """Where each variant's requests went over time at the highest demand
    level: answers per site and timeouts, per second of the run."""
    scale = max(r["demand_scale"] for r in rows)
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    plt = benchlib.pyplot()
    fig, axes = plt.subplots(len(variants), 1, sharex=True,
                             figsize=(9, 1.9 * len(variants) + 0.6),
                             squeeze=False)
    keys = list(SITES) + ["timeout"]
    colors = {"edge-a": "tab:red", "edge-b": "tab:orange",
              "metro": "tab:blue", "core": "tab:green",
              "timeout": "0.6"}
    for ax, v in zip(axes[:, 0], variants):
        counts = collections.defaultdict(collections.Counter)
        for name in INGRESSES:
            f = os.path.join(raw, f"{v}_x{scale}_{name}.csv")
            if not os.path.exists(f):
                continue
            with open(f) as fh:
                for row in csv.DictReader(fh):
                    key = row["site"] or row["status"]
                    key = key if key in keys else "timeout"
                    counts[int(float(row["t"]) // bin_s)][key] += 1
        if not counts:
            continue
        bins = range(max(counts) + 1)
        ax.stackplot([b * bin_s for b in bins],
                     *[[counts[b][k] / bin_s for b in bins] for k in keys],
                     labels=keys, colors=[colors[k] for k in keys])
        ax.set_ylabel(f"{v}\nreq/s", fontsize=8)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7, ncol=5, loc="upper left")
    axes[-1, 0].set_xlabel(f"seconds into the run (demand x{scale})")
    fig.suptitle("Where the requests went: answers per site, and timeouts")
    benchlib.save_plot(fig, path)


def markdown(rows):
    header = ("variant", "demand", "requests", "mean ms", "p50 ms", "p99 ms",
              "timeouts", "to site >= 90 %", "max over fair share",
              "UPDATEs/min", "FIB changes/min")
    benchlib.print_markdown_table(header, [
        (r["variant"], f"x{r['demand_scale']}", r["requests"], r["mean_ms"],
         r["p50_ms"], r["p99_ms"], f"{r['timeouts_pct']} %",
         f"{r['to_hot_pct']} %", f"{r['max_excess_share_pp']} pp",
         r["updates_per_min"], r["fib_changes_per_min"]) for r in rows])


def issue_targets(rows):
    """balanced against issue 13's targets, level by level: mean over
    UCMP by capacity (the issue's baseline) and over ucmp-net, p99
    against every other row, busy share."""
    by = {(r["variant"], r["demand_scale"]): r for r in rows}
    for scale in dict.fromkeys(r["demand_scale"] for r in rows):
        mine = by.get(("balanced", scale))
        static = [by[(v, scale)] for v in ("ucmp", "ucmp-net")
                  if (v, scale) in by]
        if not mine or not static:
            continue
        ratios = ", ".join(f"/ {r['variant']} "
                           f"{mine['mean_ms'] / r['mean_ms']:.2f}"
                           for r in static)
        others = [r["p99_ms"] for (v, s), r in by.items()
                  if s == scale and v != "balanced"]
        print(f"x{scale}: balanced mean {ratios} (target "
              f"{0.75 if scale <= 0.5 else 0.5} of ucmp); p99 "
              f"{mine['p99_ms']} against the others' lowest {min(others)}; "
              f"to busy sites {mine['to_hot_pct']} % (target < 2)")


def main():
    global SERVICE_S
    if len(sys.argv) > 1 and sys.argv[1] == "server":
        name, slots, service, statsdir = sys.argv[2:6]
        plan = sys.argv[6] if len(sys.argv) > 6 else ""
        asyncio.run(serve(name, int(slots), float(service), statsdir, plan))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        rate, seconds, t0, seed, timeout, out, peak = sys.argv[2:9]
        asyncio.run(clients(float(rate), float(seconds), float(t0),
                            int(seed), float(timeout), out, float(peak)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="about 5 minutes: 2 demand levels, 15 s runs")
    parser.add_argument("--variants", default=",".join(ALL_VARIANTS))
    parser.add_argument("--scales", default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--results", default=None)
    parser.add_argument("--new-metrics", choices=("auto", "on", "off"),
                        default="auto",
                        help="also report request-rate and "
                        "background-utilization: auto = when the module "
                        "knows them")
    parser.add_argument("--network-penalty", type=int, default=None,
                        help="balanced mode's network-penalty (default: "
                        "the module's)")
    parser.add_argument("--service-ms", type=float, default=None,
                        help="the servers' service time per request "
                        f"(default {SERVICE_S * 1000:.0f}; the model's is "
                        "20): demand scales with it")
    parser.add_argument("--spill-at", type=int, default=None,
                        help="balanced mode's spill-at (default: the "
                        "module's)")
    args = parser.parse_args()
    if args.service_ms:
        SERVICE_S = args.service_ms / 1000
    bench_imports()
    scales = [float(s) for s in (args.scales or (
        "0.75,1.25" if args.quick else "0.5,0.75,1,1.25")).split(",")]
    seconds = args.seconds or (15 if args.quick else 60)
    args.results = args.results or os.path.join(
        benchlib.TOP, "bench", "results",
        "dispatch_live_quick" if args.quick else "dispatch_live")
    variants = [v for v in args.variants.split(",") if v]
    for v in variants:
        if v not in ALL_VARIANTS:
            parser.error(f"unknown variant {v}")
    started = time.time()
    b = Bench(args)
    rows, skipped = [], []
    print(f"effective capacity {effective_capacity():.1f} req/s, "
          f"demand x1 {nominal_demand():.1f} req/s; "
          f"levels {scales}; {seconds:.0f} s per run", flush=True)
    try:
        b.start()
        for v in variants:
            print(f"== {v}", flush=True)
            why = b.setup(v)
            if why:
                print(f"  SKIPPED {v}: {why}", flush=True)
                skipped.append((v, why))
                continue
            for k, scale in enumerate(scales):
                row = b.run(v, scale, seconds, 7 + 100 * k)
                rows.append(row)
                print("  " + json.dumps(row), flush=True)
                benchlib.write_csv(os.path.join(args.results,
                                                "dispatch_live.csv"),
                                   FIELDS, [[r[f] for f in FIELDS]
                                            for r in rows])
        b.reset()
    finally:
        b.stop()
    if rows:
        plot(rows, os.path.join(args.results, "dispatch_live.png"))
        plot_timeline(rows, os.path.join(args.results, "raw"),
                      os.path.join(args.results, "dispatch_live_time.png"))
    with open(os.path.join(args.results, "verification.txt"), "w") as f:
        f.write("\n".join(b.notes + [f"SKIPPED {v}: {w}"
                                     for v, w in skipped]) + "\n")
    print(f"\nmachine: {os.cpu_count()} CPUs, " + subprocess.run(
        ["sed", "-n", "s/^model name\\s*: //p", "/proc/cpuinfo"],
        capture_output=True, text=True).stdout.splitlines()[0])
    print(f"total time {time.time() - started:.0f} s\n")
    markdown(rows)
    issue_targets(rows)
    for v, why in skipped:
        print(f"\nnot run: {v}: {why}")


if __name__ == "__main__":
    main()
