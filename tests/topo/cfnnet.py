# SPDX-License-Identifier: GPL-2.0-or-later
"""The CFN test network: an ingress and three egresses (e1, e2, e3), each
egress linked to the ingress, OSPF as IGP, iBGP (AS 65000) through a route
reflector (rr, behind the ingress) that reflects every path (add-path).

    e1 --\\
    e2 --- ingress --- rr
    e3 --/
"""

import json

from topolib import Topology, wait_until

RR = "10.0.0.2"
EGRESS_IDS = {"e1": "10.0.0.11", "e2": "10.0.0.12", "e3": "10.0.0.13"}
DAEMONS = ("zebra", "ospfd", "bgpd")
# The module's table of the SIDs' routes through their resilient groups
# (bgpd-ext/cfn_pin.h), looked up before main.
GROUP_TABLE = "252"


def ospf_config(router, costs):
    lines = []
    for ifname in router.interfaces:
        lines += [f"interface {ifname}", " ip ospf network point-to-point",
                  " ip ospf hello-interval 1", " ip ospf dead-interval 4"]
        peer = router.interfaces[ifname][1].name
        if peer in costs:
            lines.append(f" ip ospf cost {costs[peer]}")
        lines.append("exit")
    lines += ["router ospf", f" ospf router-id {router.router_id}",
              " network 10.0.0.0/8 area 0", "exit"]
    return "\n".join(lines) + "\n"


def ibgp_client_config(reflectors=(RR,)):
    lines = ["router bgp 65000", " timers bgp 3 9"]
    for rr in reflectors:
        lines += [f" neighbor {rr} remote-as 65000",
                  f" neighbor {rr} update-source lo",
                  f" neighbor {rr} timers connect 1"]
    return "\n".join(lines + ["exit"]) + "\n"


def rr_config(clients):
    lines = ["router bgp 65000", " timers bgp 3 9"]
    for client in clients:
        lines += [f" neighbor {client.router_id} remote-as 65000",
                  f" neighbor {client.router_id} update-source lo",
                  f" neighbor {client.router_id} timers connect 1"]
    lines.append(" address-family ipv4 unicast")
    for client in clients:
        lines += [f"  neighbor {client.router_id} route-reflector-client",
                  f"  neighbor {client.router_id} addpath-tx-all-paths"]
    lines += [" exit-address-family", "exit"]
    return "\n".join(lines) + "\n"


def build(name, costs):
    """The topology, not started; costs: OSPF cost of ingress -> egress."""
    topo = Topology(name)
    ingress = topo.add_router("ingress", asn=65000, router_id="10.0.0.1",
                              daemons=DAEMONS, link_peers=False)
    rr = topo.add_router("rr", asn=65000, router_id=RR, daemons=DAEMONS,
                         link_peers=False)
    egresses = [topo.add_router(e, asn=65000, router_id=node,
                                daemons=DAEMONS, link_peers=False)
                for e, node in EGRESS_IDS.items()]
    topo.add_link(ingress, rr)
    for egress in egresses:
        topo.add_link(ingress, egress)
    ingress.config = ospf_config(ingress, costs) + ibgp_client_config()
    rr.config = ospf_config(rr, {}) + rr_config([ingress] + egresses)
    for egress in egresses:
        egress.config = ospf_config(egress, {}) + ibgp_client_config()
    return topo


def offer_service(topo, sid, *ingress_lines, extra=()):
    """Service "video" at sid: one instance of capacity 10 per egress
    (10.1.N.1 at eN, plus extra lines each formatted with n=N), declared
    at the ingress with ingress_lines; until the ingress sees every
    egress."""
    for name in EGRESS_IDS:
        n = name[1]
        topo[name].configure(
            f"cfn service video sid {sid}",
            f"cfn service video instance 10.1.{n}.1 capacity 10",
            *(line.format(n=n) for line in extra),
            context="router bgp 65000")
    topo["ingress"].configure(f"cfn service video sid {sid}",
                              *ingress_lines, context="router bgp 65000")
    wait_egresses(topo["ingress"], sid, EGRESS_IDS.values(),
                  "every egress at the ingress")


def wait_converged(topo):
    rr = topo["rr"]
    wait_until(lambda: len(rr.bgp_peers()) == 4 and all(
        p["state"] == "Established" for p in rr.bgp_peers().values()),
        timeout=90, what="route reflector sessions")


def egresses(router, sid):
    data = router.vtysh_json(f"show bgp cfn service {sid} json")
    if not data["instances"]:
        return {}
    return {e["nodeId"]: e for e in data["instances"][0]["egresses"]}


def wait_egresses(router, sid, node_ids, what):
    return wait_until(
        lambda: (lambda e: e if set(e) == set(node_ids) else None)(
            egresses(router, sid)),
        timeout=30, what=what)


def kernel_nexthops(router, prefix):
    """{(gateway, dev): weight} of the kernel route, {} when none."""
    out = router.exec("ip", "-j", "route", "show", prefix).stdout
    routes = json.loads(out or "[]")
    if not routes:
        return {}
    route = routes[0]
    if "nexthops" in route:
        return {(nh["gateway"], nh["dev"]): nh.get("weight", 1)
                for nh in route["nexthops"]}
    return {(route["gateway"], route["dev"]): 1}


def chosen_nodes(router, sid):
    """The node IDs the router's selection chose for sid."""
    sids = router.vtysh_json(f"show bgp cfn selection {sid} json")[
        "instances"][0]["sids"]
    return [c["nodeId"] for c in sids[0]["chosen"]] if sids else []


def wait_chosen(router, sid, node, gateway):
    """Until node alone is chosen and the kernel route goes via gateway."""
    wait_until(lambda: chosen_nodes(router, sid) == [node], timeout=30,
               what=f"{node} chosen for {sid}")
    wait_until(lambda: {gw for gw, _ in kernel_nexthops(router, sid)}
               == {gateway}, timeout=30, what=f"{sid} via {gateway}")


def link_local(router, ifname):
    """The router's IPv6 link-local address on ifname."""
    (link,) = json.loads(router.exec("ip", "-6", "-j", "addr", "show",
                                     "dev", ifname).stdout)
    (addr,) = [a["local"] for a in link["addr_info"] if a["scope"] == "link"]
    return addr


def gateway_to(ingress, egress_name):
    """(gateway, dev) the ingress uses toward an egress."""
    ifname = f"eth-{egress_name}"
    return ingress.interfaces[ifname][2], ifname
