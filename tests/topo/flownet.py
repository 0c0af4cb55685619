# SPDX-License-Identifier: GPL-2.0-or-later
"""The network of the flow tests: an ingress (AS 65000) with two directly
connected eBGP egresses, egress1 (AS 65001) and egress2 (AS 65002), and a
client host behind it whose flows the ingress hashes per connection.

    egress1 --\\
               ingress --- client
    egress2 --/
"""

from topolib import Topology

EGRESS_ASN = {"egress1": 65001, "egress2": 65002}


def build(name):
    """The topology, not started."""
    topo = Topology(name)
    ingress = topo.add_router("ingress", asn=65000)
    for egress, asn in EGRESS_ASN.items():
        topo.add_link(ingress, topo.add_router(egress, asn=asn))
    client = topo.add_router("client", daemons=())
    topo.client_gateway, _ = topo.add_link(ingress, client)
    return topo


def prepare(topo):
    """Once started: sessions up, the client routed through the ingress,
    which hashes flows on the 5-tuple."""
    topo.wait_established()
    topo["client"].exec("ip", "route", "add", "default", "via",
                        topo.client_gateway)
    topo["ingress"].exec("sysctl", "-qw",
                         "net.ipv4.fib_multipath_hash_policy=1")
