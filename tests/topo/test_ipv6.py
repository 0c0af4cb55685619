# SPDX-License-Identifier: GPL-2.0-or-later
"""IPv6 end to end: an IPv6 SID with an IPv6 instance, advertised over an
IPv6 eBGP session, decoded at the ingress and installed in its kernel FIB
through the IPv6 next hop: the egress's link-local address on its link,
as bgpd installs it."""

import json

from cfnnet import link_local
from topolib import Topology, wait_until

SID = "2001:db8:cf::1/128"


def test_ipv6_sid_to_fib():
    topo = Topology("v6")
    egress = topo.add_router("egress", asn=65001, link_peers=False)
    ingress = topo.add_router("ingress", asn=65002, link_peers=False)
    e_addr, i_addr = topo.add_link(egress, ingress, subnet="fd00:cf::/64")
    for router, peer, asn in ((egress, i_addr, 65002), (ingress, e_addr, 65001)):
        router.config = "\n".join([
            f"router bgp {router.asn}",
            f" neighbor {peer} remote-as {asn}",
            # CFN data from eBGP is ignored unless trusted (doc/cli.md)
            f" cfn neighbor {peer} data accept",
            " address-family ipv6 unicast",
            f"  neighbor {peer} activate",
            " exit-address-family", "exit"]) + "\n"
    with topo:
        topo.wait_established()
        egress.configure(f"cfn service ai sid {SID}",
                         "cfn service ai instance 2001:db8:1::11 capacity 8",
                         "cfn service ai instance 2001:db8:1::11 metric "
                         "gpu-utilization 30", context="router bgp 65001")

        def reachable_view():
            # the path can come before zebra has resolved its next hop:
            # the view shows it unreachable until then
            data = ingress.vtysh_json(f"show bgp cfn service {SID} json")
            egress_view = data["instances"][0]["egresses"][0]
            return egress_view if egress_view["reachable"] else None
        egress_view = wait_until(reachable_view, timeout=30,
                                 what="the IPv6 SID, reachable")
        assert egress_view["nexthop"] == e_addr
        (inst,) = egress_view["instances"]
        assert inst["bid"] == "2001:db8:1::11"
        assert inst["metrics"][0]["name"] == "gpu-utilization"
        assert inst["l2"] == 7

        def fib():
            routes = json.loads(ingress.exec("ip", "-6", "-j", "route", "show",
                                             SID).stdout or "[]")
            return routes and routes[0]
        route = wait_until(fib, timeout=30, what="the IPv6 kernel route")
        assert route["gateway"] == link_local(egress, "eth-ingress")
        assert route["dev"] == "eth-egress"
        egress.configure("no cfn service ai instance 2001:db8:1::11",
                         context="router bgp 65001")
        wait_until(lambda: not fib(), timeout=30, what="the route withdrawn")
