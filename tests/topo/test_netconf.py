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
import threading
import time

import paramiko
import pytest
from ncclient import manager
from ncclient.operations import RPCError
from ncclient.operations.errors import TimeoutExpiredError
from ncclient.transport.errors import AuthenticationError, TransportError
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
KEY_PASSPHRASE = "cfn-nctest-key"  # of the test's keys, not a password


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
    key.write_private_key_file(path, password=KEY_PASSPHRASE)
    if user:
        with open(os.path.join(workdir, f"keys_{user}"), "a") as f:
            f.write(f"{key.get_name()} {key.get_base64()} test\n")
    return path


def connect(key=None, user="root", password=None):
    if key:  # ncclient 0.6.17 (Debian 13) opens no key without a password
        password = KEY_PASSPHRASE
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
    assert not [c for c in caps if "yuma" in c]
    assert f'namespace "{NS}"' in schema


YANG_LIBRARY = "urn:ietf:params:xml:ns:yang:ietf-yang-library"
MONITORING = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"


def test_module_is_discoverable(net):
    """A client that knows no module name finds frr-cfn in the YANG
    library (RFC 8525, and RFC 7895's modules-state) and in the schema
    list (RFC 6022), and gets each listed schema, YANG or YIN."""
    ns = {"yl": YANG_LIBRARY, "m": MONITORING}
    with connect(net.key) as m:
        library = m.get(filter=("subtree", f'<yang-library xmlns='
                                f'"{YANG_LIBRARY}"/>')).data_ele
        modules = {e.findtext("yl:name", namespaces=ns):
                   e.findtext("yl:namespace", namespaces=ns)
                   for e in library.iterfind(
                       "yl:yang-library/yl:module-set/yl:module", ns)}
        assert modules["frr-cfn"] == NS
        state = m.get(filter=("subtree", f'<modules-state xmlns='
                              f'"{YANG_LIBRARY}"/>')).data_ele
        assert "frr-cfn" in [e.findtext("yl:name", namespaces=ns)
                             for e in state.iterfind(
                                 "yl:modules-state/yl:module", ns)]
        schemas = m.get(filter=("subtree", f'<netconf-state xmlns='
                                f'"{MONITORING}"><schemas/></netconf-state>'
                                )).data_ele
        listed = [(e.findtext("m:identifier", namespaces=ns),
                   e.findtext("m:version", namespaces=ns),
                   e.findtext("m:format", namespaces=ns).split(":")[-1])
                  for e in schemas.iterfind(
                      "m:netconf-state/m:schemas/m:schema", ns)]
        assert {f for i, _, f in listed if i == "frr-cfn"} == {"yang",
                                                              "yin"}
        for identifier, version, fmt in listed:
            reply = m.get_schema(identifier, version or None, fmt)
            # YANG is the text of <data>, YIN its XML content
            text = reply.data if fmt == "yang" else reply.xml
            assert identifier in text, (identifier, fmt)
        yin = to_ele(m.get_schema("frr-cfn", format="yin").xml)
        assert yin.find(".//{urn:ietf:params:xml:ns:yang:yin:1}namespace"
                        ).get("uri") == NS


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
    "cfn damping max-rate 20",
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


# EVERY_LEAF with a new value in each leaf (keys kept)
EVERY_LEAF_CHANGED = [
    "cfn api socket /var/run/frr/cfn-nc-test2.sock",
    "cfn api tcp 127.0.0.1 port 7912",
    "cfn api max-clients 11", "cfn api max-frame 4097",
    "cfn api max-instances 17", "cfn api hold-time 46",
    "cfn api stale-after 21", "cfn attribute-type 201",
    "cfn metric cpu-utilization normalize min-max 6 90",
    "cfn metric queue-depth normalize sigmoid 41 11",
    "cfn metric gpu-utilization weight 3",
    "cfn category compute weight 4",
    "cfn damping min-interval 501", "cfn damping max-interval 61",
    "cfn damping max-rate 21",
    "cfn damping threshold cpu-utilization relative 21 absolute 5",
    "cfn selection mode weighted",  # best is the default: no line
    "cfn selection weight compute 2 network 1",
    "cfn selection igp-cost-max 51", "cfn selection min-score 5",
    "cfn selection max-utilization 96", "cfn selection stale-after 31",
    "cfn selection hysteresis 2.5", "cfn selection weight-threshold 6",
    "cfn selection max-paths 5",
    "cfn selection affinity idle-timeout 45 buckets 32",
    "cfn service vc sid 198.51.100.31/32",
    "cfn service vc instance 10.8.8.8 capacity 3",
    "cfn service vc instance 10.8.8.8 metric active-sessions 40 "
    "statistic current",
    "cfn service vc selection mode weighted",
    "cfn service vc selection weight compute 2 network 2",
    "cfn service vc selection igp-cost-max 71",
    "cfn service vc selection min-score 3",
    "cfn service vc selection max-utilization 81",
    "cfn service vc selection stale-after 11",
    "cfn service vc selection hysteresis 2.5",
    "cfn service vc selection weight-threshold 21",
    "cfn service vc selection max-paths 2",
    "cfn service vc selection affinity idle-timeout 61 buckets 128",
]


def test_merge_changes_every_leaf(net):
    """A merge of a new value into each existing leaf changes it, and
    bgpd is sent integers as integers."""
    ingress = net["ingress"]
    before = cfn_lines(ingress)
    ingress.configure(*EVERY_LEAF_CHANGED, context="router bgp 65000")
    assert set(EVERY_LEAF_CHANGED) <= set(cfn_lines(ingress))
    with connect(net.key) as m:
        changed = m.get_config(source="running").data_xml
        ingress.configure(*EVERY_LEAF, context="router bgp 65000")
        assert set(EVERY_LEAF) <= set(cfn_lines(ingress))
        log_start = os.path.getsize(net.daemon_log)
        data = changed[changed.index("<cfn"):changed.rindex("</cfn>") + 6]
        m.edit_config(target="running",
                      config=f'<config xmlns="{NC}">{data}</config>')
    assert set(EVERY_LEAF_CHANGED) <= set(cfn_lines(ingress))
    with open(net.daemon_log) as log:
        log.seek(log_start)
        sent = log.read()
    assert "bgpd: cfn service vc instance 10.8.8.8 metric active-sessions " \
        "40 statistic current" in sent
    assert ".0 " not in sent and ".0\n" not in sent
    ingress.configure(*(f"no {line}"
                        for line in reversed(EVERY_LEAF_CHANGED)),
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


def bgpd_queries(net, request):
    """The show commands cfn-netconfd sends bgpd to answer request()."""
    start = os.path.getsize(net.daemon_log)
    request()
    with open(net.daemon_log) as log:
        log.seek(start)
        return [line.split("bgpd query: ", 1)[1].strip()
                for line in log if "bgpd query: " in line]


def test_filtered_get_reads_only_what_it_selects(net):
    sid_filter = (f'<cfn xmlns="{NS}"><state><sid><sid>{SID}</sid>'
                  "</sid></state></cfn>")
    with connect(net.key) as m:
        queries = bgpd_queries(net, lambda: m.get(
            filter=("subtree", sid_filter)))
        assert sorted(queries) == [f"show bgp cfn selection {SID} json",
                                   f"show bgp cfn service {SID} json"]
        stats = f'<cfn xmlns="{NS}"><state><statistics/></state></cfn>'
        assert bgpd_queries(net, lambda: m.get(
            filter=("subtree", stats))) == ["show bgp cfn statistics json"]
        assert bgpd_queries(net, lambda: m.get_config(
            source="running")) == ["show running-config"]


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
    ("unknown element", "<selection><bogus>1</bogus></selection>",
     "unknown-element"),
    ("SID with host bits", "<service><name>hb</name>"
     "<sid>203.0.113.65/24</sid></service>", "invalid-value"),
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


def test_unknown_element_names_the_element(net):
    with connect(net.key) as m:
        with pytest.raises(RPCError) as err:
            m.edit_config(target="running", config=config(
                "<selection><bogus>1</bogus></selection>"))
    assert err.value.tag == "unknown-element"
    assert "bogus</" in err.value.info  # <bad-element>


def test_sid_with_host_bits_is_refused_as_vtysh_refuses_it(net):
    ingress = net["ingress"]
    before = cfn_lines(ingress)
    refusal = ingress.vtysh("configure terminal", "router bgp 65000",
                            "cfn service hb sid 203.0.113.65/24",
                            check=False)
    assert "host bits" in refusal
    with connect(net.key) as m:
        for edit in (m.edit_config, m.validate):
            with pytest.raises(RPCError) as err:
                body = config("<service><name>hb</name>"
                              "<sid>203.0.113.65/24</sid></service>")
                if edit == m.validate:
                    m.validate(source=to_ele(body))
                else:
                    m.edit_config(target="running", config=body)
            assert err.value.tag == "invalid-value"
            assert "'203.0.113.65/24' has host bits set" in \
                err.value.message
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


def served(**login):
    """Whether a session of login gets an answer. A user outside the
    group is refused at authentication (libnetconf2 2), or, where
    libnetconf2 (3) offers no hook for that, once the session is up."""
    try:
        with connect(**login) as m:
            m.timeout = 10
            return m.get_config(source="running").ok
    except (TransportError, TimeoutExpiredError):
        return False


def interactive_login(user, password):
    """Whether keyboard-interactive authentication with password gets
    user in; None where the server does not offer it."""
    transport = paramiko.Transport(("127.0.0.1", PORT))
    try:
        transport.connect()
        transport.auth_interactive(
            user, lambda title, instructions, prompts:
            [password] * len(prompts))
        return True
    except paramiko.BadAuthenticationType:
        return None
    except paramiko.AuthenticationException:
        return False
    finally:
        transport.close()


def test_keyboard_interactive_password_goes_through_pam(net):
    """libnetconf2 3 (Debian 13) offers keyboard-interactive: the
    password asked for is checked by PAM (service cfn-netconfd)."""
    logged_in = interactive_login(TEST_USER, TEST_PASSWORD)
    if logged_in is None:
        pytest.skip("keyboard-interactive not offered (libnetconf2 2)")
    assert logged_in
    assert interactive_login(TEST_USER, "wrong") is False
    assert interactive_login("root", "not-the-password") is False


def test_authentication(net):
    stranger = new_key(net.workdir, "stranger_key")
    with pytest.raises(AuthenticationError):
        connect(stranger)
    with pytest.raises(AuthenticationError):
        connect(user="root", password="not-the-password")
    with pytest.raises(AuthenticationError):
        connect(user=TEST_USER, password="wrong")
    assert served(user=TEST_USER, password=TEST_PASSWORD)
    subprocess.run(["gpasswd", "-d", TEST_USER, "frrvty"],
                   capture_output=True, check=True)
    assert not served(user=TEST_USER, password=TEST_PASSWORD)
    assert not interactive_login(TEST_USER, TEST_PASSWORD)


def test_a_request_waiting_for_bgpd_holds_up_no_other_session(net):
    """Sessions are served in parallel: while one session's <get> waits
    for bgpd (stopped here), another session is answered what needs no
    bgpd (it used to wait for the get)."""
    bgpd = net["ingress"].daemon_pids()["bgpd"]
    library = f'<yang-library xmlns="{YANG_LIBRARY}"/>'
    answered = []
    with connect(net.key) as a, connect(net.key) as b:
        os.kill(bgpd, signal.SIGSTOP)
        try:
            slow = threading.Thread(
                target=lambda: answered.append(a.get() and "get"))
            slow.start()
            time.sleep(0.5)
            assert b.get(filter=("subtree", library)).ok
            answered.append("yang-library")
        finally:
            os.kill(bgpd, signal.SIGCONT)
        slow.join(timeout=30)
    assert answered == ["yang-library", "get"]


def test_zz_daemon_stops_clean(net):
    """Last: SIGTERM ends the daemon with no sanitizer finding."""
    net.daemon.terminate()
    assert net.daemon.wait(timeout=10) == 0
    time.sleep(0.2)
    log = open(net.daemon_log).read()
    assert "Sanitizer" not in log and "runtime error" not in log, log
