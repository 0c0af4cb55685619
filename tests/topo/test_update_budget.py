# SPDX-License-Identifier: GPL-2.0-or-later
"""cfn damping max-rate on real bgpds: when every service's load moves at
once, an egress sends no more metric UPDATEs than its budget, the largest
change first; the others follow, none lost; a registration is not held
back; without the budget they all go at once."""
import os
import time

import pytest

import cfnapi
from topolib import Topology, wait_until

SERVICES = 12
BIG = 0  # the service whose load jumps; the others move a little
# L2 scores 6, 4 and 0 (10 - load / 10): 2 and 6 steps from the start
START_LOAD, SMALL_LOAD, BIG_LOAD = 40, 60, 100
EGRESS_ASN = 65001
EXTRA_SID = "198.18.1.1/32"  # a service registered while others wait


def sid(k):
    return f"198.18.0.{k}/32"


def bid(k, n=1):
    return f"10.9.{n}.{k}"


def cpu(load):
    return [cfnapi.metric("cpu-utilization", load, "mean")]


@pytest.fixture(scope="module")
def net():
    topo = Topology("budget")
    ingress = topo.add_router("ingress", asn=65000)
    egress = topo.add_router("egress", asn=EGRESS_ASN)
    topo.add_link(ingress, egress)
    with topo:
        topo.wait_established()
        egress.configure("cfn damping min-interval 0",
                         "cfn api stale-after 0",
                         *[f"cfn service s{k} sid {sid(k)}"
                           for k in range(SERVICES)],
                         f"cfn service extra sid {EXTRA_SID}",
                         context=f"router bgp {EGRESS_ASN}")
        path = os.path.join(egress.run_dir, "cfn-api.sock")
        wait_until(lambda: os.path.exists(path), what="API socket")
        topo.client = cfnapi.Client(path)
        send_all(topo.client, lambda k: cfnapi.batch(
            k + 1, f"s{k}", registers=[cfnapi.instance_report(
                bid(k), capacity=8, hold=3600, metrics=cpu(START_LOAD))]))
        wait_until(lambda: scores(ingress) == l2_of(START_LOAD), timeout=30,
                   what="every SID at the ingress")
        yield topo
        topo.client.close()


def send_all(client, make, ks=range(SERVICES)):
    """Pipelined, as an agent with many services sends them."""
    for k in ks:
        client.send(make(k))
    for k in ks:
        assert cfnapi.reply_status(client.reply()) == 0


def report_loads(client, loads):
    """One update per service, BIG last: it arrives behind the others."""
    order = [k for k in range(SERVICES) if k != BIG] + [BIG]
    send_all(client, lambda k: cfnapi.batch(
        100 + k, f"s{k}", updates=[cfnapi.instance_report(
            bid(k), metrics=cpu(loads[k]))]), order)


def l2_of(loads):
    """The L2 score each SID's advertisement carries for these loads."""
    if not isinstance(loads, dict):
        loads = {k: loads for k in range(SERVICES)}
    return {k: 10 - load // 10 for k, load in loads.items()}


def scores(ingress):
    """Each SID's L2 at the ingress, in one show command."""
    data = ingress.vtysh_json("show bgp cfn services json")
    by_sid = {s["sid"]: s.get("bestL2") for inst in data["instances"]
              for s in inst["sids"]}
    return {k: by_sid[sid(k)] for k in range(SERVICES) if sid(k) in by_sid}


def counter(router, name):
    data = router.vtysh_json("show bgp cfn statistics json")
    return data["instances"][0][name]


def move_all(net, loads, timeout):
    """Report the loads; when each SID's new score reached the ingress,
    from the report (one reading for all SIDs, so ties are ties)."""
    ingress, want = net["ingress"], l2_of(loads)
    report_loads(net.client, loads)
    t0, seen = time.monotonic(), {}
    while len(seen) < SERVICES and time.monotonic() - t0 < timeout:
        now = scores(ingress)
        t = time.monotonic() - t0
        seen.update({k: t for k, l2 in now.items()
                     if l2 == want[k] and k not in seen})
        time.sleep(0.02)
    return seen


def test_budget_sends_the_largest_change_first(net):
    egress = net["egress"]
    egress.configure("cfn damping max-rate 2",
                     context=f"router bgp {EGRESS_ASN}")
    assert "cfn damping max-rate 2" in egress.vtysh("show running-config")
    time.sleep(1.5)  # the budget fills: 2 updates
    waited = counter(egress, "updatesBudgetWaited")
    held = counter(egress, "budgetHeldMs")
    loads = {k: BIG_LOAD if k == BIG else SMALL_LOAD
             for k in range(SERVICES)}
    seen = move_all(net, loads, timeout=20)
    assert len(seen) == SERVICES, f"lost updates: only {sorted(seen)}"
    # 1 from the full bucket (a 2-step change may not empty it: the rest
    # is kept for larger ones), then the jump, though it came last
    second = sorted(seen.values())[1]
    assert seen[BIG] <= second, f"arrivals (s): {seen}"
    # the other 10 at 2 a second from 1 s on: 5.5 s; all at once without
    # a budget
    last = max(seen.values())
    assert last >= 5, f"12 updates within {last:.1f} s at max-rate 2"
    assert counter(egress, "updatesBudgetWaited") - waited >= SERVICES - 3
    # the 10 held went 0.5 s apart from 1 s: over 30 s in all
    assert counter(egress, "budgetHeldMs") - held >= 15000
    assert counter(egress, "budgetHeldMaxMs") >= 3500


def test_registration_is_not_held_back(net):
    """With a backlog of updates waiting for the budget, a new instance
    is advertised at once."""
    ingress, egress = net["ingress"], net["egress"]
    egress.configure("cfn damping max-rate 1",
                     context=f"router bgp {EGRESS_ASN}")
    time.sleep(1.5)
    report_loads(net.client, {k: START_LOAD for k in range(SERVICES)})
    net.client.send(cfnapi.batch(200, "extra", registers=[
        cfnapi.instance_report("10.9.9.9", capacity=8, hold=3600,
                               metrics=cpu(START_LOAD))]))
    assert cfnapi.reply_status(net.client.reply()) == 0
    t0 = time.monotonic()
    wait_until(lambda: ingress.vtysh_json(
        f"show bgp cfn service {EXTRA_SID} json").get("instances"),
        timeout=5, what="the new service at the ingress")
    registered_after = time.monotonic() - t0
    now, want = scores(ingress), l2_of(START_LOAD)
    waiting = [k for k in range(SERVICES) if now[k] != want[k]]
    assert len(waiting) >= 5, \
        f"the budget did not hold the backlog: waiting only {waiting}"
    assert registered_after < 2, registered_after

    # without a budget the backlog goes at once
    egress.configure("no cfn damping max-rate",
                     context=f"router bgp {EGRESS_ASN}")
    wait_until(lambda: scores(ingress) == want, timeout=3,
               what="the backlog after no cfn damping max-rate")
    assert "max-rate" not in egress.vtysh("show running-config")


def test_no_budget_sends_everything_at_once(net):
    seen = move_all(net, {k: SMALL_LOAD for k in range(SERVICES)},
                    timeout=10)
    assert len(seen) == SERVICES
    assert max(seen.values()) < 2, seen

