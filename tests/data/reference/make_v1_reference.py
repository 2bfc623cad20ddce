#!/usr/bin/python3
"""Writes the version-1 reference containers of tests/container/reference_test.cpp.

An implementation of docs/FORMAT.md (version 1) independent of hwlock's C++ code (Python's
`cryptography` package: HKDF-SHA256, AES-256-CTR, HMAC-SHA256), run once; its outputs are checked
in. If today's code stops unlocking them bit for bit, a derivation label, the canonical header or
the cipher changed and every file ever written would be orphaned.

Also prints the known-answer vectors of every derivation label (pasted into the test).
Run: /usr/bin/python3 tests/data/reference/make_v1_reference.py tests/data/reference
"""
import json
import struct
import sys

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MASTER = bytes(range(32))                     # the key file's key: 00 01 .. 1f
SALT = bytes(0xA0 + i for i in range(32))     # fixed instead of random, to pin the output


def hkdf(ikm, salt, info, n=32):
    return HKDF(algorithm=hashes.SHA256(), length=n, salt=salt or None, info=info).derive(ikm)


def labelled(label, name):
    return label.encode() + b"\0" + name.encode()


def aes_ctr(key, iv, data):
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def canonical(header):
    # compact, keys in byte order, UTF-8 unescaped (docs/FORMAT.md, "safetensors layer")
    return json.dumps(header, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def write(path, header, data):
    text = canonical(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def tensors():
    """name -> (dtype, shape, bytes); laid out in name order."""
    f32 = struct.pack("<6f", 0.5, -1.25, 3.0, 1e-3, -0.0, 65504.0)
    bf16 = bytes.fromhex("803f0040c0bf00000080")  # 1, 2, -1.5, 0, -0
    i8 = bytes([0, 1, 255, 127, 128, 7, 7])
    return {"a.weight": ("F32", [2, 3], f32), "b.bias": ("BF16", [5], bf16),
            "c.idx": ("I8", [7], i8), "d.empty": ("F32", [0], b"")}


def plain(out):
    hdr, data = {"__metadata__": {"format": "pt", "note": "hwlock v1 reference"}}, b""
    for name, (dt, shape, b) in tensors().items():
        hdr[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    write(out + "/plain.safetensors", hdr, data)
    return hdr, data


def locked(out, key_check):
    hdr, data = {"__metadata__": {"format": "pt", "note": "hwlock v1 reference"}}, b""
    entries = {}
    for i, (name, (dt, shape, b)) in enumerate(tensors().items()):
        nonce = bytes([0x10 + i]) * 16
        key = hkdf(MASTER, SALT, labelled("hwlock/v1/tensor-key", name))
        c = aes_ctr(key, nonce, b) if b else b""
        hdr[name] = {"dtype": dt, "shape": shape, "data_offsets": [len(data), len(data) + len(c)]}
        data += c
        entries[name] = {"scheme": "aes-256-ctr", "nonce": nonce.hex()}
    ks = {"kind": "key-file", "params": {}}
    if key_check:
        ks["key_id"] = hkdf(MASTER, b"", b"hwlock/v1/key-id", 8).hex()
    meta = hdr["__metadata__"]
    meta.update({"hwlock.version": "1", "hwlock.kdf": "hkdf-sha256-v1", "hwlock.salt": SALT.hex(),
                 "hwlock.key_source": json.dumps(ks, separators=(",", ":"), sort_keys=True),
                 "hwlock.key_check": "hmac-sha256" if key_check else "none",
                 "hwlock.tensors": json.dumps(entries, separators=(",", ":"), sort_keys=True)})
    if key_check:
        h = hmac.HMAC(hkdf(MASTER, SALT, b"hwlock/v1/header-mac"), hashes.SHA256())
        h.update(canonical(hdr).encode())
        meta["hwlock.mac"] = h.finalize().hex()
    name = "v1_aes_keycheck" if key_check else "v1_aes_nokeycheck"
    write(out + "/" + name + ".hwlock", hdr, data)


def main():
    out = sys.argv[1]
    plain(out)
    locked(out, True)
    locked(out, False)
    with open(out + "/device.key", "w") as f:
        f.write("hwlock-key-v1 " + MASTER.hex() + "\n")
    print("tensor-key(a.weight)", hkdf(MASTER, SALT, labelled("hwlock/v1/tensor-key", "a.weight")).hex())
    print("header-mac", hkdf(MASTER, SALT, b"hwlock/v1/header-mac").hex())
    print("key-id", hkdf(MASTER, b"", b"hwlock/v1/key-id", 8).hex())
    print("group-key(fc1)", hkdf(MASTER, SALT, labelled("hwlock/v2/group-key", "fc1")).hex())


main()
