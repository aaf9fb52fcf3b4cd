"""Encode and decode Sparkplug B payloads (protobuf), and read a metric's value by its datatype."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from google.protobuf.message import DecodeError

from collectors.sparkplug import sparkplug_b_pb2 as pb

Payload = pb.Payload
Metric = pb.Payload.Metric
MetricValue = bool | int | float | str | bytes | None

BD_SEQ = "bdSeq"  # spec 3.0 §6.4.18: the birth/death sequence metric of NBIRTH and NDEATH
REBIRTH = "Node Control/Rebirth"  # spec 3.0 §6.4.18: NBIRTH must carry it; NCMD true asks for a rebirth

# Spec 3.0 §6.4.16: which oneof field carries each scalar datatype.
_INT_TYPES: dict[int, int] = {pb.Int8: 8, pb.Int16: 16, pb.Int32: 32}
_UINT_TYPES = (pb.UInt8, pb.UInt16, pb.UInt32)
_LONG_SIGNED = (pb.Int64,)
_LONG_UNSIGNED = (pb.UInt64, pb.DateTime)
_STRING_TYPES = (pb.String, pb.Text, pb.UUID)


class PayloadDecodeError(ValueError):
    """The bytes are not a Sparkplug B protobuf payload."""


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric to encode: a name and/or an alias, a scalar value, and the optional flags."""

    name: str | None
    value: MetricValue
    alias: int | None = None
    timestamp_ms: int | None = None
    datatype: int | None = None  # inferred from the value when None
    is_historical: bool = False
    is_transient: bool = False


def decode_payload(data: bytes) -> pb.Payload:
    """Parse Sparkplug B payload bytes; raise PayloadDecodeError with the reason on garbage."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise PayloadDecodeError(f"payload must be bytes, got {type(data).__name__}")
    message = pb.Payload()
    try:
        message.ParseFromString(bytes(data))
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise PayloadDecodeError(f"not a Sparkplug B protobuf payload: {exc}"[:300]) from exc
    return message


def encode_payload(
    metrics: Iterable[MetricSpec],
    *,
    timestamp_ms: int,
    seq: int | None = None,
    uuid: str | None = None,
    body: bytes | None = None,
) -> bytes:
    """Build and serialise a payload (NBIRTH, DBIRTH, NDATA, DDATA, DDEATH, NDEATH, NCMD...)."""
    message = pb.Payload(timestamp=timestamp_ms)
    if seq is not None:
        message.seq = seq
    if uuid is not None:
        message.uuid = uuid
    if body is not None:
        message.body = body
    for spec in metrics:
        _fill_metric(message.metrics.add(), spec)
    return bytes(message.SerializeToString())


def nbirth_payload(metrics: Iterable[MetricSpec], *, bd_seq: int, timestamp_ms: int) -> bytes:
    """NBIRTH: seq 0, the bdSeq metric and `Node Control/Rebirth` false, then the node's metrics (§7.1)."""
    required = [
        MetricSpec(BD_SEQ, bd_seq, datatype=pb.Int64, timestamp_ms=timestamp_ms),
        MetricSpec(REBIRTH, False, datatype=pb.Boolean, timestamp_ms=timestamp_ms),
    ]
    return encode_payload([*required, *metrics], timestamp_ms=timestamp_ms, seq=0)


def ndeath_payload(*, bd_seq: int, timestamp_ms: int) -> bytes:
    """NDEATH (the edge node's MQTT will): only the bdSeq metric, no seq (§6.4.18)."""
    return encode_payload([MetricSpec(BD_SEQ, bd_seq, datatype=pb.Int64)], timestamp_ms=timestamp_ms)


def rebirth_request_payload(*, timestamp_ms: int) -> bytes:
    """NCMD payload asking an edge node to republish its births: `Node Control/Rebirth` = true."""
    return encode_payload([MetricSpec(REBIRTH, True, datatype=pb.Boolean)], timestamp_ms=timestamp_ms)


def metric_value(metric: pb.Payload.Metric) -> MetricValue:
    """The metric's scalar value per its datatype (signed ints decoded from two's complement); None if null."""
    if metric.is_null:
        return None
    field = metric.WhichOneof("value")
    if field is None:
        return None
    datatype = metric.datatype
    if field == "int_value":
        raw = metric.int_value
        bits = _INT_TYPES.get(datatype)
        return _signed(raw & ((1 << bits) - 1), bits) if bits else raw
    if field == "long_value":
        return _signed(metric.long_value, 64) if datatype in _LONG_SIGNED else metric.long_value
    if field == "float_value":
        return float(metric.float_value)
    if field == "double_value":
        return float(metric.double_value)
    if field == "boolean_value":
        return bool(metric.boolean_value)
    if field == "string_value":
        text: str | bytes = metric.string_value  # bytes, not str, when the wire holds invalid UTF-8 (proto2)
        return text
    if field == "bytes_value":
        return bytes(metric.bytes_value)
    return None  # DataSet, Template and extensions: see structured_value


def structured_value(metric: pb.Payload.Metric) -> object:
    """A DataSet or Template metric as plain JSON data (lists, dicts, scalars); None for anything else.

    DataSet (spec 3.0 §6.4.11): {"columns": [...], "types": [...], "rows": [[...], ...]}.
    Template (§6.4.13): {"template_ref", "version", "is_definition", "parameters": {...}, "metrics": {...}},
    its metrics by name, each a scalar or a nested DataSet/Template.
    """
    field = metric.WhichOneof("value")
    if field == "dataset_value":
        dataset = metric.dataset_value
        rows = [[_element(value) for value in row.elements] for row in dataset.rows]
        return {"columns": list(dataset.columns), "types": list(dataset.types), "rows": rows}
    if field == "template_value":
        template = metric.template_value
        metrics: dict[str, object] = {}
        for index, inner in enumerate(template.metrics):
            value: object = metric_value(inner)
            if value is None and not inner.is_null:
                value = structured_value(inner)
            if isinstance(value, bytes):
                value = value.hex()
            metrics[inner.name or f"#{inner.alias if inner.HasField('alias') else index}"] = value
        parameters = {p.name: _element(p) for p in template.parameters}
        return {
            "template_ref": template.template_ref or None,
            "version": template.version or None,
            "is_definition": bool(template.is_definition),
            "parameters": parameters,
            "metrics": metrics,
        }
    return None


def _element(value: pb.Payload.DataSet.DataSetValue | pb.Payload.Template.Parameter) -> object:
    field = value.WhichOneof("value")
    if field is None or field == "extension_value":
        return None
    scalar = getattr(value, field)
    if isinstance(scalar, bytes):  # invalid UTF-8 in a proto2 string
        return scalar.hex()
    return scalar


def infer_datatype(value: MetricValue) -> int:
    """The Sparkplug datatype code a Python scalar is encoded as by default."""
    if isinstance(value, bool):
        return pb.Boolean
    if isinstance(value, int):
        return pb.Int64
    if isinstance(value, float):
        return pb.Double
    if isinstance(value, str):
        return pb.String
    if isinstance(value, bytes):
        return pb.Bytes
    raise ValueError("a null metric needs an explicit datatype")


def _fill_metric(target: pb.Payload.Metric, spec: MetricSpec) -> None:
    if spec.name is not None:
        target.name = spec.name
    if spec.alias is not None:
        target.alias = spec.alias
    if spec.timestamp_ms is not None:
        target.timestamp = spec.timestamp_ms
    datatype = spec.datatype if spec.datatype is not None else infer_datatype(spec.value)
    target.datatype = datatype
    if spec.is_historical:
        target.is_historical = True
    if spec.is_transient:
        target.is_transient = True
    value = spec.value
    if value is None:
        target.is_null = True
    elif isinstance(value, bool):
        target.boolean_value = value
    elif isinstance(value, int):
        if datatype in _INT_TYPES or datatype in _UINT_TYPES:
            target.int_value = value & 0xFFFFFFFF  # §6.4.16: signed ints travel as two's complement
        else:
            target.long_value = value & 0xFFFFFFFFFFFFFFFF
    elif isinstance(value, float):
        if datatype == pb.Float:
            target.float_value = value
        else:
            target.double_value = value
    elif isinstance(value, str):
        target.string_value = value
    else:
        target.bytes_value = value


def _signed(raw: int, bits: int) -> int:
    return raw - (1 << bits) if raw >= 1 << (bits - 1) else raw
