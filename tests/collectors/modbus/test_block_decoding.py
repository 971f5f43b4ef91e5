"""The collector's block decoder reads back exactly what the point codec encodes, for every data type in
every byte/word order, with scale/offset and overflow counters (random values, fixed seed)."""

from __future__ import annotations

import math
import random

from bulkdaq.config.register_types import INTEGER_TYPES
from bulkdaq.config.site_file import ModbusDevice
from bulkdaq.store import contract
from collectors.modbus.collector import ModbusDeviceCollector
from collectors.modbus.point_codec import decode_point, encode_point

TYPES = ["int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]
FIELDS = ["mass_total_kg", "volume_total_m3", "flow_rate_kg_h", "volume_flow_m3_h", "density_kg_m3", "temperature_c", "pressure_kpa", "meter_factor"]


class _NoSink:
    depth = 0
    lag_s = 0.0

    async def submit(self, points, *, source=None) -> None:  # noqa: ANN001
        raise AssertionError("not used")


def _device(byte_order: str, word_order: str, rng: random.Random) -> ModbusDevice:
    points, address = [], 0
    for index, data_type in enumerate(TYPES):
        point = {"name": data_type, "address": address, "data_type": data_type, "measurement": "meter", "asset": "FT", "field": FIELDS[index]}
        if data_type in INTEGER_TYPES:
            point["scale"] = rng.choice([1.0, 0.001, 0.01, 2.5])
            point["offset"] = rng.choice([0.0, -10.0, 3.25])
        address += {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "int64": 4, "uint64": 4, "float32": 2, "float64": 4}[data_type] + rng.choice([0, 0, 3])
        points.append(point)
    points.append({"name": "total", "address": address, "data_type": "float32", "measurement": "meter", "asset": "FT2",
                   "field": "mass_total_kg", "overflow": {"address": address + 2, "data_type": "uint32", "unit": 1000.0}})
    return ModbusDevice.model_validate({"name": "D", "host": "127.0.0.1", "byte_order": byte_order, "word_order": word_order, "merge_gap": 3, "points": points})


def test_block_decoder_agrees_with_the_point_codec() -> None:
    rng = random.Random(20261122)
    for byte_order in ("big", "little"):
        for word_order in ("big", "little"):
            for _ in range(50):
                device = _device(byte_order, word_order, rng)
                collector = ModbusDeviceCollector(device, "s", _NoSink())
                image: dict[tuple[str, int], int] = {}
                for point in device.points:
                    if point.data_type in INTEGER_TYPES:
                        bits = 16 * {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "int64": 4, "uint64": 4}[point.data_type]
                        low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if point.data_type.startswith("int") else (0, 2**bits - 1)
                        raw = rng.randint(low, high)
                        value = raw * point.scale + point.offset  # any value; the codec truncates to a raw count
                    else:
                        value = rng.uniform(-1e6, 1e6) if point.overflow is None else rng.uniform(0, 5e6)
                    image.update(encode_point(device, point, value))
                answers = [([image.get((b.register, b.start + i), 0) for i in range(b.count)], 1000 + n) for n, b in enumerate(collector.blocks)]
                points = collector._decoded_points(answers, [None] * len(collector.blocks))
                stored = {(p.tags["meter"], k): v for p in points for k, v in p.fields.items() if k != "quality"}
                for point in device.points:
                    expected = decode_point(device, point, image)
                    if expected <= 0 and point.field in contract.MUST_BE_POSITIVE:
                        assert (point.asset, point.field) not in stored  # cannot be real: bad, no value
                        continue
                    got = stored[(point.asset, point.field)]
                    assert got == expected or (math.isnan(got) and math.isnan(expected)), (point, got, expected)


def test_a_density_of_zero_is_bad_not_good() -> None:
    device = ModbusDevice.model_validate({"name": "D", "host": "127.0.0.1", "points": [
        {"name": "m", "address": 0, "data_type": "float64", "measurement": "meter", "asset": "FT", "field": "mass_total_kg"},
        {"name": "d", "address": 4, "data_type": "float32", "measurement": "meter", "asset": "FT", "field": "density_kg_m3"},
    ]})
    collector = ModbusDeviceCollector(device, "s", _NoSink())
    image = {**encode_point(device, device.points[0], 1234.5), **encode_point(device, device.points[1], 0.0)}
    answers = [([image[(b.register, b.start + i)] for i in range(b.count)], 1000) for b in collector.blocks]
    (point,) = collector._decoded_points(answers, [None] * len(collector.blocks))
    assert point.fields == {"mass_total_kg": 1234.5, "quality": "bad", "quality_reason": "0.0 cannot be real (density_kg_m3)"}
