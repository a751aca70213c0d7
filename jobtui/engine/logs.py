"""Log storage: lines are written in chunks and read back in windows.

A chunk row holds many consecutive lines joined by newlines; each line starts
with one code character giving its level and stream; the whole is compressed
with zlib. This keeps ingest near the speed of a file (one insert per few
hundred kilobytes of output, not per line, and a fraction of the bytes to write)
while the log popup can still fetch any window of a million-line log by line
number. Bytes are decoded (invalid UTF-8 replaced) when read, not when stored.
"""

from __future__ import annotations

from collections.abc import Iterator
import zlib
from dataclasses import dataclass

import peewee

from jobtui.engine.records import LogLine
from jobtui.engine.states import Level
from jobtui.store import LogChunk, Run, backend, database

_LEVEL_CODES = {Level.VERBOSE: "v", Level.DEBUG: "d", Level.INFO: "i", Level.WARNING: "w", Level.ERROR: "e"}
CODE = {(level, False): code for level, code in _LEVEL_CODES.items()}
CODE.update({(level, True): code.upper() for level, code in _LEVEL_CODES.items()})
DECODE = {code: key for key, code in CODE.items()}
INFO = CODE[(Level.INFO, False)]
CODE_BYTES = {key: code.encode() for key, code in CODE.items()}
COMPRESSION = 1  # zlib level: fast, and still shrinks typical logs several times

CHUNK_LINES = 4096  # most lines one chunk row holds
CHUNK_BYTES = 256 * 1024  # most characters one chunk row holds


def level_bit(level: Level) -> int:
    """The bit a level sets in :attr:`LogChunk.levels`."""
    return 1 << (int(level) // 5)


def encode(level: Level, stderr: bool, text: str) -> str:
    """One stored line: its code, then its text."""
    return CODE[(level, stderr)] + text


@dataclass(slots=True)
class PendingChunk:
    """Lines gathered for one chunk row, not yet written."""

    seq: int
    lines: list[bytes]
    """Pieces of UTF-8, each one or more encoded lines joined by newlines."""
    count: int = 0
    """How many lines the pieces hold."""
    size: int = 0
    levels: int = 0


def insert_chunks(run_id: int, chunks: list[PendingChunk]) -> None:
    """Write gathered chunks in one statement (inside the caller's transaction)."""
    rows = [(run_id, c.seq, c.count, c.levels, zlib.compress(b"\n".join(c.lines), COMPRESSION))
            for c in chunks if c.lines]
    if not rows:
        return
    sql = backend().sql('INSERT INTO log_chunk ("run_id", "seq", "count", "levels", "data") VALUES (?, ?, ?, ?, ?)')
    # executemany on the raw cursor: several times faster than building an insert_many query.
    database.cursor().executemany(sql, rows)


def unpack(data: bytes) -> list[str]:
    """The encoded lines of a stored chunk."""
    return zlib.decompress(data).decode("utf-8", "replace").split("\n")


def _decode(number: int, line: str) -> LogLine:
    level, stderr = DECODE.get(line[:1], (Level.INFO, False))
    return LogLine(number=number, level=level, stderr=stderr, text=line[1:])


def read_lines(run_id: int, start: int = 0, count: int = 1000, *,
               min_level: Level | None = None) -> list[LogLine]:
    """A window of a run's log, by line number.

    Args:
        run_id: the run.
        start: the first line number wanted (0-based).
        count: how many line numbers the window spans.
        min_level: drop lines below this level (the window still spans ``count`` numbers).
    """
    if count <= 0:
        return []
    end = start + count
    first = (LogChunk.select(peewee.fn.MAX(LogChunk.seq))
             .where((LogChunk.run == run_id) & (LogChunk.seq <= start)))
    query = (LogChunk.select(LogChunk.seq, LogChunk.data, LogChunk.levels)
             .where((LogChunk.run == run_id) & (LogChunk.seq < end)
                    & (LogChunk.seq >= peewee.fn.COALESCE(first, 0)))
             .order_by(LogChunk.seq))
    out: list[LogLine] = []
    wanted_bits = None
    if min_level is not None:
        wanted_bits = sum(level_bit(level) for level in Level if level >= min_level)
    for seq, data, levels in query.tuples():
        if wanted_bits is not None and not (levels & wanted_bits):
            continue
        for offset, line in enumerate(unpack(data)):
            number = seq + offset
            if number < start or number >= end:
                continue
            record = _decode(number, line)
            if min_level is None or record.level >= min_level:
                out.append(record)
    return out


def iter_lines(run_id: int, start: int = 0, *, min_level: Level | None = None,
               batch: int = 64) -> Iterator[LogLine]:
    """Every stored line of a run from ``start`` on, fetched a few chunks at a time."""
    seq = start
    first = (LogChunk.select(peewee.fn.MAX(LogChunk.seq))
             .where((LogChunk.run == run_id) & (LogChunk.seq <= start)))
    lower = first.scalar() or 0
    while True:
        rows = list(LogChunk.select(LogChunk.seq, LogChunk.data)
                    .where((LogChunk.run == run_id) & (LogChunk.seq >= lower))
                    .order_by(LogChunk.seq).limit(batch).tuples())
        if not rows:
            return
        for chunk_seq, data in rows:
            for offset, line in enumerate(unpack(data)):
                number = chunk_seq + offset
                if number < seq:
                    continue
                record = _decode(number, line)
                if min_level is None or record.level >= min_level:
                    yield record
        lower = rows[-1][0] + 1


def search(run_id: int, needle: str, *, min_level: Level | None = None,
           case: bool = False, limit: int = 100_000) -> list[int]:
    """Numbers of the lines that contain ``needle`` (at or above ``min_level``)."""
    if not needle:
        return []
    wanted = needle if case else needle.lower()
    hits: list[int] = []
    for seq, data in (LogChunk.select(LogChunk.seq, LogChunk.data)
                      .where(LogChunk.run == run_id).order_by(LogChunk.seq).tuples().iterator()):
        text = "\n".join(unpack(data))
        haystack = text if case else text.lower()
        if wanted not in haystack:
            continue
        for offset, line in enumerate(haystack.split("\n")):
            if wanted in line[1:] and (min_level is None or _decode(0, line).level >= min_level):
                hits.append(seq + offset)
                if len(hits) >= limit:
                    return hits
    return hits


def line_numbers(run_id: int, min_level: Level) -> list[int]:
    """Numbers of the stored lines at or above ``min_level``, for a level-filtered view.

    Chunks holding no such line are skipped by their level bits without being read.
    """
    wanted_bits = sum(level_bit(level) for level in Level if level >= min_level)
    codes = {code for (level, _), code in CODE.items() if level >= min_level}
    numbers: list[int] = []
    for seq, levels, data in (LogChunk.select(LogChunk.seq, LogChunk.levels, LogChunk.data)
                              .where((LogChunk.run == run_id)
                                     & (LogChunk.levels.bin_and(wanted_bits) != 0))
                              .order_by(LogChunk.seq).tuples().iterator()):
        numbers.extend(seq + offset for offset, line in enumerate(unpack(data)) if line[:1] in codes)
    return numbers


def line_count(run_id: int) -> int:
    """How many lines are stored for a run (one query)."""
    row = (LogChunk.select(LogChunk.seq, LogChunk.count).where(LogChunk.run == run_id)
           .order_by(LogChunk.seq.desc()).limit(1).tuples().first())
    return 0 if row is None else row[0] + row[1]


def run_log_lines(run_id: int) -> int:
    """Lines the run's record says it has (updated with each flush)."""
    value = Run.select(Run.log_lines).where(Run.id == run_id).scalar()
    return value or 0
