"""Reads little-endian doubles; prints, per value, Python repr and pydantic-core to_json."""
import sys
from array import array

from pydantic_core import to_json

a = array("d")
with open(sys.argv[1], "rb") as f:
    a.frombytes(f.read())
if sys.byteorder != "little":
    a.byteswap()
out = sys.stdout
CH = 200_000
for i in range(0, len(a), CH):
    chunk = a[i:i + CH].tolist()
    js = to_json(chunk).decode()[1:-1].split(",")
    out.write("".join(f"{repr(x)}\n{j}\n" for x, j in zip(chunk, js)))
