"""How log lines are encoded in a chunk row: a code character per line, zlib over the lot.

A chunk holds many consecutive lines joined by newlines; each line starts with
one code character giving its level and stream (lower case stdout, upper case
stderr). Bytes are decoded (invalid UTF-8 replaced) when read, not when stored,
so ingest never touches a line in Python unless it must.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from jobtui.engine.core.records import LogLine
from jobtui.engine.core.states import Level

_LEVEL_CODES = {Level.VERBOSE: "v", Level.DEBUG: "d", Level.INFO: "i", Level.WARNING: "w", Level.ERROR: "e"}
CODE = {(level, False): code for level, code in _LEVEL_CODES.items()}
CODE.update({(level, True): code.upper() for level, code in _LEVEL_CODES.items()})
DECODE = {code: key for key, code in CODE.items()}
CODE_BYTES = {key: code.encode() for key, code in CODE.items()}
COMPRESSION = 1  # zlib level: fast, and still shrinks typical logs several times

CHUNK_LINES = 4096  # most lines one chunk row holds
CHUNK_BYTES = 256 * 1024  # most characters one chunk row holds


def level_bit(level: Level) -> int:
    """The bit a level sets in a chunk's ``levels``, so a level filter can skip whole chunks."""
    return 1 << (int(level) // 5)


def bits_at_or_above(level: Level) -> int:
    """The ``levels`` bits of every level at or above ``level``."""
    return sum(level_bit(other) for other in Level if other >= level)


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

    def packed(self) -> bytes:
        """The chunk's ``data`` as stored."""
        return zlib.compress(b"\n".join(self.lines), COMPRESSION)


def unpack(data: bytes) -> list[str]:
    """The encoded lines of a stored chunk."""
    return zlib.decompress(data).decode("utf-8", "replace").split("\n")


def decode(number: int, line: str) -> LogLine:
    """One encoded line as a record."""
    level, stderr = DECODE.get(line[:1], (Level.INFO, False))
    return LogLine(number=number, level=level, stderr=stderr, text=line[1:])
