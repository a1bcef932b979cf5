"""Reading an import file: CSV (a header of the API's field names) or NDJSON, row by row.

Both are read line by line from a binary stream, so memory stays flat whatever the size, and
every row knows its line number (for the reject file) and how many bytes were read so far
(for the progress bar). Empty CSV cells mean "not given"; a CSV ``items`` cell holds the
JSON list the API takes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import msgspec

_JSON_CELLS = ("items",)


@dataclass(frozen=True, slots=True)
class Raw:
    """One row as read: its first line number, its fields, or why it could not be read."""

    line: int
    fields: dict[str, Any] | None
    error: str | None
    bytes_read: int


def sniff(first_line: bytes) -> str:
    """``ndjson`` when the first line is a JSON object, else ``csv``."""
    return "ndjson" if first_line.lstrip().startswith(b"{") else "csv"


class _Lines:
    """The decoded lines of a binary stream, counting the bytes consumed."""

    def __init__(self, stream: IO[bytes], first: bytes) -> None:
        self.stream, self.pending, self.bytes_read = stream, first, 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self.pending if self.pending else self.stream.readline()
        self.pending = b""
        if not raw:
            raise StopIteration
        self.bytes_read += len(raw)
        return raw.decode("utf-8-sig" if self.bytes_read == len(raw) else "utf-8")


def read(stream: IO[bytes]) -> Iterator[Raw]:
    """Every row of the stream, in order (CSV or NDJSON, sniffed from the first line)."""
    first = stream.readline()
    lines = _Lines(stream, first)
    if sniff(first) == "ndjson":
        yield from _ndjson(lines)
    else:
        yield from _csv(lines)


def _ndjson(lines: _Lines) -> Iterator[Raw]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            value = msgspec.json.decode(text)
        except msgspec.DecodeError as exc:
            yield Raw(number, None, f"invalid JSON: {exc}", lines.bytes_read)
            continue
        if not isinstance(value, dict):
            yield Raw(number, None, "each line must be a JSON object", lines.bytes_read)
            continue
        yield Raw(number, value, None, lines.bytes_read)


def _csv(lines: _Lines) -> Iterator[Raw]:
    reader = csv.DictReader(lines, strict=True)
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Raw(start, None, f"invalid CSV: {exc}", lines.bytes_read)
            continue
        yield _cells(start, record, lines.bytes_read)


def _cells(line: int, record: dict[str | None, Any], bytes_read: int) -> Raw:
    if None in record:
        return Raw(line, None, "more cells than the header names", bytes_read)
    fields: dict[str, Any] = {}
    for key, value in record.items():
        if value is None:
            return Raw(line, None, "fewer cells than the header names", bytes_read)
        if key is None or value == "":
            continue
        if key in _JSON_CELLS:
            try:
                value = msgspec.json.decode(value)
            except msgspec.DecodeError as exc:
                return Raw(line, None, f"{key}: invalid JSON: {exc}", bytes_read)
        fields[key] = value
    return Raw(line, fields, None, bytes_read)
