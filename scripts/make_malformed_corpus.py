#!/usr/bin/python3
"""Writes tests/data/malformed/: one hostile safetensors file per format violation, and
EXPECTED.json mapping each file to the hwlock error code it must produce. Run from the repo root.
The files are checked in; this script documents how they were made."""
import json
import os
import struct

OUT = "tests/data/malformed"
expected = {}


def raw(name, data, code):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    expected[name] = code


def st(name, header, data=b"", code=None, pad=True):
    text = header if isinstance(header, bytes) else header.encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    raw(name, struct.pack("<Q", len(text)) + text + data, code)


def t(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


os.makedirs(OUT, exist_ok=True)
raw("too_small.safetensors", b"\x01\x00\x00", "st_too_small")
raw("header_too_large.safetensors", struct.pack("<Q", 100_000_001) + b"{}", "st_header_too_large")
raw("header_past_eof.safetensors", struct.pack("<Q", 1000) + b'{"a":1}', "st_header_past_eof")
st("not_utf8.safetensors", b'{"w\xff": {}}', code="st_header_not_utf8")
st("overlong_utf8.safetensors", b'{"w\xc0\xaf": {}}', code="st_header_not_utf8")
st("surrogate_utf8.safetensors", b'{"w\xed\xa0\x80": {}}', code="st_header_not_utf8")
st("bad_start_space.safetensors", b' {}', code="st_header_bad_start")
st("bad_start_array.safetensors", b'[]', code="st_header_bad_start")
raw("empty_header.safetensors", struct.pack("<Q", 0), "st_header_bad_start")
st("bad_json_truncated.safetensors", b'{"a": ', code="st_header_bad_json")
st("bad_json_trailing.safetensors", b'{} x', code="st_header_bad_json")
st("bad_json_comment.safetensors", b'{/* c */}', code="st_header_bad_json")
st("entry_not_object.safetensors", json.dumps({"w": 5}), code="st_header_schema")
st("missing_dtype.safetensors", json.dumps({"w": {"shape": [1], "data_offsets": [0, 4]}}),
   b"\0" * 4, "st_header_schema")
st("extra_field.safetensors", json.dumps({"w": dict(t("F32", [1], 0, 4), extra=1)}), b"\0" * 4,
   "st_header_schema")
st("dtype_not_string.safetensors", json.dumps({"w": t(4, [1], 0, 4)}), b"\0" * 4,
   "st_header_schema")
st("unknown_dtype.safetensors", json.dumps({"w": t("F128", [1], 0, 16)}), b"\0" * 16,
   "st_unknown_dtype")
st("negative_dim.safetensors", json.dumps({"w": t("F32", [-1], 0, 4)}), b"\0" * 4,
   "st_header_schema")
st("float_dim.safetensors", json.dumps({"w": t("F32", [1.5], 0, 4)}), b"\0" * 4,
   "st_header_schema")
st("huge_dim.safetensors", '{"w": {"dtype": "U8", "shape": [18446744073709551616], '
   '"data_offsets": [0, 1]}}', b"\0", "st_header_schema")
st("shape_overflow.safetensors", json.dumps({"w": t("F64", [2**62, 8], 0, 8)}), b"\0" * 8,
   "st_shape_overflow")
st("offsets_three.safetensors", json.dumps({"w": {"dtype": "U8", "shape": [1],
                                                  "data_offsets": [0, 1, 2]}}), b"\0",
   "st_header_schema")
st("size_mismatch.safetensors", json.dumps({"w": t("F32", [2], 0, 4)}), b"\0" * 4,
   "st_size_mismatch")
st("end_before_begin.safetensors", json.dumps({"w": t("U8", [0], 8, 0)}), b"\0" * 8,
   "st_size_mismatch")
st("hole.safetensors", json.dumps({"a": t("F32", [1], 0, 4), "b": t("F32", [1], 8, 12)}),
   b"\0" * 12, "st_offsets_not_contiguous")
st("overlap.safetensors", json.dumps({"a": t("F32", [2], 0, 8), "b": t("F32", [2], 4, 12)}),
   b"\0" * 12, "st_offsets_not_contiguous")
st("not_at_zero.safetensors", json.dumps({"a": t("F32", [1], 4, 8)}), b"\0" * 8,
   "st_offsets_not_contiguous")
st("trailing_bytes.safetensors", json.dumps({"a": t("F32", [1], 0, 4)}), b"\0" * 8,
   "st_buffer_mismatch")
st("truncated_data.safetensors", json.dumps({"a": t("F32", [2], 0, 8)}), b"\0" * 4,
   "st_buffer_mismatch")
st("duplicate_tensor.safetensors",
   '{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, '
   '"a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}', b"\0\0", "st_duplicate_name")
st("duplicate_metadata_key.safetensors", '{"__metadata__": {"k": "1", "k": "2"}}', b"",
   "st_duplicate_name")
st("metadata_not_object.safetensors", json.dumps({"__metadata__": "x"}), code="st_metadata_invalid")
st("metadata_value_number.safetensors", json.dumps({"__metadata__": {"k": 1}}),
   code="st_metadata_invalid")
# Limits of include/hwlock/safetensors.hpp (kMaxHeaderDepth, kMaxTensors, kMaxTensorNameSize).
MAX_DEPTH, MAX_TENSORS, MAX_NAME = 8, 1 << 18, 32 * 1024 - 21
# One level too deep, inside a tensor entry: valid JSON, so only the depth limit rejects it.
st("deep_nesting.safetensors", '{"w": {"dtype": "U8", "shape": ' + "[" * (MAX_DEPTH - 1) + "1" +
   "]" * (MAX_DEPTH - 1) + ', "data_offsets": [0, 1]}}', b"\0", "st_header_too_deep")
# Thousands of brackets: rejected at the ninth, before the parser builds anything.
st("deep_nesting_huge.safetensors", '{"w": ' + "[" * 20000 + "]" * 20000 + "}",
   code="st_header_too_deep")


def short_names(n):
    # Distinct JSON-safe names of 1-3 characters: keeps the over-the-limit file near 2 MB.
    alphabet = [chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"\\']
    out = []
    for length in (1, 2, 3):
        for i in range(len(alphabet) ** length):
            name = ""
            for _ in range(length):
                name = alphabet[i % len(alphabet)] + name
                i //= len(alphabet)
            out.append(name)
            if len(out) == n:
                return out
    raise ValueError(n)


# One tensor too many. Entries are bare numbers: the count is checked before the schema.
st("too_many_tensors.safetensors",
   "{" + ",".join('"%s":0' % k for k in short_names(MAX_TENSORS + 1)) + "}",
   code="st_too_many_tensors")
# A name one byte longer than any that could be locked (HKDF info limit of OpenSSL 3.0).
st("name_too_long.safetensors", json.dumps({"w" * (MAX_NAME + 1): t("U8", [1], 0, 1)}), b"\0",
   "st_name_too_long")
with open(os.path.join(OUT, "EXPECTED.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"wrote {len(expected)} files to {OUT}")
