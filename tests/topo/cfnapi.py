# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal client of the CFN service notification API for tests and
benchmarks: protobuf messages of lib/cfn_api.proto encoded by hand, so
that no generated Python bindings are needed."""

import socket
import struct


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
    return _field(number, 2, text.encode())


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


def heartbeat(req_id, service, bid):
    return _field(1, 0, req_id) + _field(5, 2, _string(1, service) +
                                         _string(2, bid))


def frame(payload):
    return struct.pack("!I", len(payload)) + payload


def reply_status(payload):
    """The status field (2) of a cfn.Reply; 0 is OK."""
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
        if key >> 3 == 2 and key & 7 == 0:
            return value
        if key & 7 == 2:
            i += value
    return None


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
