#!/usr/bin/env python3
"""Writes the bare `Plan` payload of a plan file to standard output (fuzz corpus seeds).

A plan file is b"MOEGCPLN" then a protobuf `PlanFile` envelope whose field 3 holds the payload
(Sources/CMoegcProto/proto/moegc_plan.proto)."""
import sys

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"MOEGCPLN", "not a plan"
i, body = 8, None

def varint(i):
    shift = value = 0
    while True:
        b = data[i]; i += 1
        value |= (b & 0x7F) << shift; shift += 7
        if b < 0x80:
            return value, i

while i < len(data):
    key, i = varint(i)
    field, wire = key >> 3, key & 7
    if wire == 0:
        _, i = varint(i)
    elif wire == 5:
        i += 4
    elif wire == 1:
        i += 8
    elif wire == 2:
        n, i = varint(i)
        if field == 3:
            body = data[i:i + n]
        i += n
sys.stdout.buffer.write(body)
