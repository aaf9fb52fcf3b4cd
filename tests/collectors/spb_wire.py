"""A minimal Sparkplug B encoder written from the spec's field numbers, independent of collectors/sparkplug.

It plays a third-party edge node (its own codec): births define aliases, DDATA carry aliases only.
"""

from __future__ import annotations

import struct

# Sparkplug B DataType codes (spec 6.4.16).
INT64, UINT64, DOUBLE, STRING = 4, 8, 10, 12


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _uint(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(value)


def _bytes(field: int, value: bytes) -> bytes:
    return _key(field, 2) + _varint(len(value)) + value


def metric(
    value: object,
    datatype: int,
    *,
    name: str | None = None,
    alias: int | None = None,
    ts_ms: int | None = None,
) -> bytes:
    """One Payload.Metric: name=1, alias=2, timestamp=3, datatype=4, long=11, double=13, string=15."""
    out = b""
    if name is not None:
        out += _bytes(1, name.encode())
    if alias is not None:
        out += _uint(2, alias)
    if ts_ms is not None:
        out += _uint(3, ts_ms)
    out += _uint(4, datatype)
    if datatype in (INT64, UINT64):
        assert isinstance(value, int)
        out += _uint(11, value & 0xFFFF_FFFF_FFFF_FFFF)
    elif datatype == DOUBLE:
        assert isinstance(value, float)
        out += _key(13, 1) + struct.pack("<d", value)
    elif datatype == STRING:
        assert isinstance(value, str)
        out += _bytes(15, value.encode())
    else:
        raise ValueError(datatype)
    return out


def payload(metrics: list[bytes], *, ts_ms: int, seq: int | None) -> bytes:
    """A Payload: timestamp=1, metrics=2 (repeated), seq=3."""
    out = _uint(1, ts_ms)
    for item in metrics:
        out += _bytes(2, item)
    if seq is not None:
        out += _uint(3, seq)
    return out
