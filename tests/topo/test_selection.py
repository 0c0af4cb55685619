# SPDX-License-Identifier: GPL-2.0-or-later
"""Per-service selection installed into the ingress's kernel FIB: load
moves the route away from a busy egress, IGP cost breaks ties of load,
hysteresis absorbs small oscillations, weighted mode sets kernel weights,
balanced mode water-fills the demand over free capacity,
a fallback keeps an overloaded service reachable, a lost egress leaves
the FIB, and restarts of bgpd or zebra leave no stale route."""

import time

import pytest

import cfnnet
from cfnnet import EGRESS_IDS, gateway_to, kernel_nexthops
from topolib import frr_version, wait_until, zebra_weights

SID = "198.51.100.10/32"
EQUAL = {"e1": 10, "e2": 10, "e3": 10}


def set_load(topo, **cpu):
    """One egress after the other, each until the ingress has seen it, so
    that the order of updates (and so hysteresis) is the order given."""
    ingress = topo["ingress"]
    for name, value in cpu.items():
        topo[name].configure(
            f"cfn service video instance 10.1.{name[1]}.1 metric "
            f"cpu-utilization {value} statistic mean",
            context="router bgp 65000")

        def seen():
            egress = cfnnet.egresses(ingress, SID)[EGRESS_IDS[name]]
            metrics = egress["instances"][0]["metrics"]
            return metrics and metrics[0]["value"] == value
        wait_until(seen, timeout=30, what=f"{name} at {value} % CPU")


def wait_l2(topo, **expected):
    """Until the ingress sees each named egress with the given L2."""
    ingress = topo["ingress"]

    def seen():
        view = cfnnet.egresses(ingress, SID)
        return all(view.get(EGRESS_IDS[n], {}).get("l2") == l2
                   for n, l2 in expected.items())
    wait_until(seen, timeout=30, what=f"L2 {expected} at the ingress")


def selection(topo):
    data = topo["ingress"].vtysh_json(f"show bgp cfn selection {SID} json")
    return data["instances"][0]["sids"][0]


def fib_via(topo, *names):
    return {gateway_to(topo["ingress"], n) for n in names}


def wait_fib(topo, *names):
    ingress = topo["ingress"]
    want = fib_via(topo, *names)
    return wait_until(
        lambda: (lambda nh: nh if set(nh) == want else None)(
            kernel_nexthops(ingress, SID)),
        timeout=30, what=f"kernel route to {SID} via {names}")


@pytest.fixture(scope="module")
def net():
    topo = cfnnet.build("sel", EQUAL)
    with topo:
        cfnnet.wait_converged(topo)
        cfnnet.offer_service(topo, SID,
                             "cfn service video selection igp-cost-max 40",
                             "debug bgp cfn selection")
        yield topo


def test_load_moves_fib_away_from_busy_egress(net):
    set_load(net, e3=40, e2=30, e1=90)
    wait_l2(net, e1=1, e2=7, e3=6)
    wait_fib(net, "e2")
    sel = selection(net)
    assert [c["nodeId"] for c in sel["chosen"]] == [EGRESS_IDS["e2"]]
    verdicts = {c["nodeId"]: c["verdict"] for c in sel["candidates"]}
    assert verdicts[EGRESS_IDS["e1"]] == "below-min-score"
    assert verdicts[EGRESS_IDS["e3"]] == "lower-score"
    set_load(net, e1=0, e2=95)
    wait_l2(net, e1=10, e2=1)
    wait_fib(net, "e1")
    with open(net["ingress"].log_file("bgpd")) as log:
        assert "selection #" in log.read()


def test_lower_igp_cost_wins_at_equal_load(net):
    ingress = net["ingress"]
    set_load(net, e1=30, e2=30, e3=30)
    ingress.configure("ip ospf cost 30", context="interface eth-e1")
    ingress.configure("ip ospf cost 20", context="interface eth-e3")

    def ranked():
        scores = {c["nodeId"]: c["score"] for c in selection(net)["candidates"]}
        return scores[EGRESS_IDS["e2"]] > scores[EGRESS_IDS["e3"]] > \
            scores[EGRESS_IDS["e1"]]
    wait_until(ranked, timeout=30, what="scores ranked by IGP cost")
    wait_fib(net, "e2")
    for name in ("e1", "e3"):
        ingress.configure("ip ospf cost 10", context=f"interface eth-{name}")


def test_small_oscillation_inside_hysteresis_keeps_fib(net):
    set_load(net, e1=80, e3=40, e2=30)
    wait_l2(net, e1=2, e2=7, e3=6)
    wait_fib(net, "e2")
    changes = selection(net)["changes"]
    for cpu in (20, 30, 20, 30, 20):  # e3 oscillates between L2 8 and 7
        set_load(net, e3=cpu)
        wait_l2(net, e3=8 if cpu == 20 else 7)
        assert set(kernel_nexthops(net["ingress"], SID)) == fib_via(net, "e2")
    sel = selection(net)
    assert sel["changes"] == changes
    verdicts = {c["nodeId"]: c["verdict"] for c in sel["candidates"]}
    assert verdicts[EGRESS_IDS["e3"]] == "within-hysteresis"


def test_weighted_mode_sets_kernel_weights(net):
    ingress = net["ingress"]
    set_load(net, e1=10, e2=40, e3=20)
    ingress.configure("cfn service video selection mode weighted",
                      context="router bgp 65000")
    # scores (L2 + network 7.5) / 2: 8.25, 6.75, 7.75 -> 255, 209, 240
    nexthops = wait_fib(net, "e1", "e2", "e3")
    gw = {n: gateway_to(ingress, n) for n in EGRESS_IDS}
    assert nexthops == zebra_weights({gw["e1"]: 255, gw["e2"]: 209,
                                      gw["e3"]: 240})
    chosen = {c["nodeId"]: c["weight"] for c in selection(net)["chosen"]}
    assert chosen == {EGRESS_IDS["e1"]: 255, EGRESS_IDS["e2"]: 209,
                      EGRESS_IDS["e3"]: 240}


def test_fallback_when_every_egress_overloaded(net):
    set_load(net, e1=95, e2=80, e3=90)
    nexthops = wait_fib(net, "e2")  # the least loaded, alone
    assert list(nexthops.values()) == [1]
    sel = selection(net)
    assert sel["fallback"] is True
    assert [c["nodeId"] for c in sel["chosen"]] == [EGRESS_IDS["e2"]]


def test_lost_egress_leaves_fib(net):
    set_load(net, e1=10, e3=20, e2=40)
    wait_fib(net, "e1", "e2", "e3")
    net["e3"].vtysh("write memory")
    start = time.monotonic()
    net["e3"].stop_daemons()
    wait_fib(net, "e1", "e2")
    elapsed = time.monotonic() - start
    assert elapsed < 15, elapsed  # bgpd's hold time is 9 s
    net["e3"].start_daemons()
    wait_fib(net, "e1", "e2", "e3")


def test_no_stale_route_after_bgpd_or_zebra_restart(net):
    """zebra restarting means FRR restarting (watchfrr restarts every
    daemon with it; ospfd does not resend its routes to a new zebra)."""
    ingress = net["ingress"]
    wait_fib(net, "e1", "e2", "e3")
    ingress.vtysh("write memory")
    ingress.stop_daemons()
    assert kernel_nexthops(ingress, SID) == {}
    ingress.start_daemons()
    wait_fib(net, "e1", "e2", "e3")

    bgpd = ingress.daemon_pids()["bgpd"]
    ingress.exec("kill", str(bgpd))
    wait_until(lambda: kernel_nexthops(ingress, SID) == {}, timeout=10,
               what="route gone with bgpd")
    ingress.start_daemons(only=("bgpd",))
    wait_fib(net, "e1", "e2", "e3")


def test_egress_going_stale_leaves_fib_without_any_event(net):
    """stale-after is a matter of time: with no update for the SID at
    all, an egress whose data grows older than stale-after is dropped."""
    ingress = net["ingress"]
    ingress.configure("no cfn service video selection mode weighted",
                      context="router bgp 65000")
    set_load(net, e1=10)  # e1's last update
    time.sleep(4)
    set_load(net, e2=30, e3=60)  # e2 and e3: 4 s fresher than e1
    wait_fib(net, "e1")
    ingress.configure("cfn service video selection stale-after 6",
                      context="router bgp 65000")
    start = time.monotonic()
    # nothing is stale yet: the command itself moves nothing
    assert [c["nodeId"] for c in selection(net)["chosen"]] == \
        [EGRESS_IDS["e1"]]
    wait_fib(net, "e2")
    assert time.monotonic() - start < 4, "e1 stale, e2 not yet"
    verdicts = {c["nodeId"]: c["verdict"] for c in selection(net)["candidates"]}
    assert verdicts[EGRESS_IDS["e1"]] == "stale"
    ingress.configure("no cfn service video selection stale-after 6",
                      context="router bgp 65000")


def configure_instance(topo, name, *settings, no=False):
    prefix = "no " if no else ""
    topo[name].configure(
        *[f"{prefix}cfn service video instance 10.1.{name[1]}.1 {s}"
          for s in settings], context="router bgp 65000")


def water_fill_weights(sites, demand):
    """Balanced mode's weights, computed independently: the level L with
    sum cap * max(0, L - b) = demand, shares cap * (L - b)."""
    low, high = 0.0, 10.0
    for _ in range(100):
        level = (low + high) / 2
        filled = sum(c * max(0, level - b) for c, b in sites.values())
        low, high = (level, high) if filled < demand else (low, level)
    shares = {n: c * max(0, high - b) for n, (c, b) in sites.items()}
    top = max(shares.values())
    return {n: max(1, round(255 * s / top))
            for n, s in shares.items() if s > 0}


def test_balanced_weights_follow_free_capacity(net):
    """Egresses of 300, 200 and 100 requests/s, busy by other work at
    70, 20 and 10 %, serving 80 requests/s each: the ingress's kernel
    weights are the water-filling of the 240 requests/s over the free
    capacity, so that every site ends at the same utilisation. Weighted
    mode's score x capacity would drop e1 (L2 3, below min-score) and
    weigh e2 and e3 by score instead."""
    ingress = net["ingress"]
    sites = {"e1": (300, 0.70), "e2": (200, 0.20), "e3": (100, 0.10)}
    for name, (capacity, background) in sites.items():
        configure_instance(
            net, name, f"capacity {capacity}",
            f"metric cpu-utilization {100 * background:g} statistic mean",
            f"metric background-utilization {100 * background:g} "
            "statistic max",
            "metric request-rate 80 statistic mean")
    ingress.configure("cfn service video selection mode balanced",
                      "cfn service video selection network-penalty 0",
                      context="router bgp 65000")
    want = water_fill_weights(sites, 240)
    assert want == {"e1": 81, "e2": 255, "e3": 148}
    gw = {n: gateway_to(ingress, n) for n in EGRESS_IDS}
    try:
        wait_until(lambda: kernel_nexthops(ingress, SID) ==
                   zebra_weights({gw[n]: w for n, w in want.items()}),
                   timeout=30,
                   what=f"kernel weights {want}")
        chosen = {c["nodeId"]: c["weight"]
                  for c in selection(net)["chosen"]}
        assert chosen == {EGRESS_IDS[n]: w for n, w in want.items()}
    finally:
        ingress.configure("no cfn service video selection mode",
                          "no cfn service video selection network-penalty",
                          context="router bgp 65000")
        for name in sites:
            configure_instance(net, name, "capacity 10")
            configure_instance(net, name,
                               "metric background-utilization statistic max",
                               "metric request-rate statistic mean", no=True)


def near_first_weights(sites, demand, spill):
    """spill-at's split, computed independently: sites (capacity,
    background, IGP cost) take the demand nearest first, each up to the
    spill utilisation (this test keeps within one site per tier)."""
    loads, left = {}, demand
    for name, (cap, bg, _) in sorted(sites.items(), key=lambda s: s[1][2]):
        loads[name] = min(left, cap * max(0, spill - bg))
        left -= loads[name]
    assert left == 0, "the demand does not fit below spill-at"
    top = max(loads.values())
    return {n: max(1, round(255 * v / top))
            for n, v in loads.items() if v > 0}


def test_balanced_spill_at_fills_nearest_first(net):
    """With spill-at 60 and IGP costs 10, 20 and 30, the 100 requests/s
    fill e1 (the nearest) to 60 %, e2 takes the other 60 and e3 (the
    farthest, and the emptiest) none. Plain water-filling (spill-at 0)
    would give e3 the most (network-penalty 0 in both)."""
    ingress = net["ingress"]
    sites = {"e1": (100, 0.20, 10, 40), "e2": (200, 0.20, 20, 30),
             "e3": (300, 0.10, 30, 30)}
    for name, (capacity, background, cost, rate) in sites.items():
        ingress.configure(f"ip ospf cost {cost}",
                          context=f"interface eth-{name}")
        configure_instance(
            net, name, f"capacity {capacity}",
            f"metric cpu-utilization {100 * background:g} statistic mean",
            f"metric background-utilization {100 * background:g} "
            "statistic max", f"metric request-rate {rate} statistic mean")
    ingress.configure("cfn service video selection mode balanced",
                      "cfn service video selection network-penalty 0",
                      "cfn service video selection spill-at 60",
                      context="router bgp 65000")
    want = near_first_weights({n: s[:3] for n, s in sites.items()}, 100,
                              0.6)
    assert want == {"e1": 170, "e2": 255}
    gw = {n: gateway_to(ingress, n) for n in EGRESS_IDS}
    try:
        wait_until(lambda: kernel_nexthops(ingress, SID) ==
                   zebra_weights({gw[n]: w for n, w in want.items()}),
                   timeout=30, what=f"kernel weights {want}")
        assert "spill-at 60" in ingress.vtysh("show running-config")
        ingress.configure("no cfn service video selection spill-at",
                          context="router bgp 65000")
        level = water_fill_weights(
            {n: (c, b) for n, (c, b, _, _) in sites.items()}, 100)
        assert len(level) == 3 and level["e3"] == 255
        wait_until(lambda: kernel_nexthops(ingress, SID) ==
                   zebra_weights({gw[n]: w for n, w in level.items()}),
                   timeout=30, what=f"kernel weights {level} (spill-at 0)")
    finally:
        ingress.configure("no cfn service video selection mode",
                          "no cfn service video selection network-penalty",
                          "no cfn service video selection spill-at",
                          context="router bgp 65000")
        for name in sites:
            ingress.configure("ip ospf cost 10",
                              context=f"interface eth-{name}")
            configure_instance(net, name, "capacity 10")
            configure_instance(net, name,
                               "metric background-utilization statistic max",
                               "metric request-rate statistic mean", no=True)


def test_attribute_types_bgpd_parses_are_refused(net):
    """bgpd never keeps an attribute of a code it parses itself: such
    codes are refused with a reason and change nothing. FRR 10 parses 26
    (AIGP), which 8.4 does not; 8.4 parses 21, which 10 does not."""
    ingress = net["ingress"]
    parsed, free = (26, 21) if frr_version() >= (10, 0) else (21, 26)
    for code in (1, parsed):
        out = ingress.vtysh("configure terminal", "router bgp 65000",
                            f"cfn attribute-type {code}", check=False)
        assert "one bgpd parses itself" in out
    assert "cfn attribute-type" not in ingress.vtysh("show running-config")
    ingress.configure(f"cfn attribute-type {free}", context="router bgp 65000")
    try:
        assert (f"cfn attribute-type {free}"
                in ingress.vtysh("show running-config"))
    finally:
        ingress.configure("no cfn attribute-type", context="router bgp 65000")
