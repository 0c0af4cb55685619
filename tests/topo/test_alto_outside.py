# SPDX-License-Identifier: GPL-2.0-or-later
"""cfn-altod tested from the outside: written from doc/alto.md and the
RFCs (7285, 7232, 8895, 9240) alone, without reading the daemon's code.

A live CFN network (cfnnet: ingress, route reflector, three egresses
offering "video") runs cfn-altod at the ingress as an operator would (a
configuration file, -f, -d). Clients are raw sockets and http.client
opened inside the ingress's namespace, and curl for TLS: malformed HTTP,
huge headers, slow and many connections, hostile JSON bodies, content
negotiation, conditional GETs, update streams across load changes, link
flaps and a bgpd restart, authentication, and the documented limits.
Each assertion is a promise of the doc or of an RFC."""

import ctypes
import email.utils
import http.client
import json
import os
import re
import socket
import subprocess
import threading
import time

import pytest

import cfnnet
from cfnnet import EGRESS_IDS
from topolib import wait_until

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ALTOD = os.environ.get("CFN_ALTOD", os.path.join(REPO, "tools", "cfn-altod"))
SID = "198.51.100.10/32"
SID_PID = "sid-198.51.100.10-32"
PORT = 8181          # the main server, default limits
LIMITED_PORT = 8182  # small limits
OPEN_PORT = 8183     # plain HTTP on a non-loopback address, allowed
TLS_PORT = 8443
BIDS = {name: f"10.1.{name[1]}.1" for name in EGRESS_IDS}
LOADS = {"e1": 0, "e2": 30, "e3": 90}    # CPU %: L2 10, 7 and 1
L2 = {"e1": 10, "e2": 7, "e3": 1}
ERROR_TYPE = "application/alto-error+json"
EC_PARAMS = "application/alto-endpointcostparams+json"
PM_PARAMS = "application/alto-propmapparams+json"
US_PARAMS = "application/alto-updatestreamparams+json"
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


# -- sockets and HTTP inside a namespace -----------------------------------

def ns_socket(ns, family=socket.AF_INET):
    """A TCP socket of namespace ns: made by a thread that joined ns (a
    namespace is per thread; the socket stays in it)."""
    made = {}

    def make():
        fd = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                made["error"] = OSError(ctypes.get_errno(), "setns")
                return
            made["sock"] = socket.socket(family, socket.SOCK_STREAM)
        finally:
            os.close(fd)
    thread = threading.Thread(target=make)
    thread.start()
    thread.join()
    if "error" in made:
        raise made["error"]
    return made["sock"]


def connect(ns, host="127.0.0.1", port=PORT, timeout=10):
    sock = ns_socket(ns)
    sock.settimeout(timeout)
    sock.connect((host, port))
    return sock


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def media_type(self):
        return self.headers.get("content-type", "").split(";")[0].strip()

    def error(self):
        assert self.media_type == ERROR_TYPE, (self.status, self.body)
        return self.json()["meta"]


def request(ns, method, path, body=None, headers=None, host="127.0.0.1",
            port=PORT):
    """One HTTP/1.1 request on its own connection."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.sock = connect(ns, host, port)
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()},
                 data)


def raw_exchange(ns, data, port=PORT, timeout=5):
    """Send raw octets, return what the server answers until it closes or
    goes quiet (b"" when it closes at once)."""
    sock = connect(ns, port=port, timeout=timeout)
    try:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        sock.close()


def status_of(raw):
    match = re.match(rb"HTTP/1\.[01] (\d{3})", raw)
    return int(match.group(1)) if match else None


# -- update streams ----------------------------------------------------------

class Stream:
    """An RFC 8895 update stream read event by event."""

    def __init__(self, ns, params, port=PORT):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.conn.sock = connect(ns, port=port, timeout=60)
        self.conn.request("POST", "/updates", body=json.dumps(params),
                          headers={"Content-Type": US_PARAMS,
                                   "Accept": "text/event-stream"})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = {k.lower(): v for k, v in self.resp.getheaders()}
        self.control_uri = None

    def next_event(self, timeout=30):
        """(event type, data, id) of the next event."""
        self.conn.sock.settimeout(timeout)
        fields = {"data": []}
        while True:
            line = self.resp.readline()
            if not line:
                raise EOFError("update stream closed")
            line = line.decode().rstrip("\r\n")
            if not line:
                if fields["data"] or "event" in fields:
                    return (fields.get("event", "message"),
                            "\n".join(fields["data"]), fields.get("id"))
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                fields["data"].append(value)
            elif name in ("event", "id"):
                fields[name] = value

    def until(self, predicate, timeout=40, what="event"):
        """Read events until predicate(event type, parsed data) holds."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                kind, data, _ = self.next_event(deadline - time.monotonic())
            except socket.timeout:
                break
            parsed = json.loads(data) if data else None
            seen.append((kind, parsed))
            if predicate(kind, parsed):
                return kind, parsed
        raise TimeoutError(f"no {what} in the stream; saw {seen[-5:]}")

    def open(self):
        """Read the control event; return the control URI."""
        kind, data, _ = self.next_event()
        assert kind == "application/alto-updatestreamcontrol+json", kind
        self.control_uri = json.loads(data)["control-uri"]
        return self.control_uri

    def close(self):
        self.conn.close()


# -- the network and the daemons ---------------------------------------------

def write_conf(router, name, *lines):
    path = os.path.join(router.run_dir, name)
    with open(path, "w") as f:
        f.write("# cfn-altod, test_alto_outside\n" + "\n".join(lines) + "\n")
    return path


def api_socket(router):
    return os.path.join(router.run_dir, "cfn-api.sock")


def start_altod(router, name, *lines, port):
    conf = write_conf(router, f"{name}.conf", f"port {port}",
                      f"api-socket {api_socket(router)}", *lines)
    proc = router.popen(ALTOD, "-f", conf, "-d", log=f"{name}.log")
    return conf, proc


def set_load(topo, **cpu):
    ingress = topo["ingress"]
    for name, value in cpu.items():
        topo[name].configure(
            f"cfn service video instance {BIDS[name]} metric "
            f"cpu-utilization {value} statistic mean",
            context="router bgp 65000")

    def seen():
        view = cfnnet.egresses(ingress, SID)
        return all(view[EGRESS_IDS[n]]["instances"][0]["metrics"][0]["value"]
                   == v for n, v in cpu.items())
    wait_until(seen, timeout=30, what=f"loads {cpu} at the ingress")


def wait_served(ns, host="127.0.0.1", port=PORT, timeout=60):
    def ready():
        try:
            reply = request(ns, "GET", "/networkmap", host=host, port=port)
        except OSError:  # not listening yet
            return None
        if reply.status != 200:
            return None
        pids = reply.json()["network-map"]
        return all(f"egress-{e}" in pids for e in EGRESS_IDS.values())
    wait_until(ready, timeout=timeout, what="cfn-altod serving every egress")


@pytest.fixture(scope="module")
def net():
    topo = cfnnet.build("aoxw", {"e1": 10, "e2": 10, "e3": 10})
    with topo:
        cfnnet.wait_converged(topo)
        cfnnet.offer_service(topo, SID)
        set_load(topo, **LOADS)
        ingress = topo["ingress"]
        topo.altod = start_altod(ingress, "altod", port=PORT)
        wait_served(ingress.ns)
        yield topo


@pytest.fixture
def ns(net):
    return net["ingress"].ns


def get(ns, path, **headers):
    return request(ns, "GET", path, headers=headers)


def post(ns, path, body, media_type, **headers):
    return request(ns, "POST", path, body=body,
                   headers={"Content-Type": media_type, **headers})


def stats(ns, port=PORT):
    reply = request(ns, "GET", "/stats", port=port)
    assert reply.status == 200, reply.body
    return reply.json()


def alive(net, port=PORT):
    """The daemon still runs and answers."""
    assert net.altod[1].poll() is None, "cfn-altod exited"
    assert request(net["ingress"].ns, "GET", "/directory",
                   port=port).status == 200


# -- the resources ------------------------------------------------------------

def test_ird_lists_every_documented_resource(ns):
    reply = get(ns, "/directory")
    assert reply.status == 200
    assert reply.media_type == "application/alto-directory+json"
    ird = reply.json()
    resources = ird["resources"]
    expected = {
        "networkmap": ("/networkmap", "application/alto-networkmap+json"),
        "costmap-routingcost-num": ("/costmap/routingcost-num",
                                    "application/alto-costmap+json"),
        "costmap-routingcost-ord": ("/costmap/routingcost-ord",
                                    "application/alto-costmap+json"),
        "costmap-score": ("/costmap/score", "application/alto-costmap+json"),
        "costmap-l2": ("/costmap/l2", "application/alto-costmap+json"),
        "propmap": ("/propmap", "application/alto-propmap+json"),
        "propmap-filtered": ("/propmap/filtered",
                             "application/alto-propmap+json"),
        "endpointcost": ("/endpointcost",
                         "application/alto-endpointcost+json"),
        "update-stream": ("/updates", "text/event-stream"),
    }
    for rid, (uri, media_type) in expected.items():
        assert rid in resources, rid
        assert resources[rid]["uri"].endswith(uri), resources[rid]
        assert resources[rid]["media-type"] == media_type
    assert resources["endpointcost"]["accepts"] == EC_PARAMS
    assert resources["propmap-filtered"]["accepts"] == PM_PARAMS
    assert resources["update-stream"]["accepts"] == US_PARAMS
    # RFC 7285 9.2.2: cost maps name the network map they use, and every
    # cost type name is defined in meta.cost-types
    cost_types = ird["meta"]["cost-types"]
    for rid in ("costmap-routingcost-num", "costmap-score", "costmap-l2"):
        assert resources[rid]["uses"] == ["networkmap"]
        for name in resources[rid]["capabilities"]["cost-type-names"]:
            assert name in cost_types
    assert "agg-networkmap" not in resources  # no `aggregate` lines


def test_ird_update_stream_capabilities(ns):
    """RFC 8895 (IRD entry of an update stream): it uses the resources it
    can follow and names their patch media types."""
    stream = get(ns, "/directory").json()["resources"]["update-stream"]
    uses = set(stream["uses"])
    assert {"networkmap", "costmap-score", "propmap",
            "propmap-filtered"} <= uses
    media = stream["capabilities"]["incremental-change-media-types"]
    for rid in uses:
        assert "application/merge-patch+json" in media[rid], rid


def test_network_map_pids(ns):
    reply = get(ns, "/networkmap")
    assert reply.media_type == "application/alto-networkmap+json"
    data = reply.json()
    pids = data["network-map"]
    for name, node in EGRESS_IDS.items():
        assert f"{node}/32" in pids[f"egress-{node}"]["ipv4"]
        assert f"{BIDS[name]}/32" in pids[f"egress-{node}"]["ipv4"]
    assert pids[SID_PID]["ipv4"] == [SID]
    clients = pids["clients"]["ipv4"]
    assert not any(p.startswith("127.") for p in clients)
    assert data["meta"]["vtag"]["resource-id"] == "networkmap"
    # a prefix belongs to one PID only (RFC 7285 11.2.1.6)
    prefixes = [p for pid in pids.values() for p in pid.get("ipv4", [])]
    assert len(prefixes) == len(set(prefixes))
    # the same map, the same tag
    assert get(ns, "/networkmap").json()["meta"]["vtag"] == data["meta"]["vtag"]


def test_cost_maps_follow_the_selection(ns):
    vtag = get(ns, "/networkmap").json()["meta"]["vtag"]
    maps = {}
    for name in ("routingcost-num", "routingcost-ord", "score", "l2"):
        reply = get(ns, f"/costmap/{name}")
        assert reply.status == 200
        assert reply.media_type == "application/alto-costmap+json"
        maps[name] = reply.json()
        assert maps[name]["meta"]["dependent-vtags"] == [vtag]
    score = maps["score"]["cost-map"]["clients"]
    e = {n: f"egress-{node}" for n, node in EGRESS_IDS.items()}
    assert score[e["e1"]] > score[e["e2"]] > score[e["e3"]]
    l2 = maps["l2"]["cost-map"]["clients"]
    assert {n: l2[e[n]] for n in e} == L2
    assert maps["l2"]["meta"]["cost-type"] == {
        "cost-mode": "numerical", "cost-metric": "priv:cfn-l2"}
    ranks = maps["routingcost-ord"]["cost-map"]["clients"]
    assert min(ranks.values()) == 1
    assert all(isinstance(v, int) for v in ranks.values())
    assert score[SID_PID] == score[e["e1"]]  # the chosen egress's


def test_endpoint_cost_ranks_as_the_node_selects(ns):
    dsts = [f"ipv4:{BIDS[n]}" for n in ("e3", "e1", "e2")] + ["ipv4:192.0.2.99"]
    reply = post(ns, "/endpointcost",
                 {"cost-type": {"cost-metric": "priv:cfn-score",
                                "cost-mode": "ordinal"},
                  "endpoints": {"dsts": dsts}}, EC_PARAMS)
    assert reply.status == 200, reply.body
    assert reply.media_type == "application/alto-endpointcost+json"
    data = reply.json()
    assert data["meta"]["cost-type"] == {"cost-metric": "priv:cfn-score",
                                         "cost-mode": "ordinal"}
    costs = data["endpoint-cost-map"]["ipv4:127.0.0.1"]
    assert costs == {f"ipv4:{BIDS['e1']}": 1, f"ipv4:{BIDS['e2']}": 2,
                     f"ipv4:{BIDS['e3']}": 3}
    reply = post(ns, "/endpointcost",
                 {"cost-type": {"cost-metric": "priv:cfn-l2",
                                "cost-mode": "numerical"},
                  "endpoints": {"srcs": ["ipv4:10.9.9.9", "ipv6:2001:db8::1"],
                                "dsts": [f"ipv4:{BIDS['e2']}",
                                         "ipv4:198.51.100.10"]}}, EC_PARAMS)
    assert reply.status == 200, reply.body
    costs = reply.json()["endpoint-cost-map"]
    assert set(costs) == {"ipv4:10.9.9.9", "ipv6:2001:db8::1"}
    for src in costs.values():
        assert src == {f"ipv4:{BIDS['e2']}": 7, "ipv4:198.51.100.10": 10}


def test_filtered_property_map(ns):
    entities = [f"ipv4:{BIDS[n]}" for n in EGRESS_IDS] + ["ipv4:192.0.2.99"]
    reply = post(ns, "/propmap/filtered",
                 {"entities": entities + [f"networkmap.pid:egress-{EGRESS_IDS['e1']}"],
                  "properties": ["priv:l2", "priv:sid"]}, PM_PARAMS)
    assert reply.status == 200, reply.body
    assert reply.media_type == "application/alto-propmap+json"
    pmap = reply.json()["property-map"]
    assert "ipv4:192.0.2.99" not in pmap
    for name in EGRESS_IDS:
        assert pmap[f"ipv4:{BIDS[name]}"] == {"priv:l2": L2[name],
                                              "priv:sid": SID}
    assert pmap[f"networkmap.pid:egress-{EGRESS_IDS['e1']}"] == {"priv:l2": 10}


def test_full_property_map(ns):
    reply = get(ns, "/propmap")
    assert reply.status == 200
    pmap = reply.json()["property-map"]
    instance = pmap[f"ipv4:{BIDS['e3']}"]
    assert instance["networkmap.pid"] == f"egress-{EGRESS_IDS['e3']}"
    assert instance["priv:l0-cpu-utilization"]["value"] == 90
    assert instance["priv:l0-cpu-utilization"]["statistic"] == "mean"
    egress = pmap[f"networkmap.pid:egress-{EGRESS_IDS['e1']}"]
    assert egress["priv:reachable"] is True
    assert egress["priv:sids"] == [SID]
    assert egress["priv:weight"] >= 1


# -- negotiation, methods, URIs -----------------------------------------------

@pytest.mark.parametrize("accept", [
    "application/alto-networkmap+json",
    "application/alto-networkmap+json,application/alto-error+json",
    "application/alto-error+json;q=0.5, application/alto-networkmap+json",
    "*/*", "application/*",
    "APPLICATION/ALTO-NETWORKMAP+JSON"])
def test_accept_that_names_the_media_type(ns, accept):
    assert get(ns, "/networkmap", Accept=accept).status == 200


@pytest.mark.parametrize("accept", [
    "text/html", "application/json", "application/alto-costmap+json",
    "application/alto-networkmap+json;q=0"])
def test_accept_without_the_media_type_is_406(ns, accept):
    reply = get(ns, "/networkmap", Accept=accept)
    assert reply.status == 406
    meta = reply.error()
    assert meta["code"] == "E_INVALID_FIELD_VALUE"
    assert meta["field"] == "accept"


EC_BODY = {"cost-type": {"cost-metric": "routingcost",
                         "cost-mode": "numerical"},
           "endpoints": {"dsts": ["ipv4:10.1.1.1"]}}


@pytest.mark.parametrize("media_type", [
    EC_PARAMS, EC_PARAMS + "; charset=utf-8",
    "Application/ALTO-EndpointCostParams+JSON"])
def test_content_type_of_the_resource_is_accepted(ns, media_type):
    assert post(ns, "/endpointcost", EC_BODY, media_type).status == 200


@pytest.mark.parametrize("media_type", [
    "application/json", "text/plain", PM_PARAMS, None])
def test_other_content_type_is_415(ns, media_type):
    headers = {"Content-Type": media_type} if media_type else {}
    reply = request(ns, "POST", "/endpointcost", body=json.dumps(EC_BODY),
                    headers=headers)
    assert reply.status == 415
    assert reply.error()["field"] == "content-type"


def test_post_answer_accept(ns):
    ok = post(ns, "/endpointcost", EC_BODY, EC_PARAMS,
              Accept="application/alto-endpointcost+json,"
                     "application/alto-error+json")
    assert ok.status == 200
    refused = post(ns, "/endpointcost", EC_BODY, EC_PARAMS,
                   Accept="text/plain")
    assert refused.status == 406
    assert refused.error()["field"] == "accept"


@pytest.mark.parametrize("method,path", [
    ("POST", "/networkmap"), ("GET", "/endpointcost"),
    ("GET", "/propmap/filtered"), ("GET", "/updates"),
    ("DELETE", "/networkmap"), ("PUT", "/costmap/score")])
def test_wrong_method_is_405(ns, method, path):
    reply = request(ns, method, path, body="{}",
                    headers={"Content-Type": EC_PARAMS})
    assert reply.status == 405
    assert reply.error()["field"] == "method"
    # RFC 7231 6.5.5: a 405 lists the allowed methods
    assert "allow" in reply.headers


def test_head_is_get_without_body_or_405(ns):
    """RFC 7231 4.3.2: HEAD is GET without the body; a server that does
    not offer it says so with 405 and Allow."""
    reply = request(ns, "HEAD", "/networkmap")
    if reply.status == 405:
        assert "allow" in reply.headers
    else:
        assert reply.status == 200
        assert reply.body == b""
        assert reply.headers["etag"] == get(ns, "/networkmap").headers["etag"]


@pytest.mark.parametrize("path", [
    "/nothing", "/costmap/unknown", "/networkmap/extra", "/updates/control/999999",
    "/updates/control/0123456789abcdef",
    "/" + "a" * 4000, "/%00", "/../../etc/passwd"])
def test_unknown_uri_is_404(ns, path):
    control = path.startswith("/updates/control")
    reply = request(ns, "POST" if control else "GET", path,
                    body="{}" if control else None,  # 404 before the body
                    headers={"Content-Type": US_PARAMS})
    assert reply.status == 404
    assert reply.error()["field"] == "uri"


# -- freshness (RFC 7232) -------------------------------------------------------

def test_get_carries_etag_last_modified_no_cache(ns):
    for path in ("/directory", "/networkmap", "/costmap/score", "/propmap"):
        reply = get(ns, path)
        assert reply.headers.get("etag"), path
        assert email.utils.parsedate_to_datetime(
            reply.headers["last-modified"]), path
        assert "no-cache" in reply.headers.get("cache-control", ""), path
    reply = post(ns, "/endpointcost", EC_BODY, EC_PARAMS)
    assert reply.headers.get("etag")
    assert reply.headers.get("last-modified")
    assert "no-cache" in reply.headers.get("cache-control", "")


def test_if_none_match(ns):
    first = get(ns, "/costmap/score")
    etag = first.headers["etag"]
    again = get(ns, "/costmap/score", **{"If-None-Match": etag})
    assert again.status == 304
    assert again.body == b""
    assert again.headers.get("etag") == etag
    assert get(ns, "/costmap/score",
               **{"If-None-Match": f'"other", {etag}'}).status == 304
    assert get(ns, "/costmap/score", **{"If-None-Match": "*"}).status == 304
    assert get(ns, "/costmap/score",
               **{"If-None-Match": '"not-it"'}).status == 200
    # weak comparison (RFC 7232 3.2)
    weak = etag if etag.startswith("W/") else "W/" + etag
    assert get(ns, "/costmap/score", **{"If-None-Match": weak}).status == 304


def test_if_modified_since(ns):
    first = get(ns, "/networkmap")
    last = first.headers["last-modified"]
    assert get(ns, "/networkmap", **{"If-Modified-Since": last}).status == 304
    earlier = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert get(ns, "/networkmap", **{"If-Modified-Since": earlier}).status == 200
    assert get(ns, "/networkmap",
               **{"If-Modified-Since": "yesterday-ish"}).status == 200
    # RFC 7232 3.3: If-None-Match present, If-Modified-Since is ignored
    assert get(ns, "/networkmap", **{"If-None-Match": '"not-it"',
                                     "If-Modified-Since": last}).status == 200


def test_304_counted(ns):
    before = stats(ns)["notModified"]
    etag = get(ns, "/propmap").headers["etag"]
    assert get(ns, "/propmap", **{"If-None-Match": etag}).status == 304
    assert stats(ns)["notModified"] == before + 1


# -- hostile JSON ----------------------------------------------------------------

def deep(n):
    return "[" * n + "]" * n


def many(n):
    return [f"ipv4:10.{i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(n)]


COST = {"cost-metric": "routingcost", "cost-mode": "numerical"}
HOSTILE = [
    # (id, path, media type, body, status, code, field)
    ("not json", "/endpointcost", EC_PARAMS, "{nope", 400, "E_SYNTAX", None),
    ("empty", "/endpointcost", EC_PARAMS, "", 400, "E_SYNTAX", None),
    ("trailing", "/endpointcost", EC_PARAMS, json.dumps(EC_BODY) + " {}", 400,
     "E_SYNTAX", None),
    ("nul byte", "/endpointcost", EC_PARAMS,
     json.dumps(EC_BODY)[:-1] + "\x00}", 400, "E_SYNTAX", None),
    ("deep 17", "/endpointcost", EC_PARAMS,
     '{"cost-type":' + deep(16) + "}", 400, "E_SYNTAX", None),
    ("deep 10000", "/propmap/filtered", PM_PARAMS, deep(10000), 400,
     "E_SYNTAX", None),
    ("no cost-type", "/endpointcost", EC_PARAMS,
     {"endpoints": {"dsts": ["ipv4:10.1.1.1"]}}, 400, "E_MISSING_FIELD",
     "cost-type"),
    ("no endpoints", "/endpointcost", EC_PARAMS, {"cost-type": COST}, 400,
     "E_MISSING_FIELD", "endpoints"),
    ("no dsts", "/endpointcost", EC_PARAMS,
     {"cost-type": COST, "endpoints": {}}, 400, "E_MISSING_FIELD", "dsts"),
    ("cost-type string", "/endpointcost", EC_PARAMS,
     {"cost-type": "routingcost", "endpoints": {"dsts": []}}, 400,
     "E_INVALID_FIELD_TYPE", "cost-type"),
    ("dsts object", "/endpointcost", EC_PARAMS,
     {"cost-type": COST, "endpoints": {"dsts": {"a": 1}}}, 400,
     "E_INVALID_FIELD_TYPE", "dsts"),
    ("dst number", "/endpointcost", EC_PARAMS,
     {"cost-type": COST, "endpoints": {"dsts": [42]}}, 400,
     "E_INVALID_FIELD_TYPE", "dsts"),
    ("unknown metric", "/endpointcost", EC_PARAMS,
     {"cost-type": {"cost-metric": "hopcount", "cost-mode": "numerical"},
      "endpoints": {"dsts": ["ipv4:10.1.1.1"]}}, 400,
     "E_INVALID_FIELD_VALUE", "cost-metric"),
    ("unknown mode", "/endpointcost", EC_PARAMS,
     {"cost-type": {"cost-metric": "routingcost", "cost-mode": "cardinal"},
      "endpoints": {"dsts": ["ipv4:10.1.1.1"]}}, 400,
     "E_INVALID_FIELD_VALUE", "cost-mode"),
    ("bad ipv4", "/endpointcost", EC_PARAMS,
     {"cost-type": COST, "endpoints": {"dsts": ["ipv4:300.1.1.1"]}}, 400,
     "E_INVALID_FIELD_VALUE", "dsts"),
    ("ipv4 tag ipv6 addr", "/endpointcost", EC_PARAMS,
     {"cost-type": COST, "endpoints": {"dsts": ["ipv4:2001:db8::1"]}}, 400,
     "E_INVALID_FIELD_VALUE", "dsts"),
    ("bad ipv6", "/endpointcost", EC_PARAMS,
     {"cost-type": COST, "endpoints": {"dsts": ["ipv6:zz::"]}}, 400,
     "E_INVALID_FIELD_VALUE", "dsts"),
    ("no tag", "/endpointcost", EC_PARAMS,
     {"cost-type": COST, "endpoints": {"dsts": ["10.1.1.1"]}}, 400,
     "E_INVALID_FIELD_VALUE", "dsts"),
    ("bad src", "/endpointcost", EC_PARAMS,
     {"cost-type": COST, "endpoints": {"srcs": ["ipv4:1.2.3"],
                                       "dsts": ["ipv4:10.1.1.1"]}}, 400,
     "E_INVALID_FIELD_VALUE", "srcs"),
    ("quote in value", "/endpointcost", EC_PARAMS,
     {"cost-type": COST, "endpoints": {"dsts": ['ipv4:"}{<script>\\']}},
     400, "E_INVALID_FIELD_VALUE", "dsts"),
    ("control chars", "/endpointcost", EC_PARAMS,
     {"cost-type": COST, "endpoints": {"dsts": ["ipv4:\u0000\u001b[2J"]}},
     400, "E_INVALID_FIELD_VALUE", "dsts"),
    ("60000-char value", "/endpointcost", EC_PARAMS,
     {"cost-type": COST, "endpoints": {"dsts": ["ipv4:" + "1" * 60000]}},
     400, "E_INVALID_FIELD_VALUE", "dsts"),
    ("prefix not address", "/endpointcost", EC_PARAMS,
     {"cost-type": COST, "endpoints": {"dsts": ["ipv4:10.1.1.1/32"]}}, 400,
     "E_INVALID_FIELD_VALUE", "dsts"),
    ("cost-mode number", "/endpointcost", EC_PARAMS,
     '{"cost-type":{"cost-metric":"routingcost","cost-mode":1e999},'
     '"endpoints":{"dsts":["ipv4:10.1.1.1"]}}', 400,
     "E_INVALID_FIELD_TYPE", "cost-mode"),
    ("257 dsts", "/endpointcost", EC_PARAMS,
     {"cost-type": COST, "endpoints": {"dsts": many(257)}}, 400,
     "E_INVALID_FIELD_VALUE", "dsts"),
    ("no entities", "/propmap/filtered", PM_PARAMS,
     {"properties": ["priv:l2"]}, 400, "E_MISSING_FIELD", "entities"),
    ("no properties", "/propmap/filtered", PM_PARAMS,
     {"entities": ["ipv4:10.1.1.1"]}, 400, "E_MISSING_FIELD", "properties"),
    ("entities string", "/propmap/filtered", PM_PARAMS,
     {"entities": "ipv4:10.1.1.1", "properties": ["priv:l2"]}, 400,
     "E_INVALID_FIELD_TYPE", "entities"),
    ("property number", "/propmap/filtered", PM_PARAMS,
     {"entities": ["ipv4:10.1.1.1"], "properties": [7]}, 400,
     "E_INVALID_FIELD_TYPE", "properties"),
    ("unknown property", "/propmap/filtered", PM_PARAMS,
     {"entities": ["ipv4:10.1.1.1"], "properties": ["priv:nonsense"]}, 400,
     "E_INVALID_FIELD_VALUE", "properties"),
    ("malformed entity", "/propmap/filtered", PM_PARAMS,
     {"entities": ["ipv4:10.1.1"], "properties": ["priv:l2"]}, 400,
     "E_INVALID_FIELD_VALUE", "entities"),
    ("unknown domain", "/propmap/filtered", PM_PARAMS,
     {"entities": ["mac:00:11:22:33:44:55"], "properties": ["priv:l2"]}, 400,
     "E_INVALID_FIELD_VALUE", "entities"),
    ("257 entities", "/propmap/filtered", PM_PARAMS,
     {"entities": many(257), "properties": ["priv:l2"]}, 400,
     "E_INVALID_FIELD_VALUE", "entities"),
    ("no add", "/updates", US_PARAMS, {}, 400, "E_MISSING_FIELD", "add"),
    ("add array", "/updates", US_PARAMS, {"add": []}, 400,
     "E_INVALID_FIELD_TYPE", "add"),
    ("unknown resource", "/updates", US_PARAMS,
     {"add": {"x": {"resource-id": "nomap"}}}, 400,
     "E_INVALID_FIELD_VALUE", "resource-id"),
    ("no resource-id", "/updates", US_PARAMS, {"add": {"x": {}}}, 400,
     "E_MISSING_FIELD", "resource-id"),
    ("bad client id", "/updates", US_PARAMS,
     {"add": {"a b": {"resource-id": "networkmap"}}}, 400,
     "E_INVALID_FIELD_VALUE", None),
    ("long client id", "/updates", US_PARAMS,
     {"add": {"a" * 33: {"resource-id": "networkmap"}}}, 400,
     "E_INVALID_FIELD_VALUE", None),
    ("empty client id", "/updates", US_PARAMS,
     {"add": {"": {"resource-id": "networkmap"}}}, 400,
     "E_INVALID_FIELD_VALUE", None),
    ("17 substreams", "/updates", US_PARAMS,
     {"add": {f"s{i}": {"resource-id": "networkmap"} for i in range(17)}},
     400, "E_INVALID_FIELD_VALUE", None),
    ("filtered without input", "/updates", US_PARAMS,
     {"add": {"f": {"resource-id": "propmap-filtered"}}}, 400,
     "E_MISSING_FIELD", "input"),
    ("filtered bad input", "/updates", US_PARAMS,
     {"add": {"f": {"resource-id": "propmap-filtered",
                    "input": {"entities": ["x"], "properties": ["priv:l2"]}}}},
     400, "E_INVALID_FIELD_VALUE", "entities"),
]


@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_body_is_rejected_with_reason(net, ns, case):
    _, path, media_type, body, status, code, field = case
    errors = stats(ns)["errors"]
    reply = post(ns, path, body, media_type)
    assert reply.status == status, reply.body
    meta = reply.error()
    assert meta["code"] == code, meta
    if field:  # a member, possibly as a path ("cost-type/cost-metric")
        assert meta.get("field", "").split("/")[-1] == field, meta
    assert stats(ns)["errors"] == errors + 1
    alive(net)


def test_invalid_utf8_is_rejected_in_valid_json(net, ns):
    body = (b'{"cost-type":{"cost-metric":"routingcost","cost-mode":'
            b'"numerical"},"endpoints":{"dsts":["ipv4:\xff\xfe\xc0"]}}')
    reply = post(ns, "/endpointcost", body, EC_PARAMS)
    assert reply.status == 400
    reply.body.decode("utf-8")  # the answer is UTF-8 (RFC 8259 8.1)
    assert reply.error()["code"] in ("E_SYNTAX", "E_INVALID_FIELD_VALUE")
    alive(net)


def test_bad_value_names_the_value(ns):
    reply = post(ns, "/endpointcost",
                 {"cost-type": COST, "endpoints": {"dsts": ["ipv4:300.1.1.1"]}},
                 EC_PARAMS)
    assert reply.error()["value"] == "ipv4:300.1.1.1"


def test_at_most_256_entries_accepted(ns):
    reply = post(ns, "/endpointcost",
                 {"cost-type": COST, "endpoints": {"dsts": many(256)}},
                 EC_PARAMS)
    assert reply.status == 200
    nested = '{"cost-type":' + deep(15) + "}"  # depth 16 in all: allowed
    reply = post(ns, "/endpointcost", nested, EC_PARAMS)
    assert reply.error()["code"] == "E_INVALID_FIELD_TYPE"


# -- malformed HTTP --------------------------------------------------------------

@pytest.mark.parametrize("data", [
    b"GARBAGE\r\n\r\n",
    b"GET /networkmap HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /networkmap HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n",
    b"POST /endpointcost HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"POST /endpointcost HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
    b"POST /endpointcost HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Type: application/alto-endpointcostparams+json\r\n\r\nzz\r\n",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 64,
    b"\r\n" * 5000])
def test_malformed_http_gets_4xx_or_close(net, ns, data):
    answer = raw_exchange(ns, data)
    status = status_of(answer)
    assert status is None or 400 <= status < 600, answer[:200]
    alive(net)


def test_absolute_form_target(ns):
    """RFC 7230 5.3.2: a server MUST accept the absolute form."""
    answer = raw_exchange(ns, b"GET http://127.0.0.1:8181/networkmap HTTP/1.1"
                          b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert status_of(answer) == 200, answer[:200]


def test_http11_without_host_is_400(ns):
    """RFC 7230 5.4: a server MUST answer 400 to HTTP/1.1 without Host."""
    answer = raw_exchange(ns, b"GET /networkmap HTTP/1.1\r\n\r\n")
    assert status_of(answer) == 400, answer[:200]


def test_http10_without_host(ns):
    answer = raw_exchange(ns, b"GET /networkmap HTTP/1.0\r\n\r\n")
    assert status_of(answer) == 200, answer[:200]


def test_expect_100_continue(net):
    """curl sends Expect: 100-continue for large bodies."""
    body = json.dumps({"cost-type": COST, "endpoints": {"dsts": many(256)}})
    out = net["ingress"].exec(
        "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
        "-H", "Expect: 100-continue", "-H", f"Content-Type: {EC_PARAMS}",
        "--data-binary", body, f"http://127.0.0.1:{PORT}/endpointcost",
        check=False)
    assert out.stdout == "200"


def test_idle_connection_closed_but_not_a_stream(net, ns):
    """alto.md: an idle connection is closed after 60 s, not an update
    stream."""
    stream = Stream(ns, {"add": {"l2": {"resource-id": "propmap-filtered",
                                        "input": l2_filter()}}})
    idle = connect(ns, timeout=75)
    try:
        stream.open()
        stream.next_event()
        idle.sendall(b"GET /networkmap HTTP/1.1\r\nHost: x\r\n")
        start = time.monotonic()
        try:
            idle.recv(100)  # b"" when closed, or a 408
        except ConnectionResetError:
            pass
        waited = time.monotonic() - start
        assert 55 < waited < 70, waited
        set_load(net, e2=60)
        stream.until(patch_sets_l2(BIDS["e2"], 4), timeout=20,
                     what="the stream alive after 60 s")
    finally:
        idle.close()
        stream.close()
        set_load(net, e2=LOADS["e2"])


def test_huge_header(net, ns):
    header = b"X-Big: " + b"a" * (1 << 20) + b"\r\n"
    answer = raw_exchange(ns, b"GET /networkmap HTTP/1.1\r\nHost: x\r\n" +
                          header + b"\r\n", timeout=10)
    status = status_of(answer)
    assert status in (None, 400, 413, 431), answer[:200]
    alive(net)


def test_many_headers(net, ns):
    headers = b"".join(b"X-%d: v\r\n" % i for i in range(20000))
    answer = raw_exchange(ns, b"GET /networkmap HTTP/1.1\r\nHost: x\r\n" +
                          headers + b"\r\n", timeout=10)
    assert status_of(answer) in (None, 400, 413, 431), answer[:200]
    alive(net)


def test_body_shorter_than_its_length(net, ns):
    sock = connect(ns)
    sock.sendall(b"POST /endpointcost HTTP/1.1\r\nHost: x\r\nContent-Type: "
                 + EC_PARAMS.encode() + b"\r\nContent-Length: 500\r\n\r\n{")
    sock.close()
    alive(net)


def test_slowloris_does_not_starve_others(net, ns):
    """200 connections that never finish their request: the others are
    served at once."""
    slow = []
    try:
        for _ in range(200):
            sock = connect(ns)
            sock.sendall(b"GET /networkmap HTTP/1.1\r\nHost: x\r\nX-a: ")
            slow.append(sock)
        start = time.monotonic()
        assert get(ns, "/networkmap").status == 200
        assert time.monotonic() - start < 2
        for sock in slow[:20]:
            sock.sendall(b"b")  # trickle: still served after
        assert get(ns, "/costmap/score").status == 200
    finally:
        for sock in slow:
            sock.close()
    alive(net)


def test_pipelined_requests(ns):
    sock = connect(ns)
    try:
        sock.sendall(b"GET /networkmap HTTP/1.1\r\nHost: x\r\n\r\n" * 3)
        data = b""
        deadline = time.monotonic() + 5
        while data.count(b"HTTP/1.1 200") < 3 and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        assert data.count(b"HTTP/1.1 200") == 3
    finally:
        sock.close()


# -- limits ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def limited(net):
    ingress = net["ingress"]
    conf, proc = start_altod(ingress, "altod-limited", "max-clients 40",
                             "max-clients-per-ip 20", "max-streams 3",
                             "max-body 1024", "client-prefix 192.0.2.0/24",
                             "client-prefix 2001:db8:c::/48",
                             port=LIMITED_PORT)
    wait_served(ingress.ns, port=LIMITED_PORT)
    yield ingress.ns
    proc.terminate()
    proc.wait(timeout=10)


def test_client_prefixes_join_the_clients_pid(limited):
    pids = request(limited, "GET", "/networkmap",
                   port=LIMITED_PORT).json()["network-map"]
    assert "192.0.2.0/24" in pids["clients"]["ipv4"]
    assert "2001:db8:c::/48" in pids["clients"]["ipv6"]


def test_body_larger_than_max_body_is_413(limited):
    body = {"cost-type": COST, "endpoints": {"dsts": many(100)}}
    assert len(json.dumps(body)) > 1024
    reply = request(limited, "POST", "/endpointcost", body=body,
                    headers={"Content-Type": EC_PARAMS}, port=LIMITED_PORT)
    assert reply.status == 413
    assert reply.error()["field"] == "content-length"


def test_chunked_body_larger_than_max_body_is_413(limited):
    body = json.dumps({"cost-type": COST,
                       "endpoints": {"dsts": many(100)}}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 100]), body[i:i + 100])
                      for i in range(0, len(body), 100)) + b"0\r\n\r\n"
    answer = raw_exchange(limited, b"POST /endpointcost HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: " + EC_PARAMS.encode() +
                          b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks,
                          port=LIMITED_PORT)
    assert status_of(answer) == 413, answer[:300]


def test_max_clients_per_ip(net, limited):
    held = []
    try:
        for _ in range(20):
            sock = connect(limited, port=LIMITED_PORT)
            sock.sendall(b"GET /networkmap HTTP/1.1\r\nHost: x\r\n")
            held.append(sock)
        time.sleep(0.5)
        answer = raw_exchange(limited, b"GET /networkmap HTTP/1.1\r\n"
                              b"Host: x\r\n\r\n", port=LIMITED_PORT)
        assert status_of(answer) is None, "21st connection served"
    finally:
        for sock in held:
            sock.close()
    wait_until(lambda: request(limited, "GET", "/networkmap",
                               port=LIMITED_PORT).status == 200,
               timeout=5, what="served again once the others close")


def test_max_clients_over_several_addresses(net, limited):
    """20 from each of two local addresses fill max-clients 40: a 41st
    from a third is closed at once."""
    held = []

    def hold(source):
        sock = ns_socket(limited)
        sock.settimeout(5)
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", LIMITED_PORT))
        sock.sendall(b"GET /networkmap HTTP/1.1\r\nHost: x\r\n")
        held.append(sock)
        return sock
    try:
        for source in ("127.0.0.1", "10.0.0.1"):
            for _ in range(20):
                hold(source)
        time.sleep(0.5)
        extra = hold("127.0.0.2")
        extra.sendall(b"\r\n")
        try:
            answer = extra.recv(100)
        except (ConnectionResetError, socket.timeout):
            answer = b""
        assert answer == b"", "41st connection served"
    finally:
        for sock in held:
            sock.close()


def test_max_streams(limited):
    params = {"add": {"nm": {"resource-id": "networkmap"}}}
    refused = stats(limited, LIMITED_PORT)["streamsRefused"]
    streams = [Stream(limited, params, port=LIMITED_PORT) for _ in range(3)]
    try:
        for stream in streams:
            assert stream.status == 200
            stream.open()
        fourth = request(limited, "POST", "/updates", body=params,
                         headers={"Content-Type": US_PARAMS},
                         port=LIMITED_PORT)
        assert fourth.status == 503
        assert fourth.error()["code"] == "E_INVALID_FIELD_VALUE"
        assert stats(limited, LIMITED_PORT)["streamsRefused"] == refused + 1
        streams.pop().close()

        def reopened():
            stream = Stream(limited, params, port=LIMITED_PORT)
            if stream.status == 200:
                streams.append(stream)
                return True
            stream.close()
            return False
        wait_until(reopened, timeout=5, what="a stream slot freed")
    finally:
        for stream in streams:
            stream.close()


def test_closed_streams_are_freed(limited):
    """Streams closed abruptly (RST), half-closed then closed, or closed
    before reading anything all leave the count."""
    params = {"add": {"nm": {"resource-id": "networkmap"}}}
    base = 0  # the streams of the tests before, closed, are freed too
    wait_until(lambda: stats(limited, LIMITED_PORT)["streams"] == base,
               timeout=10, what="earlier streams freed")
    for how in ("rst", "half", "unread"):
        stream = Stream(limited, params, port=LIMITED_PORT)
        assert stream.status == 200
        sock = stream.conn.sock
        if how == "rst":
            stream.open()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            b"\x01\x00\x00\x00\x00\x00\x00\x00")
        elif how == "half":  # done sending: the events still come
            sock.shutdown(socket.SHUT_WR)
            stream.open()
        stream.close()
        wait_until(lambda: stats(limited, LIMITED_PORT)["streams"] == base,
                   timeout=10, what=f"stream closed ({how}) freed")


# -- update streams ------------------------------------------------------------------

def l2_filter():
    return {"entities": [f"ipv4:{BIDS[n]}" for n in EGRESS_IDS],
            "properties": ["priv:l2"]}


def test_stream_starts_with_control_then_full_resources(ns):
    stream = Stream(ns, {"add": {"nm": {"resource-id": "networkmap"},
                                 "l2": {"resource-id": "propmap-filtered",
                                        "input": l2_filter()}}})
    try:
        assert stream.status == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        uri = stream.open()
        assert re.fullmatch(r"/updates/control/[0-9a-f]{16}", uri), uri
        full = {}
        for _ in range(2):
            kind, data, _ = stream.next_event()
            full[kind] = json.loads(data)
        networkmap = full["application/alto-networkmap+json,nm"]
        assert networkmap["network-map"] == get(ns, "/networkmap").json()[
            "network-map"]
        l2 = full["application/alto-propmap+json,l2"]["property-map"]
        assert {e: v["priv:l2"] for e, v in l2.items()} == {
            f"ipv4:{BIDS[n]}": L2[n] for n in EGRESS_IDS}
    finally:
        stream.close()


def test_stream_opened_before_the_view_starts_in_full(net):
    """alto.md: each substream's first event is its resource in full, as
    soon as bgpd's view comes, for a stream opened before (found by CI: the
    aggregator's stream to a just started peer lacked the clients PID; then
    by an outsider: such a stream got empty maps before the view came)."""
    ingress = net["ingress"]
    late = os.path.join(ingress.run_dir, "late-api.sock")
    port = OPEN_PORT + 3
    conf = write_conf(ingress, "altod-late.conf", f"port {port}",
                      f"api-socket {late}")
    proc = ingress.popen(ALTOD, "-f", conf, "-d", log="altod-late.log")
    stream = None
    try:
        def unavailable():
            try:
                return request(ingress.ns, "GET", "/networkmap",
                               port=port).status == 503
            except OSError:  # not listening yet
                return False
        wait_until(unavailable, timeout=30, what="cfn-altod without a view")
        stream = Stream(ingress.ns, {"add": {
            "nm": {"resource-id": "networkmap"},
            "l2": {"resource-id": "propmap-filtered", "input": l2_filter()}}},
            port=port)
        stream.open()
        os.symlink(api_socket(ingress), late)  # bgpd's view comes
        mirror, first, first_nm = Mirror(stream), {}, None

        def step(kind, data):
            nonlocal first_nm
            media_type, _, client_id = kind.partition(",")
            first.setdefault(client_id, media_type)
            first_nm = first_nm or (data if client_id == "nm" else None)
            mirror.apply(kind, data)  # a patch with nothing to patch fails
            return {"nm", "l2"} <= set(first)
        stream.until(step, timeout=30, what="both substreams")
        assert first == {"nm": "application/alto-networkmap+json",
                         "l2": "application/alto-propmap+json"}, first
        # what the view holds, not an empty map from before it came
        assert {f"egress-{e}" for e in EGRESS_IDS.values()} <= set(
            first_nm["network-map"]), first_nm
        l2 = mirror.resources["l2"]["property-map"]
        assert {e: v["priv:l2"] for e, v in l2.items()} == {
            f"ipv4:{BIDS[n]}": L2[n] for n in EGRESS_IDS}
        deadline = time.monotonic() + 20
        while mirror.resources["nm"] != request(
                ingress.ns, "GET", "/networkmap", port=port).json():
            kind, data, _ = stream.next_event(deadline - time.monotonic())
            mirror.apply(kind, json.loads(data) if data else None)
    finally:
        if stream:
            stream.close()
        proc.terminate()
        proc.wait(timeout=10)
        if os.path.lexists(late):
            os.unlink(late)


def patch_sets_l2(bid, value):
    def matches(kind, data):
        return (kind == "application/merge-patch+json,l2" and
                data.get("property-map", {}).get(f"ipv4:{bid}", {})
                .get("priv:l2") == value)
    return matches


def test_stream_delivers_load_change(net, ns):
    stream = Stream(ns, {"add": {"l2": {"resource-id": "propmap-filtered",
                                        "input": l2_filter()},
                                 "score": {"resource-id": "costmap-score"}}})
    etag = get(ns, "/costmap/score").headers["etag"]
    try:
        stream.open()
        stream.next_event()
        stream.next_event()
        set_load(net, e2=95)
        stream.until(patch_sets_l2(BIDS["e2"], 1), what="e2's L2 1")
        assert get(ns, "/costmap/score",
                   **{"If-None-Match": etag}).status == 200
        set_load(net, e2=LOADS["e2"])
        stream.until(patch_sets_l2(BIDS["e2"], L2["e2"]), what="e2's L2 back")
    finally:
        stream.close()
        set_load(net, e2=LOADS["e2"])


def test_filtered_patch_holds_only_what_changed(net, ns):
    stream = Stream(ns, {"add": {"l2": {"resource-id": "propmap-filtered",
                                        "input": {"entities": [f"ipv4:{BIDS['e1']}"],
                                                  "properties": ["priv:l2"]}}}})
    try:
        stream.open()
        stream.next_event()
        set_load(net, e3=91)   # L2 stays 1; e1 is not asked for
        set_load(net, e1=30)   # e1's L2 10 -> 7
        kind, data = stream.until(lambda k, d: k.endswith(",l2"),
                                  what="a patch for e1")
        assert data == {"property-map": {f"ipv4:{BIDS['e1']}": {"priv:l2": 7}}}
    finally:
        stream.close()
        set_load(net, e1=LOADS["e1"], e3=LOADS["e3"])


def test_stream_control_add_and_remove(ns):
    stream = Stream(ns, {"add": {"nm": {"resource-id": "networkmap"}}})
    try:
        uri = stream.open()
        stream.next_event()
        add = post(ns, uri, {"add": {"pm": {"resource-id": "propmap"}}},
                   US_PARAMS)
        assert add.status == 204, add.body
        stream.until(lambda k, d: k == "application/alto-propmap+json,pm",
                     what="pm in full")
        bad = post(ns, uri, {"remove": ["nosuch"]}, US_PARAMS)
        assert bad.status == 400
        assert bad.error()["field"] == "remove"
        assert post(ns, uri, {"remove": ["nm"]}, US_PARAMS).status == 204
        stream.until(lambda k, d: d == {"stopped": ["nm"]}
                     or (isinstance(d, dict) and d.get("stopped") == ["nm"]),
                     what="nm stopped")
        assert post(ns, uri, {"add": {"x": {"resource-id": "bad"}}},
                    US_PARAMS).status == 400
        assert post(ns, uri, {"remove": "pm"}, US_PARAMS).status == 400
    finally:
        stream.close()
    # the stream is gone: its control URI with it
    wait_until(lambda: post(ns, uri, {"remove": ["pm"]}, US_PARAMS).status
               == 404, timeout=5, what="control URI of a closed stream 404")


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class Mirror:
    """A client's copy of each substream's resource: full events set it,
    merge patches update it."""

    def __init__(self, stream):
        self.stream = stream
        self.resources = {}

    def apply(self, kind, data):
        media_type, _, client_id = kind.partition(",")
        if not client_id:
            return
        if media_type == "application/merge-patch+json":
            self.resources[client_id] = merge_patch(
                self.resources[client_id], data)
        else:
            self.resources[client_id] = data

    def until(self, predicate, timeout=60, what="state"):
        """Apply events until predicate(resources) holds."""
        def step(kind, data):
            self.apply(kind, data)
            return predicate(self.resources)
        if not predicate(self.resources):
            self.stream.until(step, timeout=timeout, what=what)

    def matches(self, ns, client_id, path):
        """Read events until the mirror equals a GET of path."""
        deadline = time.monotonic() + 20
        while self.resources.get(client_id) != get(ns, path).json():
            kind, data, _ = self.stream.next_event(deadline - time.monotonic())
            self.apply(kind, json.loads(data) if data else None)


def test_control_uris_are_hard_to_guess(ns):
    params = {"add": {"nm": {"resource-id": "networkmap"}}}
    streams = [Stream(ns, params) for _ in range(2)]
    try:
        tokens = [s.open().rsplit("/", 1)[1] for s in streams]
    finally:
        for stream in streams:
            stream.close()
    assert all(len(token) >= 16 for token in tokens), tokens


def test_patches_rebuild_what_get_serves(net, ns):
    """Full maps, then merge patches applied as RFC 7386 says, equal the
    maps a GET serves after a load change."""
    stream = Stream(ns, {"add": {"score": {"resource-id": "costmap-score"},
                                 "ord": {"resource-id":
                                         "costmap-routingcost-ord"},
                                 "pm": {"resource-id": "propmap"}}})
    mirror = Mirror(stream)
    try:
        stream.open()
        mirror.until(lambda r: len(r) == 3, what="full maps")
        set_load(net, e1=45, e3=20)
        mirror.until(lambda r: r["pm"]["property-map"][f"ipv4:{BIDS['e3']}"]
                     ["priv:l2"] == 8, what="e3's L2 8")
        mirror.matches(ns, "score", "/costmap/score")
        mirror.matches(ns, "ord", "/costmap/routingcost-ord")
        mirror.matches(ns, "pm", "/propmap")
    finally:
        stream.close()
        set_load(net, e1=LOADS["e1"], e3=LOADS["e3"])


def test_stream_control_refuses_a_client_id_in_use(ns):
    stream = Stream(ns, {"add": {"nm": {"resource-id": "networkmap"}}})
    try:
        uri = stream.open()
        stream.next_event()
        reply = post(ns, uri, {"add": {"nm": {"resource-id": "propmap"}}},
                     US_PARAMS)
        assert reply.status == 400
        assert reply.error()["code"] == "E_INVALID_FIELD_VALUE"
    finally:
        stream.close()


def test_stream_control_checks_its_body(ns):
    stream = Stream(ns, {"add": {"nm": {"resource-id": "networkmap"}}})
    try:
        uri = stream.open()
        reply = post(ns, uri, {"remove": ["nm"]}, "application/json")
        assert reply.status == 415
        reply = post(ns, uri, "{]", US_PARAMS)
        assert reply.error()["code"] == "E_SYNTAX"
        reply = post(ns, uri, {}, US_PARAMS)
        assert reply.error()["code"] == "E_MISSING_FIELD"
        assert request(ns, "GET", uri).status == 405
        stream.next_event()  # nm in full: the stream still runs
    finally:
        stream.close()


def test_fifty_streams_each_get_the_change(net, ns):
    params = {"add": {"l2": {"resource-id": "propmap-filtered",
                             "input": l2_filter()}}}
    streams = [Stream(ns, params) for _ in range(50)]
    try:
        for stream in streams:
            assert stream.status == 200
            stream.open()
            stream.next_event()
        set_load(net, e3=70)
        for stream in streams:
            stream.until(patch_sets_l2(BIDS["e3"], 3), timeout=20,
                         what="e3's L2 3")
    finally:
        for stream in streams:
            stream.close()
        set_load(net, e3=LOADS["e3"])


def test_stream_follows_link_flap(net, ns):
    """e3's link down, then up: the patches, applied as RFC 7386 says,
    give the maps a GET gives; the network map's vtag moves and comes
    back."""
    ingress = net["ingress"]
    e3 = f"egress-{EGRESS_IDS['e3']}"
    stream = Stream(ns, {"add": {"nm": {"resource-id": "networkmap"},
                                 "pm": {"resource-id": "propmap"}}})
    mirror = Mirror(stream)
    try:
        stream.open()
        mirror.until(lambda r: "nm" in r and "pm" in r, what="full maps")
        vtag = mirror.resources["nm"]["meta"]["vtag"]
        ingress.exec("ip", "link", "set", "eth-e3", "down")
        mirror.until(lambda r: e3 not in r["nm"]["network-map"], timeout=40,
                     what="e3 out of the network map")
        assert mirror.resources["nm"]["meta"]["vtag"] != vtag
        mirror.matches(ns, "nm", "/networkmap")
        mirror.matches(ns, "pm", "/propmap")
        ingress.exec("ip", "link", "set", "eth-e3", "up")
        mirror.until(lambda r: e3 in r["nm"]["network-map"] and
                     r["pm"]["property-map"].get(f"networkmap.pid:{e3}", {})
                     .get("priv:reachable") is True, timeout=90,
                     what="e3 back and reachable")
        mirror.matches(ns, "nm", "/networkmap")
        mirror.matches(ns, "pm", "/propmap")
        assert mirror.resources["nm"]["meta"]["vtag"] == vtag
    finally:
        ingress.exec("ip", "link", "set", "eth-e3", "up")
        stream.close()
    cfnnet.wait_converged(net)
    cfnnet.wait_egresses(ingress, SID, EGRESS_IDS.values(), "e3 back")


def test_stream_and_maps_across_bgpd_restart(net, ns):
    ingress = net["ingress"]
    stream = Stream(ns, {"add": {"l2": {"resource-id": "propmap-filtered",
                                        "input": l2_filter()}}})
    try:
        stream.open()
        stream.next_event()
        bgpd = ingress.daemon_pids()["bgpd"]
        os.kill(bgpd, 15)
        wait_until(lambda: not os.path.exists(f"/proc/{bgpd}"), timeout=10,
                   what="bgpd gone")

        def unavailable():
            reply = get(ns, "/networkmap")
            return reply if reply.status == 503 else None
        reply = wait_until(unavailable, timeout=10, what="503 without bgpd")
        assert reply.headers.get("retry-after") == "1"
        assert reply.media_type == "text/plain"
        assert reply.body.decode().startswith("bgpd's view is unavailable")
        assert get(ns, "/directory").status == 200
        reply = post(ns, "/endpointcost", EC_BODY, EC_PARAMS)
        assert reply.status == 503 and reply.headers.get("retry-after") == "1"
        ingress.start_daemons(only=["bgpd"])
        # the service was declared with vtysh, not in frr.conf
        ingress.configure(f"cfn service video sid {SID}",
                          context="router bgp 65000")
        cfnnet.wait_converged(net)
        wait_served(ns, timeout=90)
        set_load(net, e1=60)
        stream.until(lambda k, d: isinstance(d, dict) and
                     (d.get("property-map", {}).get(f"ipv4:{BIDS['e1']}")
                      or {}).get("priv:l2") == 4, timeout=60,
                     what="a change after the restart on the same stream")
    finally:
        stream.close()
        set_load(net, e1=LOADS["e1"])


# -- configuration, TLS, authentication ------------------------------------------------

def run_altod_briefly(router, conf):
    """Start cfn-altod with conf; it must stop on its own (a config it
    cannot serve): return (exit code, output)."""
    try:
        out = subprocess.run(["ip", "netns", "exec", router.ns, ALTOD, "-f",
                              conf, "-d"], text=True, timeout=10,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except subprocess.TimeoutExpired:
        return None, "still running after 10 s"
    return out.returncode, out.stdout


@pytest.mark.parametrize("lines,line_no,reason", [
    (["listen 10.0.0.1"], 4, "plain"),
    (["bogus-key 1"], 4, "bogus-key"),
    (["port 99999"], 4, "99999"),
    (["max-streams -1"], 4, "-1"),
    (["tls-cert /nonexistent.pem", "tls-key /nonexistent.key"], 4,
     "nonexistent"),
    (["domain bad.name!"], 4, "bad.name!")])
def test_unservable_config_stops_with_file_line_reason(net, lines, line_no,
                                                         reason):
    ingress = net["ingress"]
    conf = write_conf(ingress, "bad.conf", f"port {OPEN_PORT + 10}",
                      f"api-socket {api_socket(ingress)}", *lines)
    code, out = run_altod_briefly(ingress, conf)
    assert code not in (None, 0), out
    assert conf in out and reason in out, out
    assert re.search(rf"{re.escape(conf)}\D*{line_no}\b", out), out


def test_plain_http_off_loopback_when_allowed(net):
    ingress, rr = net["ingress"], net["rr"]
    _, proc = start_altod(ingress, "altod-open", "listen 10.0.0.1",
                          "allow-plain-http yes", port=OPEN_PORT)
    try:
        wait_served(ingress.ns, host="10.0.0.1", port=OPEN_PORT)
        remote = request(rr.ns, "GET", "/networkmap", host="10.0.0.1",
                         port=OPEN_PORT)
        assert remote.status == 200
        # /stats is for loopback clients only
        assert request(rr.ns, "GET", "/stats", host="10.0.0.1",
                       port=OPEN_PORT).status in (403, 404)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_ipv6_listen(net):
    ingress = net["ingress"]
    _, proc = start_altod(ingress, "altod-v6", "listen ::1", port=OPEN_PORT + 1)
    try:
        def served():
            sock = ns_socket(ingress.ns, socket.AF_INET6)
            sock.settimeout(5)
            try:
                sock.connect(("::1", OPEN_PORT + 1))
            except OSError:
                return None
            conn = http.client.HTTPConnection("::1", OPEN_PORT + 1)
            conn.sock = sock
            conn.request("GET", "/networkmap")
            resp = conn.getresponse()
            return resp.status == 200 and json.loads(resp.read())
        data = wait_until(served, timeout=20, what="cfn-altod on ::1")
        assert data["meta"]["vtag"]["resource-id"] == "networkmap"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], check=True, cwd=cwd,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_pki(directory):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]
    for ca in ("ca", "rogue"):
        openssl("req", "-x509", *ec, "-keyout", f"{ca}.key", "-out",
                f"{ca}.crt", "-subj", f"/CN=aox-{ca}", "-days", "2",
                cwd=directory)
    with open(os.path.join(directory, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    for name, ca in (("server", "ca"), ("client", "ca"), ("intruder", "rogue")):
        openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", f"/CN=aox-{name}", cwd=directory)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt",
                "-CAkey", f"{ca}.key", "-CAcreateserial", "-out",
                f"{name}.crt", "-days", "2", "-extfile", "san.ext",
                cwd=directory)


@pytest.fixture(scope="module")
def tls(net):
    import crypt  # Debian 12's python: for the users file's hash
    ingress = net["ingress"]
    pki = os.path.join(ingress.run_dir, "pki")
    os.makedirs(pki, exist_ok=True)
    make_pki(pki)
    users = os.path.join(pki, "users")
    with open(users, "w") as f:
        f.write("alice:" + crypt.crypt("s3cret", crypt.mksalt(
            crypt.METHOD_SHA512)) + "\n")
    _, proc = start_altod(ingress, "altod-tls",
                          f"tls-cert {pki}/server.crt",
                          f"tls-key {pki}/server.key",
                          f"tls-client-ca {pki}/ca.crt", f"users {users}",
                          port=TLS_PORT)
    yield ingress, pki
    proc.terminate()
    proc.wait(timeout=10)


def curl(router, pki, *args, cert="client", path="/networkmap",
         scheme="https"):
    cmd = ["curl", "-s", "-o", "/dev/null", "-D", "-", "--max-time", "5",
           "--cacert", f"{pki}/ca.crt"]
    if cert:
        cmd += ["--cert", f"{pki}/{cert}.crt", "--key", f"{pki}/{cert}.key"]
    out = router.exec(*cmd, *args, f"{scheme}://127.0.0.1:{TLS_PORT}{path}",
                      check=False)
    status = re.search(r"^HTTP/\S+ (\d{3})", out.stdout, re.M)
    return (int(status.group(1)) if status else None), out.stdout


def test_tls_with_certificate_and_password(tls):
    router, pki = tls
    wait_until(lambda: curl(router, pki, "-u", "alice:s3cret")[0] == 200,
               timeout=30, what="TLS server serving")
    status, headers = curl(router, pki)
    assert status == 401
    assert re.search(r'^WWW-Authenticate: Basic realm="cfn-altod"', headers,
                     re.M | re.I), headers
    assert curl(router, pki, "-u", "alice:wrong")[0] == 401
    assert curl(router, pki, "-u", "mallory:s3cret")[0] == 401
    assert curl(router, pki, "-H", "Authorization: Basic !!!!")[0] == 401
    assert curl(router, pki, "-H", "Authorization: Basic YWxpY2U=")[0] == 401
    assert curl(router, pki, "-H", "Authorization: Bearer s3cret")[0] == 401
    assert curl(router, pki, "-H", "Authorization: Basic " + "QUFB" * 5000)[
        0] in (401, 431, 400)
    assert curl(router, pki, "-u", "alice:s3cret", cert=None)[0] == 403
    assert curl(router, pki, "-u", "alice:s3cret", cert="intruder")[0] in (
        403, None)
    assert curl(router, pki, "-u", "alice:s3cret", scheme="http")[0] is None
    assert curl(router, pki, "-u", "alice:s3cret",
                path="/directory")[0] == 200


def test_credentials_checked_on_every_request(tls):
    """alto.md: credentials are checked on every request, also the second
    one of a kept-alive connection."""
    import base64
    import ssl
    router, pki = tls
    wait_until(lambda: curl(router, pki, "-u", "alice:s3cret")[0] == 200,
               timeout=30, what="TLS server serving")
    context = ssl.create_default_context(cafile=f"{pki}/ca.crt")
    context.load_cert_chain(f"{pki}/client.crt", f"{pki}/client.key")
    conn = http.client.HTTPSConnection("127.0.0.1", TLS_PORT,
                                       context=context, timeout=10)
    conn.sock = context.wrap_socket(connect(router.ns, port=TLS_PORT),
                                    server_hostname="127.0.0.1")
    token = base64.b64encode(b"alice:s3cret").decode()
    try:
        conn.request("GET", "/networkmap",
                     headers={"Authorization": f"Basic {token}"})
        first = conn.getresponse()
        first.read()
        assert first.status == 200
        conn.request("GET", "/networkmap")
        second = conn.getresponse()
        second.read()
        assert second.status == 401
    finally:
        conn.close()


def test_auth_refusals_counted(tls):
    router, pki = tls
    wait_until(lambda: curl(router, pki, "-u", "alice:s3cret")[0] == 200,
               timeout=30, what="TLS server serving")
    out = router.exec("curl", "-s", "--cacert", f"{pki}/ca.crt", "--cert",
                      f"{pki}/client.crt", "--key", f"{pki}/client.key",
                      "-u", "alice:s3cret",
                      f"https://127.0.0.1:{TLS_PORT}/stats").stdout
    before = json.loads(out)["authRefused"]
    curl(router, pki, "-u", "alice:nope")
    out = router.exec("curl", "-s", "--cacert", f"{pki}/ca.crt", "--cert",
                      f"{pki}/client.crt", "--key", f"{pki}/client.key",
                      "-u", "alice:s3cret",
                      f"https://127.0.0.1:{TLS_PORT}/stats").stdout
    assert json.loads(out)["authRefused"] == before + 1


# -- aggregation, with a hostile peer ---------------------------------------------

EVIL_PEER = r'''
import socket, sys, threading, time
PATCH_FIRST = (b"event: application/merge-patch+json,n\r\n"
               b"data: {\"network-map\":{\"x\":{\"ipv4\":[\"192.0.2.0/24\"]}}}\r\n\r\n")
MODES = [
    b"event: application/alto-networkmap+json,n\r\ndata: {not json\r\n\r\n",
    b"event: application/alto-networkmap+json,n\r\ndata: {\"network-map\": 5}\r\n\r\n",
    b"event: application/alto-propmap+json,p\r\ndata: " + b"[" * 100000 + b"\r\n\r\n",
    b"event: application/merge-patch+json,nosuch\r\ndata: {}\r\n\r\n",
    b"event: application/alto-networkmap+json,n\r\ndata: " + b"A" * (8 << 20),
    PATCH_FIRST,
]
def serve(conn, mode):
    try:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                     b"event: application/alto-updatestreamcontrol+json\r\n"
                     b"data: {\"control-uri\":\"/updates/control/1\"}\r\n\r\n")
        conn.sendall(MODES[mode % len(MODES)])
        conn.settimeout(3)
        if conn.recv(1) == b"" and MODES[mode % len(MODES)] == PATCH_FIRST:
            print("patch-first-dropped", flush=True)
    except OSError:
        pass
    conn.close()
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", int(sys.argv[1]))); srv.listen(16)
mode = 0
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn, mode), daemon=True).start()
    mode += 1
    print("connection", mode, flush=True)
'''
EVIL_PORT = 8190


def agg_pids(ns, port):
    try:
        reply = request(ns, "GET", "/aggregate/networkmap", port=port)
    except OSError:  # not listening yet
        return {}
    return reply.json()["network-map"] if reply.status == 200 else {}


def test_aggregation_survives_a_hostile_peer(net):
    ingress, e1, rr = net["ingress"], net["e1"], net["rr"]
    port = OPEN_PORT + 2
    _, east = start_altod(e1, "altod-east", "listen 10.0.0.11",
                          "allow-plain-http yes", "domain east", port=PORT)
    evil = rr.popen("/usr/bin/python3", "-c", EVIL_PEER, str(EVIL_PORT),
                    log="evil-peer.log")
    _, agg = start_altod(ingress, "altod-agg",
                         f"aggregate east http://10.0.0.11:{PORT}",
                         f"aggregate evil http://{cfnnet.RR}:{EVIL_PORT}",
                         port=port)
    try:
        # the local view and east's arrive independently
        wait_until(lambda: {f"east:egress-{EGRESS_IDS['e1']}",
                            "local:clients", "east:clients"} <=
                   set(agg_pids(ingress.ns, port)), timeout=60,
                   what="east and the local domain in the aggregate")
        pids = agg_pids(ingress.ns, port)
        assert all(re.fullmatch(r"(local|east):[\w.-]+", p) for p in pids), pids
        ird = request(ingress.ns, "GET", "/directory", port=port).json()
        assert {"east", "evil"} <= set(ird["meta"]["priv:aggregated-domains"])
        assert {"agg-networkmap", "agg-propmap"} <= set(ird["resources"])
        pmap = request(ingress.ns, "GET", "/aggregate/propmap",
                       port=port).json()["property-map"]
        entity = pmap[f"agg-networkmap.pid:east:egress-{EGRESS_IDS['e1']}"]
        assert entity["priv:domain"] == "east"
        # the hostile peer goes through each of its answers twice; a patch
        # before its map is not applied: the aggregator subscribes again
        log = os.path.join(rr.run_dir, "evil-peer.log")
        wait_until(lambda: open(log).read().count("connection") >= 12,
                   timeout=60, what="the aggregator to meet every hostile answer")
        wait_until(lambda: "patch-first-dropped" in open(log).read(),
                   timeout=10, what="a patch before its map dropped")
        assert agg.poll() is None, "cfn-altod died of a hostile peer"
        assert not any(p.startswith("evil:") for p in agg_pids(ingress.ns,
                                                                  port))
        east.terminate()
        east.wait(timeout=10)
        wait_until(lambda: not any(p.startswith("east:") for p in
                                   agg_pids(ingress.ns, port)),
                   timeout=20, what="east out of the aggregate")
        assert "local:clients" in agg_pids(ingress.ns, port)
    finally:
        for proc in (agg, east, evil):
            proc.terminate()
            proc.wait(timeout=10)


def test_domain_behind_a_dead_link_leaves_the_aggregate(net):
    """alto.md: a domain that cannot be reached leaves the aggregate; behind
    a link that went down its stream is quiet, not closed (an outsider
    found e3's old maps served for 28 s and more): TCP keepalives find it."""
    ingress, e3 = net["ingress"], net["e3"]
    port = OPEN_PORT + 4
    _, far = start_altod(e3, "altod-far", "listen 10.0.0.13",
                         "allow-plain-http yes", "domain far", port=PORT)
    _, agg = start_altod(ingress, "altod-agg-far",
                         f"aggregate far http://10.0.0.13:{PORT}", port=port)

    def far_pids():
        return {p for p in agg_pids(ingress.ns, port) if p.startswith("far:")}
    try:
        wait_until(lambda: "far:clients" in far_pids(), timeout=60,
                   what="far in the aggregate")
        ingress.exec("ip", "link", "set", "eth-e3", "down")
        down = time.monotonic()
        wait_until(lambda: not far_pids(), timeout=30,
                   what="far out of the aggregate")
        assert time.monotonic() - down < 20
        ingress.exec("ip", "link", "set", "eth-e3", "up")
        wait_until(lambda: "far:clients" in far_pids(), timeout=90,
                   what="far back in the aggregate")
    finally:
        ingress.exec("ip", "link", "set", "eth-e3", "up")
        for proc in (agg, far):
            proc.terminate()
            proc.wait(timeout=10)
    cfnnet.wait_converged(net)
    cfnnet.wait_egresses(ingress, SID, EGRESS_IDS.values(), "e3 back")
