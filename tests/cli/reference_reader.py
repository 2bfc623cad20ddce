#!/usr/bin/python3
"""An independent safetensors reader written from the format description (not hwlock's code):
prints one line per tensor, "name dtype shape nbytes", sorted by name. Exit 1 on a malformed file."""
import json
import struct
import sys

SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1, "I16": 2, "U16": 2,
         "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}

with open(sys.argv[1], "rb") as f:
    data = f.read()
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + n].decode("utf-8"))
buffer_len = len(data) - 8 - n
header.pop("__metadata__", None)
end = 0
for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
    b, e = info["data_offsets"]
    count = 1
    for d in info["shape"]:
        count *= d
    if b != end or e - b != count * SIZES[info["dtype"]]:
        sys.exit(f"bad offsets for {name}")
    end = e
if end != buffer_len:
    sys.exit("buffer not covered")
for name in sorted(header):
    info = header[name]
    b, e = info["data_offsets"]
    print(name, info["dtype"], info["shape"], e - b)
