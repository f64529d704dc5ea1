"""How many records a CSV file holds, counted without the parser that loads it.

A load must never lose rows silently. DuckDB's reader, meeting a stray quote, can take
every following line as one unterminated field and reject it as a single malformed record:
480 lines become 9 rows and 1 quarantined record. So the pipeline counts the file's
records a second, independent way and refuses the load when the parser's rows plus its
rejects do not add up (see `pipeline._check_counts`).

The count here is of *physical records*: lines, except that a newline inside a legal
quoted field does not end a record. A quoted field is legal when its opening quote starts
a field (after a delimiter or at the start of a line) and its closing quote is followed by
a delimiter, a line end or the end of the file (`""` inside it is an escaped quote). A quote
that opens a field and is never legally closed is *unterminated*: it is then a plain
character, so the newlines after it end records as usual — the file's author meant lines,
and each line is one record the load must account for. Blank lines are not records (DuckDB
skips them too). The header is the first record and is not counted.

Speed: stretches without quotes are counted with `bytes.count` at memory bandwidth, and
stretches of ordinary quoted fields by one regular expression; only records with a quoted
newline or a broken quote are walked in Python, quote by quote.
"""

from __future__ import annotations

import gzip
import mmap
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

QUOTE = ord('"')
NL = ord("\n")
CR = ord("\r")


@dataclass(frozen=True)
class RecordCount:
    """Data records (header excluded) and the physical line of the first unterminated quote."""

    records: int
    first_bad_quote: int | None  # 1-based line in the file, as an editor numbers it


@contextmanager
def _bytes_of(path: Path) -> Iterator[bytes | mmap.mmap]:
    """The file's bytes, memory-mapped (a .gz is decompressed to a temporary file first)."""
    if path.name.lower().endswith(".gz"):
        with tempfile.TemporaryFile() as tmp:
            with gzip.open(path, "rb") as src:
                shutil.copyfileobj(src, tmp, 1 << 20)
            tmp.flush()
            if tmp.tell() == 0:
                yield b""
                return
            with mmap.mmap(tmp.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                yield mm
        return
    if path.stat().st_size == 0:
        yield b""
        return
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        yield mm


def _closing(buf: bytes | mmap.mmap, start: int, delim: int) -> int | None:
    """The offset of the quote that legally closes a field opened just before `start`, or None."""
    end = len(buf)
    j = start
    while True:
        k = buf.find(b'"', j)
        if k == -1:
            return None
        nxt = buf[k + 1] if k + 1 < end else None
        if nxt == QUOTE:  # an escaped quote inside the field
            j = k + 2
            continue
        if nxt is None or nxt in (delim, NL, CR):
            return k
        return None


CHUNK = 1 << 24


def _count(buf: bytes | mmap.mmap, sub: bytes, start: int, stop: int) -> int:
    """Occurrences of `sub` starting in [start, stop), by slices of 16 MiB (mmap has no count)."""
    n = 0
    for a in range(start, stop, CHUNK):
        b = min(a + CHUNK, stop)
        n += buf[a : min(b + len(sub) - 1, stop)].count(sub)
    return n


def _blank_lines(buf: bytes | mmap.mmap, start: int, stop: int) -> int:
    """Empty lines (\\n\\n, \\n\\r\\n) between start and stop: not records, as DuckDB skips them."""
    return _count(buf, b"\n\n", start, stop) + _count(buf, b"\n\r\n", start, stop)


def _simple_lines(delim: int) -> re.Pattern[bytes]:
    """Complete lines whose quotes all make legal one-line quoted fields (possessive: no backtracking)."""
    d = re.escape(bytes([delim]))
    quoted = rb'"[^"\n]*+(?:""[^"\n]*+)*+"'
    plain = rb'[^"' + d + rb"\n]*+"
    field = rb"(?>" + quoted + rb"|" + plain + rb")"
    return re.compile(rb"(?:" + field + rb"(?:" + d + field + rb")*+\r?\n)*+")


def _one_record(buf: bytes | mmap.mmap, pos: int, delim: int) -> tuple[int, bool, int | None]:
    """Scan the record starting at `pos` quote by quote: (its end, ended by a newline, first bad quote)."""
    end = len(buf)
    bad: int | None = None
    while True:
        q = buf.find(b'"', pos)
        nl = buf.find(b"\n", pos)
        if nl == -1:
            nl = end
        if q == -1 or q > nl:
            return (nl + 1, True, bad) if nl < end else (end, False, bad)
        prev = buf[q - 1] if q > 0 else NL
        if prev in (delim, NL):
            close = _closing(buf, q + 1, delim)
            if close is not None:
                pos = close + 1  # newlines inside a legal quoted field do not end the record
                continue
            if bad is None:
                bad = q
        pos = q + 1  # a literal quote: scan on from just after it


def count_records(path: Path, delimiter: str = ",") -> RecordCount:
    """Count the data records of a CSV file as described in the module docstring.

    Three speeds: a stretch of whole lines without any quote is counted with `bytes.count`; a
    stretch of lines whose quotes are all legal one-line fields is recognised by one possessive
    regular expression (no Python per field); only the other records are walked quote by quote.
    """
    delim = ord(delimiter)
    simple = _simple_lines(delim)
    with _bytes_of(path) as buf:
        end = len(buf)
        if end == 0:
            return RecordCount(0, None)
        newlines = 0  # newlines that end a record
        blanks = 0
        bad: int | None = None
        pos = 0  # always the start of a record
        while pos < end:
            lim = min(pos + CHUNK, end)
            if lim < end:
                lim = buf.rfind(b"\n", pos, lim) + 1  # whole lines only
            stop = pos
            if lim > pos:
                if buf.find(b'"', pos, lim) == -1:
                    stop = lim
                else:
                    found = simple.match(buf, pos, lim)
                    stop = found.end() if found else pos
            if stop > pos:
                newlines += _count(buf, b"\n", pos, stop)
                blanks += _blank_lines(buf, max(pos - 1, 0), stop)
                pos = stop
                continue
            pos, ended, bad_at = _one_record(buf, pos, delim)
            newlines += ended
            if bad is None and bad_at is not None:
                bad = _count(buf, b"\n", 0, bad_at) + 1
        # The last line may lack its newline; a file ending in a newline has no extra record.
        lines = newlines + (0 if buf[end - 1] == NL else 1)
        if buf[0] == NL:
            blanks += 1  # a blank first line (before the header)
        records = lines - blanks - 1  # the header
        return RecordCount(max(records, 0), bad)


def raw_records(path: Path, offsets: list[int], delimiter: str = ",") -> list[str]:
    """The whole physical record around each byte offset (for malformed rows' quarantine records).

    The parser's own copy of a rejected line is cut at its buffer size; this reads each record
    from the file: from the start of the line holding the offset to the newline that ends the
    record by the rules above, without its line ending.
    """
    delim = ord(delimiter)
    out: list[str] = []
    with _bytes_of(path) as buf:
        end = len(buf)
        for offset in offsets:
            start = buf.rfind(b"\n", 0, min(max(offset, 0), end)) + 1
            pos = start
            while True:
                q = buf.find(b'"', pos)
                nl = buf.find(b"\n", pos)
                if nl == -1:
                    nl = end
                if q == -1 or q > nl:
                    stop = nl
                    break
                prev = buf[q - 1] if q > 0 else NL
                close = _closing(buf, q + 1, delim) if prev in (delim, NL) else None
                pos = close + 1 if close is not None else q + 1
            text = bytes(buf[start:stop])
            out.append((text[:-1] if text.endswith(b"\r") else text).decode("utf-8", errors="replace"))
    return out
