#!/usr/bin/python3
"""Writes tests/data/io/fixture.safetensors by hand (struct + json, no safetensors package), independently of
the C++ writer, plus fixture_expected.json holding every element as a plain number so the C++ test can
compare what its reader loads against values this script chose.

Layout (https://github.com/huggingface/safetensors): u64 little-endian header length N, N bytes of JSON
(padded with spaces), then the data section; data_offsets are relative to the data section."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def f32_bits_to_bf16(value):
    # bfloat16 is the top half of the float32 bit pattern; the chosen values are exact in bf16.
    (bits,) = struct.unpack("<I", struct.pack("<f", value))
    assert bits & 0xFFFF == 0, value
    return struct.pack("<H", bits >> 16)


# name -> (dtype, shape, values in row-major order, packer)
tensors = {
    "embed.weight": ("F32", [2, 3], [0.5, -1.25, 3.0, 1e-3, -7.5, 1024.0], lambda v: struct.pack("<f", v)),
    "half": ("F16", [4], [1.0, -2.5, 0.099975586, 65504.0], lambda v: struct.pack("<e", v)),
    "brain": ("BF16", [2, 2], [1.0, -0.5, 3.140625, 256.0], f32_bits_to_bf16),
    "double": ("F64", [3], [1.0 / 3.0, -2.0e300, 5e-324], lambda v: struct.pack("<d", v)),
    "ids": ("I64", [2], [-9007199254740993, 9007199254740993], lambda v: struct.pack("<q", v)),
    "i32": ("I32", [1, 2], [-2147483648, 2147483647], lambda v: struct.pack("<i", v)),
    "i16": ("I16", [3], [-32768, 0, 32767], lambda v: struct.pack("<h", v)),
    "i8": ("I8", [2], [-128, 127], lambda v: struct.pack("<b", v)),
    "u8": ("U8", [2], [0, 255], lambda v: struct.pack("<B", v)),
    "mask": ("BOOL", [3], [True, False, True], lambda v: struct.pack("<?", v)),
    "scalar": ("F32", [], [42.0], lambda v: struct.pack("<f", v)),
    "nothing": ("F32", [0, 5], [], lambda v: struct.pack("<f", v)),
}

# Written in an order that is neither alphabetical nor the header's, to check the reader uses offsets.
data_order = ["mask", "double", "embed.weight", "u8", "ids", "half", "brain", "i32", "i16", "i8", "scalar", "nothing"]
data = b""
header = {"__metadata__": {"format": "pt", "written_by": "make_safetensors_fixture.py"}}
for name in data_order:
    dtype, shape, values, pack = tensors[name]
    blob = b"".join(pack(v) for v in values)
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
    data += blob

header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
with open(os.path.join(HERE, "fixture.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(header_bytes)) + header_bytes + data)

# I64 values beyond 2^53 are stored as strings so no JSON reader rounds them.
def stored(dtype, value, pack):
    # The value the bytes actually hold (F16 rounds), read back with the matching unpacker.
    raw = pack(value)
    if dtype == "F32":
        return struct.unpack("<f", raw)[0]
    if dtype == "F16":
        return struct.unpack("<e", raw)[0]
    if dtype == "BF16":
        return struct.unpack("<f", b"\x00\x00" + raw)[0]
    if dtype == "I64":
        return str(value)  # beyond 2^53: a string, so no JSON reader rounds it
    return value


expected = {name: {"dtype": dtype, "shape": shape, "values": [stored(dtype, v, pack) for v in values]}
            for name, (dtype, shape, values, pack) in tensors.items()}
expected["__metadata__"] = header["__metadata__"]
with open(os.path.join(HERE, "fixture_expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")
