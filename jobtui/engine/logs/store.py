"""Log storage: lines are written in chunks and read back in windows.

One insert per few hundred kilobytes of output, not per line, and a fraction of
the bytes to write (see :mod:`jobtui.engine.logs.codec`), while the log popup
can still fetch any window of a million-line log by line number.
"""

from __future__ import annotations

from collections.abc import Iterator

import peewee

from jobtui.engine.core.records import LogLine
from jobtui.engine.core.states import Level
from jobtui.engine.logs.codec import (
    CODE,
    PendingChunk,
    bits_at_or_above,
    decode,
    unpack,
)
from jobtui.store import LogChunk, backend, database


def insert_chunks(run_id: int, chunks: list[PendingChunk]) -> None:
    """Write gathered chunks in one statement (inside the caller's transaction)."""
    rows = [(run_id, c.seq, c.count, c.levels, c.packed()) for c in chunks if c.lines]
    if not rows:
        return
    sql = backend().sql('INSERT INTO log_chunk ("run_id", "seq", "count", "levels", "data") VALUES (?, ?, ?, ?, ?)')
    # executemany on the raw cursor: several times faster than building an insert_many query.
    database.cursor().executemany(sql, rows)


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
    wanted_bits = None if min_level is None else bits_at_or_above(min_level)
    for seq, data, levels in query.tuples():
        if wanted_bits is not None and not (levels & wanted_bits):
            continue
        for offset, line in enumerate(unpack(data)):
            number = seq + offset
            if number < start or number >= end:
                continue
            record = decode(number, line)
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
                record = decode(number, line)
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
            if wanted in line[1:] and (min_level is None or decode(0, line).level >= min_level):
                hits.append(seq + offset)
                if len(hits) >= limit:
                    return hits
    return hits


def line_numbers(run_id: int, min_level: Level) -> list[int]:
    """Numbers of the stored lines at or above ``min_level``, for a level-filtered view.

    Chunks holding no such line are skipped by their level bits without being read.
    """
    wanted_bits = bits_at_or_above(min_level)
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
