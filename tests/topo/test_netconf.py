# SPDX-License-Identifier: GPL-2.0-or-later
"""cfn-netconfd against a running CFN network, driven by a real NETCONF
client (ncclient): edit-config lands in bgpd's running-config and vtysh
edits show in get-config, <get> state matches "show bgp cfn ... json", a
metric change notifies subscribers, invalid or refused edits change
nothing, locks exclude other sessions, and only authorised users with
the right key or password get in."""

import ctypes
import os
import signal
import subprocess
import time

import paramiko
import pytest
from ncclient import manager
from ncclient.operations import RPCError
from ncclient.transport.errors import AuthenticationError
from ncclient.xml_ import to_ele

import cfnnet
from topolib import wait_until

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
SID = "198.51.100.10/32"
NS = "urn:frr-cfn:yang:frr-cfn"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
PORT = 18830 + os.getpid() % 1000
TEST_USER = "cfn-nctest"
TEST_PASSWORD = "cfn-nctest-Secret1"


def daemon_binary():
    sanitized = os.path.join(TOP, "tools", "cfn-netconfd-sanitized")
    return sanitized if os.access(sanitized, os.X_OK) else \
        "/usr/sbin/cfn-netconfd"


def die_with_parent():
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_daemon(workdir, pathspace):
    log = open(os.path.join(workdir, "cfn-netconfd.log"), "w")
    proc = subprocess.Popen(
        [daemon_binary(), "-d", "-a", "127.0.0.1", "-p", str(PORT),
         "-k", os.path.join(workdir, "host_key"), "-g", "frrvty",
         "-A", os.path.join(workdir, "keys_%u"), "-N", pathspace,
         "-y", os.path.join(TOP, "yang")],
        stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
    wait_until(lambda: b"listening" in open(log.name, "rb").read(),
               timeout=15, what="cfn-netconfd to listen")
    return proc, log.name


def new_key(workdir, name, user=None):
    """An ECDSA key; authorised for user (in keys_USER) if given."""
    key = paramiko.ECDSAKey.generate()
    path = os.path.join(workdir, name)
    key.write_private_key_file(path)
    if user:
        with open(os.path.join(workdir, f"keys_{user}"), "a") as f:
            f.write(f"{key.get_name()} {key.get_base64()} test\n")
    return path


def connect(key=None, user="root", password=None):
    return manager.connect(
        host="127.0.0.1", port=PORT, username=user, key_filename=key,
        password=password, hostkey_verify=False, allow_agent=False,
        look_for_keys=False, timeout=20)


def create_test_user():
    subprocess.run(["userdel", "-r", TEST_USER], capture_output=True)
    subprocess.run(["useradd", "-M", "-G", "frrvty", TEST_USER], check=True)
    subprocess.run(["chpasswd"], input=f"{TEST_USER}:{TEST_PASSWORD}",
                   text=True, check=True)


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("netconf"))
    topo = cfnnet.build("nc", {"e1": 10, "e2": 20, "e3": 30})
    with topo:
        cfnnet.wait_converged(topo)
        cfnnet.offer_service(
            topo, SID, extra=["cfn service video instance 10.1.{n}.1 "
                              "metric cpu-utilization 20 statistic mean"])
        create_test_user()
        proc, log = start_daemon(workdir, topo["ingress"].ns)
        topo.workdir, topo.daemon, topo.daemon_log = workdir, proc, log
        topo.key = new_key(workdir, "root_key", "root")
        try:
            yield topo
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            subprocess.run(["userdel", TEST_USER], capture_output=True)


def cfn_lines(router):
    return [line.strip() for line in
            router.vtysh("show running-config").splitlines()
            if line.startswith(" cfn ")]


def config(body, nc_ns=False):
    xmlns_nc = f' xmlns:nc="{NC}"' if nc_ns else ""
    return (f'<config xmlns="{NC}"{xmlns_nc}><cfn xmlns="{NS}">{body}'
            "</cfn></config>")


AI_SERVICE = """
<service><name>ai</name><sid>198.51.100.20/32</sid>
  <selection><mode>weighted</mode><max-paths>2</max-paths>
    <weight><compute>2</compute><network>1</network></weight></selection>
  <instance><bid>10.9.9.9</bid><capacity>4</capacity>
    <metric><type>cpu-utilization</type><statistic>mean</statistic>
      <value>12.5</value></metric></instance>
</service>"""


def test_hello_advertises_the_model(net):
    with connect(net.key) as m:
        caps = list(m.server_capabilities)
        # a YANG 1.1 module is announced through the YANG library
        schema = m.get_schema("frr-cfn").data
    for cap in (":writable-running:1.0", ":validate:1.1", ":xpath:1.0",
                ":notification:1.0", ":interleave:1.0",
                ":yang-library:1.1"):
        assert any(cap in c for c in caps), cap
    assert f'namespace "{NS}"' in schema


def test_edit_config_creates_service_and_policy(net):
    ingress = net["ingress"]
    with connect(net.key) as m:
        m.edit_config(target="running", config=config(AI_SERVICE))
        reply = m.get_config(source="running").data_xml
    lines = cfn_lines(ingress)
    for expected in ("cfn service ai sid 198.51.100.20/32",
                     "cfn service ai instance 10.9.9.9 capacity 4",
                     "cfn service ai instance 10.9.9.9 metric "
                     "cpu-utilization 12.5 statistic mean",
                     "cfn service ai selection mode weighted",
                     "cfn service ai selection weight compute 2 network 1",
                     "cfn service ai selection max-paths 2"):
        assert expected in lines
    assert "<name>ai</name>" in reply and "<max-paths>2</max-paths>" in reply
    selection = ingress.vtysh_json("show bgp cfn json")
    assert "ai" in [s["name"] for s in
                    selection["instances"][0]["services"]]


# Every configurable leaf, as vtysh writes it in running-config.
EVERY_LEAF = [
    "cfn api socket /var/run/frr/cfn-nc-test.sock",
    "cfn api tcp 127.0.0.1 port 7911",
    "cfn api max-clients 10", "cfn api max-frame 4096",
    "cfn api max-instances 16", "cfn api hold-time 45",
    "cfn api stale-after 20", "cfn attribute-type 200",
    "cfn metric cpu-utilization normalize min-max 5 95",
    "cfn metric queue-depth normalize sigmoid 40 10",
    "cfn metric gpu-utilization weight 2",
    "cfn category compute weight 3",
    "cfn damping min-interval 500", "cfn damping max-interval 60",
    "cfn damping threshold cpu-utilization relative 20 absolute 4",
    "cfn selection mode weighted",
    "cfn selection weight compute 3 network 1",
    "cfn selection igp-cost-max 50", "cfn selection min-score 3",
    "cfn selection max-utilization 95", "cfn selection stale-after 30",
    "cfn selection hysteresis 0.5", "cfn selection weight-threshold 5",
    "cfn selection max-paths 4",
    "cfn selection affinity idle-timeout 30 buckets 64",
    "cfn service vc sid 198.51.100.30/32",
    "cfn service vc instance 10.8.8.8 capacity 2",
    "cfn service vc instance 10.8.8.8 metric active-sessions 12 "
    "statistic current",
    "cfn service vc selection mode best",
    "cfn service vc selection weight compute 1 network 2",
    "cfn service vc selection igp-cost-max 70",
    "cfn service vc selection min-score 2",
    "cfn service vc selection max-utilization 80",
    "cfn service vc selection stale-after 10",
    "cfn service vc selection hysteresis 2",
    "cfn service vc selection weight-threshold 20",
    "cfn service vc selection max-paths 1",
    "cfn service vc selection affinity idle-timeout 60 buckets 256",
]


def test_vtysh_and_netconf_are_one_configuration(net):
    """Every leaf set with vtysh shows in get-config; removing the lot and
    loading that get-config back over NETCONF restores running-config
    line for line."""
    ingress = net["ingress"]
    before = cfn_lines(ingress)
    ingress.configure(*EVERY_LEAF, context="router bgp 65000")
    with_all = cfn_lines(ingress)
    assert set(EVERY_LEAF) <= set(with_all)
    with connect(net.key) as m:
        saved = m.get_config(source="running").data_xml
        m.edit_config(target="running", config=config(
            '<service nc:operation="remove"><name>vc</name></service>'
            '<api nc:operation="remove"/><metric nc:operation="remove">'
            "<type>cpu-utilization</type></metric>", nc_ns=True))
        assert "cfn service vc sid 198.51.100.30/32" not in cfn_lines(
            ingress)
        data = saved[saved.index("<cfn"):saved.rindex("</cfn>") + 6]
        m.edit_config(target="running", default_operation="replace",
                      config=f'<config xmlns="{NC}">{data}</config>')
    assert cfn_lines(ingress) == with_all
    ingress.configure(*(f"no {line}" for line in reversed(EVERY_LEAF)),
                      context="router bgp 65000")
    assert cfn_lines(ingress) == before


def netconf_state(m):
    reply = m.get(filter=None).data_ele
    ns = {"c": NS}
    return reply.find("c:cfn/c:state", ns), ns


def test_get_state_matches_show_json(net):
    ingress = net["ingress"]
    view = ingress.vtysh_json(f"show bgp cfn service {SID} json")
    selection = ingress.vtysh_json(f"show bgp cfn selection {SID} json")
    with connect(net.key) as m:
        state, ns = netconf_state(m)
    sid = state.find(f"c:sid[c:sid='{SID}']", ns)
    assert sid is not None
    for egress in view["instances"][0]["egresses"]:
        node = sid.find(f"c:egress[c:node-id='{egress['nodeId']}']", ns)
        assert int(node.findtext("c:igp-metric", namespaces=ns)) == \
            egress["igpMetric"]
        assert int(node.findtext("c:l2", namespaces=ns)) == egress["l2"]
        metric = node.find("c:instance/c:metric", ns)
        assert metric.findtext("c:name", namespaces=ns) == "cpu-utilization"
        assert float(metric.findtext("c:value", namespaces=ns)) == \
            egress["instances"][0]["metrics"][0]["value"]
    chosen = {c.findtext("c:node-id", namespaces=ns)
              for c in sid.findall("c:selection/c:chosen", ns)}
    sel = selection["instances"][0]["sids"][0]
    assert chosen == {c["nodeId"] for c in sel["chosen"]}
    verdicts = {c.findtext("c:node-id", namespaces=ns):
                c.findtext("c:verdict", namespaces=ns)
                for c in sid.findall("c:selection/c:candidate", ns)}
    assert verdicts == {c["nodeId"]: c["verdict"] for c in sel["candidates"]}
    stats = ingress.vtysh_json("show bgp cfn statistics json")
    assert int(state.findtext("c:statistics/c:paths-decoded",
                              namespaces=ns)) >= \
        stats["instances"][0]["pathsDecoded"] - 5


def test_get_filters(net):
    ns = {"c": NS}
    with connect(net.key) as m:
        sid_filter = (f'<cfn xmlns="{NS}"><state><sid><sid>{SID}</sid>'
                      "<selection><chosen/></selection></sid></state></cfn>")
        reply = m.get(filter=("subtree", sid_filter)).data_ele
        sid = reply.find(f"c:cfn/c:state/c:sid[c:sid='{SID}']", ns)
        assert sid.findall("c:selection/c:chosen", ns)
        assert sid.find("c:egress", ns) is None
        assert sid.find("c:selection/c:candidate", ns) is None
        assert reply.find("c:cfn/c:service", ns) is None

        service = (f'<cfn xmlns="{NS}"><service><name>video</name>'
                   "</service></cfn>")
        reply = m.get_config(source="running",
                             filter=("subtree", service)).data_ele
        names = [n.text for n in reply.findall("c:cfn/c:service/c:name", ns)]
        assert names == ["video"]
        assert reply.find("c:cfn/c:service/c:sid", ns).text == SID

        stats = m.get(filter=("xpath", ({"c": NS},
                                        "/c:cfn/c:state/c:statistics")))
        reply = stats.data_ele
        assert reply.find("c:cfn/c:state/c:statistics/c:paths-decoded",
                          ns) is not None
        assert reply.find("c:cfn/c:state/c:sid", ns) is None
        nothing = m.get(filter=("xpath", ({"c": NS}, "/c:cfn/c:nosuch")))
        assert nothing.data_ele.find("c:cfn", ns) is None
        with pytest.raises(RPCError):
            m.get(filter=("xpath", ({"c": NS}, "/c:cfn/c:state[")))


def set_cpu(net, egress, value):
    net[egress].configure(
        f"cfn service video instance 10.1.{egress[1]}.1 metric "
        f"cpu-utilization {value} statistic mean", context="router bgp 65000")


def test_metric_change_notifies_selection_change(net):
    with connect(net.key) as m:
        m.create_subscription()
        set_cpu(net, "e1", 95)  # e1 (nearest) overloaded: the choice moves
        notification = m.take_notification(timeout=30)
        assert notification is not None, "no notification within 30 s"
        xml = notification.notification_xml
        assert "selection-change" in xml and SID in xml
        assert "<node-id>10.0.0.11</node-id>" not in xml
        set_cpu(net, "e1", 20)  # within hysteresis: no change, no news
        set_cpu(net, "e2", 95)  # e2, now chosen, overloaded: back to e1
        xml = m.take_notification(timeout=30).notification_xml
        assert "<node-id>10.0.0.11</node-id>" in xml
        set_cpu(net, "e2", 20)


INVALID_EDITS = [
    ("out of range", "<selection><max-paths>99</max-paths></selection>",
     "invalid-value"),
    ("wrong type", "<attribute-type>abc</attribute-type>", "invalid-value"),
    ("unknown element", "<selection><bogus>1</bogus></selection>", None),
    ("must: both weights 0", "<selection><weight><compute>0</compute>"
     "<network>0</network></weight></selection>", None),
    ("service without SID", "<service><name>nosid</name></service>",
     "data-missing"),
    ("bad service name", "<service><name>-x</name>"
     "<sid>198.51.100.40/32</sid></service>", "invalid-value"),
    ("create of existing", '<service nc:operation="create"><name>video'
     "</name><sid>198.51.100.10/32</sid></service>", "data-exists"),
    ("delete of missing", '<service nc:operation="delete"><name>nosuch'
     "</name></service>", "data-missing"),
]


@pytest.mark.parametrize("what,body,tag", INVALID_EDITS,
                         ids=[e[0] for e in INVALID_EDITS])
def test_invalid_edit_is_rejected_and_changes_nothing(net, what, body, tag):
    ingress = net["ingress"]
    before = cfn_lines(ingress)
    with connect(net.key) as m:
        with pytest.raises(RPCError) as err:
            m.edit_config(target="running", config=config(
                "<selection><hysteresis>3</hysteresis></selection>" + body,
                nc_ns=True))
    assert err.value.message, "an rpc-error says why"
    if tag:
        assert err.value.tag == tag
    assert cfn_lines(ingress) == before


def test_edit_refused_by_bgpd_is_rolled_back(net):
    """Valid for YANG, refused by bgpd (a SID names one service only):
    what was applied before the refusal is undone."""
    ingress = net["ingress"]
    before = cfn_lines(ingress)
    with connect(net.key) as m:
        with pytest.raises(RPCError) as err:
            m.edit_config(target="running", config=config(
                "<selection><min-score>2</min-score></selection>"
                "<service><name>dup</name><sid>198.51.100.10/32</sid>"
                "</service>"))
    assert "already names service video" in err.value.message
    assert cfn_lines(ingress) == before


def test_validate(net):
    with connect(net.key) as m:
        m.validate(source=to_ele(config(AI_SERVICE)))
        with pytest.raises(RPCError) as err:
            m.validate(source=to_ele(config(
                "<selection><min-score>11</min-score></selection>")))
        assert err.value.tag == "invalid-value"


def test_lock_excludes_other_sessions(net):
    with connect(net.key) as a, connect(net.key) as b:
        a.lock(target="running")
        with pytest.raises(RPCError) as err:
            b.edit_config(target="running", config=config(
                "<selection><min-score>2</min-score></selection>"))
        assert err.value.tag == "in-use"
        with pytest.raises(RPCError) as err:
            b.lock(target="running")
        assert err.value.tag == "lock-denied"
        a.unlock(target="running")
        b.lock(target="running")
        b.unlock(target="running")


def test_authentication(net):
    stranger = new_key(net.workdir, "stranger_key")
    with pytest.raises(AuthenticationError):
        connect(stranger)
    with pytest.raises(AuthenticationError):
        connect(user="root", password="not-the-password")
    with pytest.raises(AuthenticationError):
        connect(user=TEST_USER, password="wrong")
    with connect(user=TEST_USER, password=TEST_PASSWORD) as m:
        assert m.get_config(source="running").ok
    subprocess.run(["gpasswd", "-d", TEST_USER, "frrvty"],
                   capture_output=True, check=True)
    with pytest.raises(AuthenticationError):
        connect(user=TEST_USER, password=TEST_PASSWORD)


def test_zz_daemon_stops_clean(net):
    """Last: SIGTERM ends the daemon with no sanitizer finding."""
    net.daemon.terminate()
    assert net.daemon.wait(timeout=10) == 0
    time.sleep(0.2)
    log = open(net.daemon_log).read()
    assert "Sanitizer" not in log and "runtime error" not in log, log
