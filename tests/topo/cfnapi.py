# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal client of the CFN service notification API for tests and
benchmarks: protobuf messages of lib/cfn_api.proto encoded by hand, so
that no generated Python bindings are needed."""

import json
import socket
import struct
import sys


def _varint(n):
    out = b""
    while True:
        byte, n = n & 0x7F, n >> 7
        if not n:
            return out + bytes([byte])
        out += bytes([byte | 0x80])


def _field(number, wire_type, payload):
    key = _varint(number << 3 | wire_type)
    if wire_type == 0:
        return key + _varint(payload)
    if wire_type == 1:
        return key + payload
    return key + _varint(len(payload)) + payload


def _string(number, text):
    """text: str, or bytes to send as they are (invalid input too)."""
    return _field(number, 2, text if isinstance(text, bytes) else
                  text.encode())


def metric(name, value, statistic="current"):
    return (_string(1, name) + _field(2, 1, struct.pack("<d", value)) +
            _string(3, statistic))


def register(req_id, service, bid, capacity=0, hold=30, metrics=()):
    body = (_string(1, service) + _string(2, bid) + _field(3, 0, capacity) +
            _field(4, 0, hold) + b"".join(_field(5, 2, m) for m in metrics))
    return _field(1, 0, req_id) + _field(2, 2, body)


def update(req_id, service, bid, metrics=()):
    body = (_string(1, service) + _string(2, bid) +
            b"".join(_field(3, 2, m) for m in metrics))
    return _field(1, 0, req_id) + _field(3, 2, body)


def instance_report(bid, capacity=None, hold=None, metrics=()):
    """One entry of a batch: {"bid", "capacity", "hold", "metrics"}."""
    return (_string(1, bid) +
            (_field(2, 0, capacity) if capacity is not None else b"") +
            (_field(3, 0, hold) if hold is not None else b"") +
            b"".join(_field(4, 2, m) for m in metrics))


def batch(req_id, service, registers=(), updates=()):
    """A cfn.Batch: instance_report()s to register, then to update."""
    body = (_string(1, service) +
            b"".join(_field(2, 2, r) for r in registers) +
            b"".join(_field(3, 2, u) for u in updates))
    return _field(1, 0, req_id) + _field(7, 2, body)


def heartbeat(req_id, service, bid):
    return _field(1, 0, req_id) + _field(5, 2, _string(1, service) +
                                         _string(2, bid))


def list_request(req_id):
    return _field(1, 0, req_id) + _field(6, 2, b"")


def frame(payload):
    return struct.pack("!I", len(payload)) + payload


def reply_fields(payload):
    """The top-level fields of a cfn.Reply: {number: int or bytes}, the
    last of a repeated one (a one-octet key is enough for Reply)."""
    fields = {}
    i = 0
    while i < len(payload):
        key = payload[i]
        i += 1
        value = 0
        shift = 0
        while True:
            byte = payload[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if key & 7 == 2:
            value, i = payload[i:i + value], i + value
        fields[key >> 3] = value
    return fields


def reply_status(payload):
    """The status field (2) of a cfn.Reply; 0 is OK."""
    return reply_fields(payload).get(2)


def reply_error(payload):
    """The error text (field 3) of a cfn.Reply, as raw octets."""
    return reply_fields(payload).get(3, b"")


class Client:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)

    def send(self, payload):
        self.sock.sendall(frame(payload))

    def reply(self):
        header = self.sock.recv(4, socket.MSG_WAITALL)
        (length,) = struct.unpack("!I", header)
        return self.sock.recv(length, socket.MSG_WAITALL)

    def call(self, payload):
        self.send(payload)
        return reply_status(self.reply())

    def close(self):
        self.sock.close()


def _answer(sock, req_id):
    """Ask one connection for the list: ("served", None) when it answers,
    ("refused", reason) for the node's LIMIT reply (id 0) to a refused
    connection, ("lost", what) otherwise."""
    try:
        sock.sendall(frame(list_request(req_id)))
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused and closed already: its reply is still to read
    try:
        header = sock.recv(4, socket.MSG_WAITALL)
        payload = sock.recv(struct.unpack("!I", header)[0],
                            socket.MSG_WAITALL)
    except (OSError, struct.error) as e:
        return "lost", repr(e)
    fields = reply_fields(payload)
    if fields.get(1) == req_id and fields.get(2) == 0:
        return "served", None
    if fields.get(1, 0) == 0 and fields.get(2) == 3:
        return "refused", fields.get(3, b"").decode()
    return "lost", repr(fields)


def open_many(path, count, timeout=5.0):
    """Connect count times in a burst, then use each connection once:
    {"errors": [errno of a failed connect...], "served": N, "refused":
    [reason...], "lost": [...]}, and the sockets still open."""
    result = {"errors": [], "served": 0, "refused": [], "lost": []}
    socks = []
    for _ in range(count):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)  # non-blocking connect: EAGAIN if full
        try:
            sock.connect(path)
            socks.append(sock)
        except OSError as e:
            result["errors"].append(e.errno)
            sock.close()
    kept = []
    for req_id, sock in enumerate(socks, 1):
        kind, what = _answer(sock, req_id)
        if kind == "served":
            result["served"] += 1
            kept.append(sock)
        else:
            result[kind].append(what)
            sock.close()
    return result, kept


if __name__ == "__main__":
    # "flood PATH COUNT": open_many as whoever runs it (a test runs it as
    # another user), print the result, hold the connections until stdin
    # closes.
    outcome, held = open_many(sys.argv[2], int(sys.argv[3]))
    print(json.dumps(outcome), flush=True)
    sys.stdin.read()
