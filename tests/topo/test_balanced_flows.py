# SPDX-License-Identifier: GPL-2.0-or-later
"""Balanced mode with real TCP flows: new connections from a client behind
the ingress spread over two egresses so that both end at the same
utilisation, from what their instances report.

egress1 serves 300 requests/s but is 70 % busy with other work; egress2
serves 100 requests/s and is 10 % busy; each serves 40 requests/s of the
SID. Water-filling the 80 requests/s over the room each has left brings
both to 75 %: egress1 takes 15 (19 %), egress2 65 (81 %).

Weighted mode would send none to egress1 (its L2 score is under
min-score), and a split by free capacity alone (90 and 90) would be
50/50: either makes this test fail.
"""

import pytest

import cfnnet
import flownet
from topolib import wait_until

SID = "198.51.100.30/32"
ADDR = SID.split("/")[0]
PORT = 9200
# name: (capacity, background and CPU utilisation in %, request rate)
SITES = {"egress1": (300, 70, 40), "egress2": (100, 10, 40)}
SHARE = {"egress1": 15 / 80, "egress2": 65 / 80}
PROBES = 400


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    work = tmp_path_factory.mktemp("balanced")
    topo = flownet.build("bfl")
    with topo:
        flownet.prepare(topo)
        flownet.serve_tcp(topo, work, SID, PORT)
        for name, (capacity, busy, rate) in SITES.items():
            asn = flownet.EGRESS_ASN[name]
            bid = f"10.{asn % 10}.0.1"
            topo[name].configure(
                f"cfn service video sid {SID}",
                f"cfn service video instance {bid} capacity {capacity}",
                f"cfn service video instance {bid} metric "
                f"cpu-utilization {busy} statistic mean",
                f"cfn service video instance {bid} metric "
                f"background-utilization {busy} statistic max",
                f"cfn service video instance {bid} metric "
                f"request-rate {rate} statistic mean",
                context=f"router bgp {asn}")
        topo["ingress"].configure(
            f"cfn service video sid {SID}",
            "cfn service video selection mode balanced",
            context="router bgp 65000")
        topo.work = work
        yield topo


def test_new_flows_split_to_equal_utilisation(net):
    ingress = net["ingress"]
    gw = {n: cfnnet.gateway_to(ingress, n) for n in SITES}
    top = max(SHARE.values())
    weights = {gw[n]: round(255 * s / top) for n, s in SHARE.items()}
    wait_until(lambda: cfnnet.kernel_nexthops(ingress, SID) == weights,
               timeout=30, what=f"kernel weights {weights}")
    seen = flownet.probe(net, net.work, ADDR, PORT, PROBES)
    assert None not in seen
    share = {n: seen.count(n) / PROBES for n in SITES}
    # 400 connections hashed on their ports: a few points either way
    assert share["egress1"] == pytest.approx(SHARE["egress1"], abs=0.07)
    assert share["egress2"] == pytest.approx(SHARE["egress2"], abs=0.07)
