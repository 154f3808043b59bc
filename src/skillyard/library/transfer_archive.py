"""The library archive format: one gzip stream of JSON lines, written and read in one pass.

Line 1 is a header (format version, skillyard version, source backend, schema migrations,
each table's columns and per-table row counts). Then one line per row, ``{"t": table,
"r": [values]}``, values in the header's column order, binary columns as base64. The last line
is a trailer with the row counts and a sha256 over every line before it, so a truncated,
corrupted or spliced archive is caught when it is read to the end — before an import commits.
Text values (JSON documents included) travel as JSON strings, so they come back byte for byte.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import io
import json
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ..errors import SkillyardError

FORMAT = "skillyard-archive"
FORMAT_VERSION = 1
_GZIP_MAGIC = b"\x1f\x8b"


class ArchiveError(SkillyardError):
    """The archive is not a skillyard archive, or is truncated, corrupted or too new."""


@dataclass(frozen=True)
class TableLayout:
    """How one table's rows are laid out in the archive."""

    columns: tuple[str, ...]
    binary: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, list[str]]:
        return {"columns": list(self.columns), "binary": list(self.binary)}


@dataclass
class Header:
    skillyard: str
    backend: str
    source: str
    created_at: str
    migrations: list[int]
    tables: dict[str, TableLayout]
    counts: dict[str, int]
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "header", "format": FORMAT, "format_version": self.format_version,
            "skillyard": self.skillyard, "backend": self.backend, "source": self.source,
            "created_at": self.created_at, "migrations": self.migrations,
            "tables": {name: layout.to_dict() for name, layout in self.tables.items()},
            "counts": self.counts, **self.extra,
        }


def _dumps(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


class ArchiveWriter:
    """Writes a header, rows, then the trailer to a binary stream (the stream is not closed)."""

    def __init__(self, stream: BinaryIO, header: Header, *, level: int = 6) -> None:
        self._gz = gzip.GzipFile(fileobj=stream, mode="wb", compresslevel=level, mtime=0)
        self._hash = hashlib.sha256()
        self._binary = {
            name: [layout.columns.index(c) for c in layout.binary]
            for name, layout in header.tables.items()
        }
        self.counts: Counter[str] = Counter()
        self._line(header.to_dict())

    def _line(self, value: Any) -> None:
        data = _dumps(value)
        self._hash.update(data)
        self._gz.write(data)

    def row(self, table: str, values: Sequence[Any]) -> None:
        out = list(values)
        for i in self._binary[table]:
            if out[i] is not None:
                out[i] = base64.b64encode(bytes(out[i])).decode("ascii")
        try:
            self._line({"t": table, "r": out})
        except TypeError as exc:  # a value JSON cannot hold, e.g. bytes in a text column
            raise ArchiveError(f"table {table}: cannot write a row ({exc})") from None
        self.counts[table] += 1

    def finish(self) -> str:
        """Write the trailer and end the gzip stream; return the records' sha256."""
        digest = self._hash.hexdigest()
        self._gz.write(_dumps({"kind": "trailer", "counts": dict(self.counts),
                               "sha256": digest}))
        self._gz.close()
        return digest


class ArchiveReader:
    """Reads an archive in one pass: ``header`` first, then ``rows()`` until the trailer,
    which is checked against everything read before it."""

    def __init__(self, stream: BinaryIO, name: str = "archive") -> None:
        self.name = name
        buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(
            stream)  # type: ignore[arg-type]
        head = buffered.peek(2)[:2]
        if not head:
            raise ArchiveError(f"{name}: empty file, not a skillyard archive")
        if head != _GZIP_MAGIC:
            raise ArchiveError(f"{name}: not a skillyard archive (not gzip-compressed)")
        self._gz = gzip.GzipFile(fileobj=buffered, mode="rb")
        self._hash = hashlib.sha256()
        self.sha256 = ""
        first = self._next_line()
        if first is None:
            raise ArchiveError(f"{name}: truncated archive (no header)")
        self.header = self._parse_header(first)
        self._binary = {
            table: [layout.columns.index(c) for c in layout.binary]
            for table, layout in self.header.tables.items()
        }

    def _next_line(self) -> bytes | None:
        try:
            line = self._gz.readline()
        except EOFError:
            raise ArchiveError(f"{self.name}: truncated archive (the compressed stream ends "
                               "early)") from None
        except (gzip.BadGzipFile, zlib.error, OSError) as exc:
            raise ArchiveError(f"{self.name}: corrupted archive ({exc})") from None
        if not line:
            return None
        if not line.endswith(b"\n"):
            raise ArchiveError(f"{self.name}: truncated archive (last line is cut off)")
        return line

    def _load(self, line: bytes) -> Any:
        try:
            return json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ArchiveError(f"{self.name}: corrupted archive (a line is not JSON: "
                               f"{exc})") from None

    def _parse_header(self, line: bytes) -> Header:
        self._hash.update(line)
        data = self._load(line)
        if not isinstance(data, dict) or data.get("kind") != "header" \
                or data.get("format") != FORMAT:
            raise ArchiveError(f"{self.name}: not a skillyard archive (no archive header)")
        version = data.get("format_version")
        if not isinstance(version, int) or version < 1:
            raise ArchiveError(f"{self.name}: bad archive format version {version!r}")
        if version > FORMAT_VERSION:
            raise ArchiveError(
                f"{self.name}: archive format {version} is newer than this skillyard reads "
                f"({FORMAT_VERSION}); upgrade skillyard")
        try:
            tables = {
                str(name): TableLayout(tuple(map(str, spec["columns"])),
                                       tuple(map(str, spec.get("binary", ()))))
                for name, spec in data["tables"].items()
            }
            for name, layout in tables.items():
                if not set(layout.binary) <= set(layout.columns):
                    raise ValueError(f"table {name}: binary columns not among its columns")
            return Header(
                skillyard=str(data["skillyard"]), backend=str(data["backend"]),
                source=str(data.get("source", "")), created_at=str(data["created_at"]),
                migrations=sorted(int(n) for n in data["migrations"]), tables=tables,
                counts={str(k): int(v) for k, v in data["counts"].items()},
                format_version=version,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ArchiveError(f"{self.name}: malformed archive header ({exc})") from None

    def rows(self) -> Iterator[tuple[str, list[Any]]]:
        """(table, values) for every row, binary columns decoded; raises ArchiveError at the
        end when the trailer is missing or does not match what was read."""
        counts: Counter[str] = Counter()
        while True:
            line = self._next_line()
            if line is None:
                raise ArchiveError(f"{self.name}: truncated archive (no trailer after "
                                   f"{sum(counts.values())} rows)")
            data = self._load(line)
            if isinstance(data, dict) and data.get("kind") == "trailer":
                self._check_trailer(data, counts)
                return
            self._hash.update(line)
            table, values = self._decode_row(data)
            counts[table] += 1
            yield table, values

    def _decode_row(self, data: Any) -> tuple[str, list[Any]]:
        if not isinstance(data, dict) or not isinstance(data.get("r"), list):
            raise ArchiveError(f"{self.name}: corrupted archive (a line is not a row)")
        table = data.get("t")
        layout = self.header.tables.get(table) if isinstance(table, str) else None
        if layout is None:
            raise ArchiveError(f"{self.name}: corrupted archive (a row of unknown table "
                               f"{table!r})")
        values = data["r"]
        if any(isinstance(v, list | dict) for v in values):
            raise ArchiveError(f"{self.name}: corrupted archive (a {table} row holds a value "
                               "that is not text, a number or null)")
        if len(values) != len(layout.columns):
            raise ArchiveError(f"{self.name}: corrupted archive (a {table} row has "
                               f"{len(values)} values, expected {len(layout.columns)})")
        for i in self._binary[table]:
            if values[i] is not None:
                try:
                    values[i] = base64.b64decode(values[i], validate=True)
                except (binascii.Error, TypeError, ValueError):
                    raise ArchiveError(f"{self.name}: corrupted archive (bad base64 in "
                                       f"{table}.{layout.columns[i]})") from None
        return table, values

    def _check_trailer(self, data: Mapping[str, Any], counts: Counter[str]) -> None:
        digest = self._hash.hexdigest()
        if data.get("sha256") != digest:
            raise ArchiveError(f"{self.name}: corrupted archive (checksum mismatch: the "
                               "records were changed)")
        seen = {k: v for k, v in counts.items() if v}
        trailer = {k: v for k, v in (data.get("counts") or {}).items() if v}
        header = {k: v for k, v in self.header.counts.items() if v}
        if not seen == trailer == header:
            raise ArchiveError(f"{self.name}: corrupted archive (row counts differ: header "
                               f"{header}, trailer {trailer}, read {seen})")
        if self._next_line() is not None:
            raise ArchiveError(f"{self.name}: corrupted archive (data after the trailer)")
        self.sha256 = digest
