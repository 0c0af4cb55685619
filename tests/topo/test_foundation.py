# SPDX-License-Identifier: GPL-2.0-or-later
"""The module loads into stock bgpd, vtysh knows its commands, and its
configuration survives write memory + restart with an integrated frr.conf."""

import subprocess

import pytest

from topolib import Topology, run

MODULE_DIR = "/usr/lib/x86_64-linux-gnu/frr/modules"
VERSION = "0.1.0"


@pytest.fixture(scope="module")
def pair():
    topo = Topology("found")
    r1 = topo.add_router("r1", asn=65001)
    r2 = topo.add_router("r2", asn=65002)
    topo.add_link(r1, r2)
    with topo:
        topo.wait_established()
        yield topo


def services(router):
    data = router.vtysh_json("show bgp cfn json")
    return {(s["name"], s["sid"])
            for inst in data["instances"] for s in inst["services"]}


def test_stock_bgpd_lists_module(pair):
    for router in pair.routers.values():
        out = router.vtysh("show modules")
        line = next(l for l in out.splitlines() if l.startswith("bgpd_cfn"))
        assert VERSION in line
        assert f"from: {MODULE_DIR}/bgpd_cfn.so" in out
    # bgpd is Debian's, unmodified: dpkg's checksums still match
    verify = run(["dpkg", "--verify", "frr"], check=False).stdout
    assert "/usr/lib/frr/bgpd" not in verify


def test_sessions_established_with_module(pair):
    for router in pair.routers.values():
        peers = router.bgp_peers()
        assert peers and all(p["state"] == "Established"
                             for p in peers.values())


def test_configure_service_through_vtysh(pair):
    r1 = pair["r1"]
    r1.configure("cfn service video sid 198.51.100.10/32",
                 "cfn service ai sid 2001:db8::a/128",
                 context="router bgp 65001")
    assert services(r1) == {("video", "198.51.100.10/32"),
                            ("ai", "2001:db8::a/128")}
    data = r1.vtysh_json("show bgp cfn json")
    assert data["version"] == VERSION
    assert data["instances"][0]["localAS"] == 65001
    assert data["instances"][0]["vrfName"] == "default"
    text = r1.vtysh("show bgp cfn")
    assert "video" in text and "198.51.100.10/32" in text
    running = r1.vtysh("show running-config")
    block = running.split("router bgp 65001")[1].split("exit")[0]
    assert " cfn service ai sid 2001:db8::a/128" in block
    assert " cfn service video sid 198.51.100.10/32" in block


def test_interactive_vtysh_accepts_commands(pair):
    r2 = pair["r2"]
    script = "configure terminal\nrouter bgp 65002\n" \
             "cfn service maps sid 203.0.113.0/24\nend\n"
    out = subprocess.run(["vtysh", "-N", r2.ns], input=script, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert "Unknown command" not in out.stdout
    assert ("maps", "203.0.113.0/24") in services(r2)


@pytest.mark.parametrize("line,reason", [
    ("cfn service bad sid 198.51.100.1/24", "host bits set beyond /24"),
    ("cfn service web sid 198.51.100.10/32",
     "SID 198.51.100.10/32 already names service video"),
    ("cfn service bad!name sid 198.51.100.99/32", "invalid name"),
])
def test_bad_values_rejected_with_reason(pair, line, reason):
    r1 = pair["r1"]
    r1.configure("cfn service video sid 198.51.100.10/32",
                 context="router bgp 65001")
    before = services(r1)
    with pytest.raises(subprocess.CalledProcessError) as err:
        r1.configure(line, context="router bgp 65001")
    assert reason in err.value.output
    assert services(r1) == before


def test_remove_service(pair):
    r1 = pair["r1"]
    r1.configure("cfn service tmp sid 192.0.2.99/32",
                 context="router bgp 65001")
    assert ("tmp", "192.0.2.99/32") in services(r1)
    r1.configure("no cfn service tmp", context="router bgp 65001")
    assert ("tmp", "192.0.2.99/32") not in services(r1)
    with pytest.raises(subprocess.CalledProcessError) as err:
        r1.configure("no cfn service tmp", context="router bgp 65001")
    assert "No CFN service named tmp" in err.value.output


SETTINGS = [
    ("cfn selection mode weighted", "no cfn selection mode"),
    ("cfn selection weight compute 2 network 1",
     "no cfn selection weight"),
    ("cfn selection hysteresis 2", "no cfn selection hysteresis"),
    ("cfn selection affinity idle-timeout 30 buckets 64",
     "no cfn selection affinity"),
    ("cfn service video selection max-paths 2",
     "no cfn service video selection max-paths"),
    ("cfn api max-clients 10", "no cfn api max-clients"),
    ("cfn api max-clients-per-user 2", "no cfn api max-clients-per-user"),
    ("cfn api idle-timeout 0", "no cfn api idle-timeout"),
    ("cfn api tcp 127.0.0.1 port 7911", "no cfn api tcp"),
    ("cfn damping min-interval 500", "no cfn damping min-interval"),
    ("cfn damping max-rate 20", "no cfn damping max-rate"),
    ("cfn damping threshold queue-depth relative 5 absolute 2",
     "no cfn damping threshold queue-depth"),
    ("cfn metric cpu-cores weight 2", "no cfn metric cpu-cores weight"),
    ("cfn category service weight 3", "no cfn category service weight"),
    ("cfn attribute-type 200", "no cfn attribute-type"),
]


@pytest.mark.parametrize("setting,reset", SETTINGS,
                         ids=[s[1] for s in SETTINGS])
def test_no_form_needs_no_value(pair, setting, reset):
    r1 = pair["r1"]
    r1.configure("cfn service video sid 198.51.100.10/32",
                 context="router bgp 65001")

    def block():
        running = r1.vtysh("show running-config")
        return running.split("router bgp 65001")[1].split("exit")[0]
    r1.configure(setting, context="router bgp 65001")
    assert f" {setting}\n" in block()
    r1.configure(reset, context="router bgp 65001")
    assert f" {setting}\n" not in block()


def test_value_is_needed_without_no(pair):
    with pytest.raises(subprocess.CalledProcessError) as err:
        pair["r1"].configure("cfn selection hysteresis",
                             context="router bgp 65001")
    assert "Give a value" in err.value.output


def test_debug_switch(pair):
    r1 = pair["r1"]
    r1.configure("debug bgp cfn")
    assert r1.vtysh_json("show bgp cfn json")["debugEvents"] is True
    assert "debug bgp cfn" in r1.vtysh("show running-config")
    r1.configure("cfn service dbg sid 192.0.2.98/32",
                 context="router bgp 65001")
    with open(r1.log_file("bgpd")) as log:
        assert "CFN: VRF default: service dbg sid 192.0.2.98/32" in log.read()
    r1.configure("no debug bgp cfn")
    assert r1.vtysh_json("show bgp cfn json")["debugEvents"] is False
    assert "debug bgp cfn" not in r1.vtysh("show running-config")


def test_write_memory_survives_restart(pair):
    r2 = pair["r2"]
    r2.configure("cfn service persist sid 2001:db8:99::/48",
                 "cfn service video sid 198.51.100.10/32",
                 context="router bgp 65002")
    r2.configure("debug bgp cfn")
    before = services(r2)
    r2.vtysh("write memory")
    with open(r2.config_file) as f:
        saved = f.read()
    assert " cfn service persist sid 2001:db8:99::/48" in saved
    assert "debug bgp cfn" in saved

    r2.restart_daemons()  # boots from frr.conf through vtysh -b
    assert services(r2) == before
    assert r2.vtysh_json("show bgp cfn json")["debugEvents"] is True
    r2.wait_established()


def test_cfn_vtysh_installed_in_place_of_stock():
    divert = run(["dpkg-divert", "--list", "/usr/bin/vtysh"]).stdout
    assert "diversion of /usr/bin/vtysh to /usr/bin/vtysh.frr-stock" in divert
    # the stock vtysh does not know the module's commands; ours does
    table = run(["strings", "/usr/bin/vtysh"]).stdout
    stock = run(["strings", "/usr/bin/vtysh.frr-stock"]).stdout
    assert "cfn service WORD$name sid" in table
    assert "cfn service WORD$name sid" not in stock
