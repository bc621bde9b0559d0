"""A strict UBJSON reader for XGBoost boosters, so a saved booster is checked before XGBoost parses it.

XGBoost's own UBJSON parser is not safe on damaged input: flipping a few bits of a saved
booster crashes the process (segmentation fault) inside ``load_model``. This reader accepts
only the subset XGBoost writes (objects and arrays with explicit ends or counts, typed numeric
arrays, the integer/float/string/bool/null markers, keys prefixed by an integer length), checks
every length against the bytes that are left, refuses duplicate keys and trailing bytes, and
returns plain Python values with typed arrays as numpy arrays (no per-element objects, so a
large booster stays cheap to check). For that subset UBJSON has one reading, so what is
checked here is what XGBoost then reads.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

_INTS = {b"i": ">i1", b"U": ">u1", b"I": ">i2", b"l": ">i4", b"L": ">i8"}
_FLOATS = {b"d": ">f4", b"D": ">f8"}
_NUMERIC = {**_INTS, **_FLOATS}
MAX_DEPTH = 64


class UBJSONError(ValueError):
    """The bytes are not UBJSON of the subset XGBoost writes."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = memoryview(data), 0

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise UBJSONError(f"needs {n} bytes at offset {self.pos}, {len(self.data) - self.pos} left")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def marker(self) -> bytes:
        return bytes(self.take(1))

    def peek(self) -> bytes:
        return bytes(self.data[self.pos : self.pos + 1])

    def integer(self, marker: bytes) -> int:
        if marker not in _INTS:
            raise UBJSONError(f"expected an integer marker at offset {self.pos - 1}, got {marker!r}")
        dtype = np.dtype(_INTS[marker])
        return int(np.frombuffer(self.take(dtype.itemsize), dtype=dtype)[0])

    def length(self) -> int:
        value = self.integer(self.marker())
        if value < 0:
            raise UBJSONError(f"negative length {value} at offset {self.pos}")
        return value

    def string(self) -> str:
        try:
            return bytes(self.take(self.length())).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UBJSONError(f"a string is not UTF-8 ({exc.reason})") from None

    def value(self, marker: bytes, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise UBJSONError(f"nesting deeper than {MAX_DEPTH}")
        if marker in _INTS:
            return self.integer(marker)
        if marker in _FLOATS:
            dtype = np.dtype(_FLOATS[marker])
            return float(np.frombuffer(self.take(dtype.itemsize), dtype=dtype)[0])
        if marker == b"S":
            return self.string()
        if marker in (b"T", b"F", b"Z"):
            return {b"T": True, b"F": False, b"Z": None}[marker]
        if marker == b"[":
            return self.array(depth)
        if marker == b"{":
            return self.object(depth)
        raise UBJSONError(f"unsupported marker {marker!r} at offset {self.pos - 1}")

    def array(self, depth: int) -> Any:
        element: bytes | None = None
        if self.peek() == b"$":
            self.take(1)
            element = self.marker()
            if element not in _NUMERIC:
                raise UBJSONError(f"typed array of {element!r} at offset {self.pos - 1}")
            if self.peek() != b"#":
                raise UBJSONError("a typed array needs a count")
        if self.peek() == b"#":
            self.take(1)
            count = self.length()
            if element is not None:
                dtype = np.dtype(_NUMERIC[element])
                return np.frombuffer(self.take(count * dtype.itemsize), dtype=dtype).astype(dtype.newbyteorder("="))
            if count > len(self.data) - self.pos:  # every element takes at least one byte
                raise UBJSONError(f"array of {count} elements in {len(self.data) - self.pos} bytes")
            return [self.value(self.marker(), depth + 1) for _ in range(count)]
        items = []
        while (marker := self.marker()) != b"]":
            items.append(self.value(marker, depth + 1))
        return items

    def object(self, depth: int) -> dict[str, Any]:
        if self.peek() in (b"$", b"#"):
            raise UBJSONError(f"optimised object at offset {self.pos} (XGBoost does not write them)")
        result: dict[str, Any] = {}
        while self.peek() != b"}":
            key = self.string()
            if key in result:
                raise UBJSONError(f"duplicate key '{key}'")
            result[key] = self.value(self.marker(), depth + 1)
        self.take(1)
        return result


def loads(data: bytes) -> Any:
    """Decode ``data`` (one UBJSON value, nothing after it).

    Raises:
        UBJSONError: anything outside the subset, a length past the end, a duplicate key.
    """
    reader = _Reader(data)
    try:
        value = reader.value(reader.marker(), 0)
    except struct.error as exc:  # pragma: no cover - take() checks lengths first
        raise UBJSONError(str(exc)) from None
    if reader.pos != len(data):
        raise UBJSONError(f"{len(data) - reader.pos} bytes after the end of the document")
    return value
