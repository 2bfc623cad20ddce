#!/usr/bin/python3
"""Writes the hand-made seed corpora of the fuzz targets (fuzz/corpus_<name>/): small valid and
invalid examples of each input format. The seeds that need real enrollments (device records,
fuzzy helper data) come from gen_corpus.cpp instead. Run from anywhere: python3 fuzz/make_seeds.py
"""
import gzip
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(corpus, name, data):
    d = os.path.join(HERE, "corpus_" + corpus)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


# ---- key files
HEX = "00112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a6978"
put("key_file", "valid", "hwlock-key-v1 " + HEX + "\n")
put("key_file", "valid_no_newline", "hwlock-key-v1 " + HEX)
put("key_file", "valid_upper", "hwlock-key-v1 " + HEX.upper() + "\n")
put("key_file", "short", "hwlock-key-v1 " + HEX[:-2] + "\n")
put("key_file", "long", "hwlock-key-v1 " + HEX + "00\n")
put("key_file", "crlf", "hwlock-key-v1 " + HEX + "\r\n")
put("key_file", "two_newlines", "hwlock-key-v1 " + HEX + "\n\n")
put("key_file", "non_hex", "hwlock-key-v1 " + HEX[:10] + "g" + HEX[11:] + "\n")
put("key_file", "bad_magic", "hwlock-key-v2 " + HEX + "\n")
put("key_file", "empty", b"")

# ---- IDX
def idx(dims, data, type_=8):
    return bytes([0, 0, type_, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data

img = idx([2, 3, 4], bytes(range(24)))
lab = idx([5], bytes([0, 1, 2, 9, 3]))
put("idx", "images.idx", img)
put("idx", "images.idx.gz", gz(img))
put("idx", "labels.idx", lab)
put("idx", "labels.idx.gz", gz(lab))
put("idx", "bad_type.idx", idx([5], bytes(5), type_=9))
put("idx", "zero_dim.idx", idx([0, 3, 4], b""))
put("idx", "truncated_data.idx.gz", gz(img[:-3]))
put("idx", "trailing.idx", lab + b"x")
put("idx", "truncated_gzip.idx.gz", gz(img)[:-6])
put("idx", "bad_crc.idx.gz", gz(lab)[:-8] + b"\0\0\0\0" + gz(lab)[-4:])
put("idx", "huge_dims.idx", idx([0xFFFFFFFF, 0xFFFFFFFF, 2], b""))
put("idx", "short_header.idx", bytes([0, 0, 8, 3, 0, 0]))
put("idx", "two_members.idx.gz", gz(lab[:6]) + gz(lab[6:]))

# ---- number-format strings
for i, s in enumerate(["fp32", "bf16", "fp16:sat", "fp8-e4m3:nosat:rtz", "fp8-e5m2", "fp8-e3m4:sr=7",
                       "int8:per-channel", "int4:affine:sr=42", "INT8:Symmetric", "mxint8",
                       "mxfp8-e4m3", "mxfp8-e5m2", "mxfp6-e2m3", "mxfp6-e3m2", "mxfp4:rtz",
                       "bfp:e2m3:b16:s8", "bfp:e5m10:b1:s2", "bfp:e0m7:b4096", "log8",
                       "fixed:q3.12", "fixed:q0.1", "fixed:q15.16",
                       # invalid
                       "", "fp64", "fp16:", "fp16::sat", "fp16:sat:sat", "int8:sat",
                       "bfp:e9m3", "bfp:b0", "bfp:s9", "fixed:q31.31", "fixed:q3", "sr=",
                       "int4:sr=18446744073709551616", "mxfp4:per-channel", "bfp:e2m3:e2m3"]):
    put("numfmt_format", "f%02d" % i, s)

# ---- PUF response files: u32le challenge, u32le nbits (top bit: raw), content
def puf(challenge, nbits, content):
    return struct.pack("<II", challenge, nbits) + content

put("puf_file", "aligned", puf(0, 63, bytes(range(16))))
put("puf_file", "unaligned", puf(13, 40, bytes(range(16))))
put("puf_file", "exact_end", puf(64, 63, bytes(range(16))))
put("puf_file", "short", puf(100, 100, bytes(range(16))))
put("puf_file", "empty_content", puf(0, 0, b""))
put("puf_file", "raw_too_many_bits", puf(0, 0x80000000 | (1 << 27), bytes(8)))
put("puf_file", "raw_far_challenge", puf(0xFFFFFFF0, 0x80000010, bytes(8)))

# ---- container lock metadata (fuzz_lock_info: members become metadata entries)
SALT = "ab" * 32
NONCE = "cd" * 16
ok = {"hwlock.version": "1", "hwlock.kdf": "hkdf-sha256-v1", "hwlock.salt": SALT,
      "hwlock.key_source": {"kind": "key-file", "params": {}, "key_id": "0123456789abcdef"},
      "hwlock.key_check": "hmac-sha256", "hwlock.mac": "ef" * 32,
      "hwlock.tensors": {"a": {"scheme": "aes-256-ctr", "nonce": NONCE},
                         "b": {"scheme": "aes-256-ctr", "nonce": NONCE}},
      "user": "kept"}


def variant(**changes):
    d = dict(ok)
    for k, v in changes.items():
        k = k.replace("__", ".")
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return json.dumps(d)

put("lock_info", "valid", json.dumps(ok))
put("lock_info", "valid_no_check", variant(hwlock__key_check="none", hwlock__mac=None))
put("lock_info", "not_locked", json.dumps({"format": "pt"}))
put("lock_info", "version_2", variant(hwlock__version="2"))
put("lock_info", "bad_salt", variant(hwlock__salt="ab"))
put("lock_info", "key_source_not_json", variant(hwlock__key_source="{kind"))
put("lock_info", "key_source_kind_number", variant(hwlock__key_source={"kind": 1}))
put("lock_info", "mac_with_none", variant(hwlock__key_check="none"))
put("lock_info", "missing_tensor", variant(hwlock__tensors={"a": ok["hwlock.tensors"]["a"]}))
put("lock_info", "extra_tensor", variant(hwlock__tensors=dict(ok["hwlock.tensors"], c=ok["hwlock.tensors"]["a"])))
put("lock_info", "bad_scheme", variant(hwlock__tensors={"a": {"scheme": "rot13", "nonce": NONCE},
                                                        "b": {"scheme": "aes-256-ctr", "nonce": NONCE}}))
put("lock_info", "device_source", variant(hwlock__key_source={"kind": "device", "params": {"envelopes": []}}))

# ---- fingerprint source params: kind byte (0 numeric, 1 timing, 2 puf-sim, 3 puf-file), JSON
def src(kind, params):
    return bytes([kind]) + json.dumps(params).encode()

put("source_params", "numeric_default", src(0, {}))
put("source_params", "numeric_null", bytes([0]) + b"null")
put("source_params", "numeric_bad_key", src(0, {"x": 1}))
put("source_params", "timing_default", src(1, {}))
put("source_params", "timing_full", src(1, {"rounds": 9, "min_rounds": 3, "budget_ms": 10.5,
                                            "bins_per_octave": 4, "bits_per_ratio": 2}))
put("source_params", "timing_bad_offsets", src(1, {"offsets": [0.1, 0.2]}))
put("source_params", "timing_min_above_rounds", src(1, {"rounds": 2, "min_rounds": 3}))
put("source_params", "sram", src(2, {"type": "sram", "device_seed": 7, "bits": 300, "cells": 1000,
                                     "temperature_c": 80.0, "temperature_drift": 0.1}))
put("source_params", "arbiter", src(2, {"type": "arbiter", "device_seed": 7, "bits": 64}))
put("source_params", "arbiter_with_cells", src(2, {"type": "arbiter", "cells": 5}))
put("source_params", "sram_bad_ber", src(2, {"bit_error_rate": 0.3}))
put("source_params", "sram_negative", src(2, {"device_seed": -1}))
put("source_params", "puf_file", src(3, {"path": "/dev/null", "bits": 8, "challenge": 3}))
put("source_params", "puf_file_no_path", src(3, {"bits": 8}))
put("source_params", "params_array", src(2, [1, 2]))

# ---- device records: hand-made malformed ones (valid ones come from gen_corpus.cpp)
base = {"hwlock_device_record": 1, "source": {"kind": "numeric", "params": {}},
        "extractor": "exact-hkdf-sha256-v1", "salt": "00" * 32, "mask": "ff" * 32, "bits": 256,
        "public_key": "11" * 32, "device_id": "0011223344556677"}


def rec(**changes):
    d = json.loads(json.dumps(base))
    for k, v in changes.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return json.dumps(d)

put("device_record", "hand_wrong_key", rec())
put("device_record", "hand_version_string", rec(hwlock_device_record="1"))
put("device_record", "hand_version_2", rec(hwlock_device_record=2))
put("device_record", "hand_extractor_number", rec(extractor=5))
put("device_record", "hand_unknown_extractor", rec(extractor="xor"))
put("device_record", "hand_salt_number", rec(salt=3))
put("device_record", "hand_mask_odd_hex", rec(mask="fff"))
put("device_record", "hand_no_source", rec(source=None))
put("device_record", "hand_bits_negative", rec(bits=-1))
put("device_record", "hand_short_public_key", rec(public_key="11"))
put("device_record", "hand_fuzzy_no_helper", rec(extractor="code-offset-rep-bch-hkdf-sha256-v1"))
put("device_record", "hand_fuzzy_bad_helper", rec(extractor="code-offset-rep-bch-hkdf-sha256-v1",
                                                  helper="48574645"))
put("device_record", "hand_array", "[1,2,3]")
put("device_record", "hand_envelopes_empty", json.dumps({"envelopes": []}))
put("device_record", "hand_envelopes_not_array", json.dumps({"envelopes": 1}))
put("device_record", "hand_envelope_bad", json.dumps({"envelopes": [{"record": base, "wrapped": 1}]}))

# ---- safetensors headers (fuzz/corpus/, which also holds copies of tests/data/malformed/): the
# limits of include/hwlock/safetensors.hpp at and just past the boundary. Each seed < 64 KiB, the
# fuzzer's -max_len.
MAX_DEPTH, MAX_NAME = 8, 32 * 1024 - 21


def put_st(name, header, data=b""):
    text = header.encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    blob = struct.pack("<Q", len(text)) + text + data
    assert len(blob) < 65536, name
    with open(os.path.join(HERE, "corpus", name), "wb") as f:
        f.write(blob)


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


# Depth: exactly at the limit (a schema error), one past it, and thousands past it.
put_st("limit_depth_at.safetensors", '{"w": {"dtype": "U8", "shape": ' + "[" * (MAX_DEPTH - 2) +
       "1" + "]" * (MAX_DEPTH - 2) + ', "data_offsets": [0, 1]}}', b"\0")
put_st("limit_depth_over.safetensors", '{"w": {"dtype": "U8", "shape": ' + "[" * (MAX_DEPTH - 1) +
       "1" + "]" * (MAX_DEPTH - 1) + ', "data_offsets": [0, 1]}}', b"\0")
put_st("limit_depth_huge.safetensors", '{"__metadata__": ' + "[" * 30000 + "]" * 30000 + "}")
# Many tensors: 1000 valid one-byte tensors, and 7000 bare keys (a count the fuzzer can grow).
put_st("limit_many_tensors.safetensors",
       json.dumps({"t%d" % i: entry("U8", [1], i, i + 1) for i in range(1000)},
                  separators=(",", ":")), b"\0" * 1000)
put_st("limit_many_keys.safetensors", "{" + ",".join('"%x":0' % i for i in range(7000)) + "}")
# Names: the longest accepted (locks and unlocks) and one byte longer.
put_st("limit_name_at.safetensors", json.dumps({"n" * MAX_NAME: entry("U8", [1], 0, 1)}), b"\0")
put_st("limit_name_over.safetensors", json.dumps({"n" * (MAX_NAME + 1): entry("U8", [1], 0, 1)}),
       b"\0")
