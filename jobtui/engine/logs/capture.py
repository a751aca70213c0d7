"""Turning a script's raw output into stored log lines and protocol events.

The hot path of log ingest: bytes in, encoded chunks out. Output without any
protocol line (the common case for chatty scripts) is encoded a read at a time,
as bytes, without touching each line in Python (it is decoded when read back);
reads with ``::``, carriage returns or stderr lines go through the parser.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from jobtui.engine.core.states import Level
from jobtui.engine.logs import protocol
from jobtui.engine.logs.codec import (
    CHUNK_BYTES,
    CHUNK_LINES,
    CODE,
    CODE_BYTES,
    PendingChunk,
    level_bit,
)

MAX_LINE = 32 * 1024  # characters kept of one line; the rest is cut with a marker
INFO_BIT = level_bit(Level.INFO)


@dataclass(slots=True)
class Captured:
    """What the protocol lines of a run said so far."""

    result: int | None = None
    feedback: str | None = None
    progress: int | None = None
    warnings: int = 0
    last_error: str | None = None


@dataclass(slots=True)
class _Piece:
    text: bytes
    lines: int
    levels: int


def has_long_line(data: bytes, limit: int = MAX_LINE) -> bool:
    """Whether some line of ``data`` is longer than ``limit`` bytes.

    Jumps from the last newline of one window to the next, so typical output
    costs a few steps per window instead of one per line.
    """
    if len(data) <= limit:
        return False
    pos = 0
    end = len(data)
    while end - pos > limit:
        newline = data.rfind(b"\n", pos, pos + limit + 1)
        if newline < 0:
            return True
        pos = newline + 1
    return False


@dataclass
class LogCapture:
    """Splits output into lines, applies the protocol and the level threshold,
    and gathers the lines to store into chunks, keeping head and tail past the caps.

    Args:
        threshold: lines below this level are not stored.
        max_lines: lines stored per run before only the tail is kept.
        max_bytes: characters stored per run before only the tail is kept.
    """

    threshold: Level = Level.INFO
    max_lines: int = 2_000_000
    max_bytes: int = 256 * 1024 * 1024
    captured: Captured = field(default_factory=Captured)
    stored_lines: int = 0
    stored_bytes: int = 0
    dropped_lines: int = 0
    dropped_bytes: int = 0
    _partial: dict[bool, bytearray] = field(default_factory=lambda: {False: bytearray(), True: bytearray()})
    _skipping: dict[bool, bool] = field(default_factory=lambda: {False: False, True: False})
    _sealed: list[PendingChunk] = field(default_factory=list)
    _open: list[_Piece] = field(default_factory=list)
    _open_lines: int = 0
    _open_bytes: int = 0
    _tail: deque[_Piece] = field(default_factory=deque)
    _tail_lines: int = 0
    _tail_bytes: int = 0
    _head_full: bool = False

    # --- input -----------------------------------------------------------

    def feed(self, data: bytes, stderr: bool = False) -> None:
        """Take a read of raw output from one stream."""
        buffer = self._partial[stderr]
        end = data.rfind(b"\n")
        if end < 0:
            if self._skipping[stderr]:
                return  # still inside a line already cut
            buffer += data
            if len(buffer) > MAX_LINE * 4:
                self._cut_long_line(stderr)
            return
        if buffer:
            buffer += data[: end + 1]
            complete = bytes(buffer)
            buffer.clear()
        else:
            complete = data[: end + 1]
        buffer += data[end + 1 :]
        if self._skipping[stderr]:
            first = complete.find(b"\n")
            complete = complete[first + 1 :]
            self._skipping[stderr] = False
            if not complete:
                return
        self._lines(complete[:-1], stderr)

    def close(self) -> None:
        """The streams ended: take any last line that had no newline."""
        for stderr, buffer in self._partial.items():
            if buffer and not self._skipping[stderr]:
                self._lines(bytes(buffer), stderr)
            buffer.clear()

    def note(self, text: str, level: Level = Level.WARNING) -> None:
        """Store a line of jobtui's own about the run."""
        self._store((CODE[(level, False)] + "jobtui: " + text).encode(), 1, level_bit(level))

    def _cut_long_line(self, stderr: bool) -> None:
        buffer = self._partial[stderr]
        marker = f" [jobtui: line cut at {MAX_LINE} characters]".encode()
        self._lines(bytes(buffer[: MAX_LINE - len(marker)]) + marker, stderr)
        buffer.clear()
        self._skipping[stderr] = True

    def _lines(self, data: bytes, stderr: bool) -> None:
        """Take complete lines (joined by newlines, without the last one)."""
        if (not stderr and self.threshold <= Level.INFO and PREFIX_BYTES not in data
                and b"\r" not in data and not has_long_line(data)):
            # Fast path: every line is a plain Info line on stdout.
            self._store(INFO_CODE + data.replace(b"\n", b"\n" + INFO_CODE), data.count(b"\n") + 1, INFO_BIT)
            return
        out: list[str] = []
        levels = 0
        captured = self.captured
        for line in data.decode("utf-8", "replace").split("\n"):
            if "\r" in line:
                line = line.rstrip("\r").rsplit("\r", 1)[-1]  # what a terminal would show
            if len(line) > MAX_LINE:
                line = f"{line[:MAX_LINE]} [jobtui: line cut, {len(line) - MAX_LINE} characters dropped]"
            event = protocol.parse(line) if line.startswith(protocol.PREFIX) else None
            if event is None:
                level, message = Level.INFO, line
            elif isinstance(event, protocol.LogEvent):
                level, message = event.level, event.text
            else:
                self._apply(event)
                continue
            if level == Level.WARNING:
                captured.warnings += 1
            if level == Level.ERROR or (stderr and message.strip()):
                captured.last_error = message.strip() or captured.last_error
            if level < self.threshold:
                continue
            out.append(CODE[(level, stderr)] + message)
            levels |= level_bit(level)
        if out:
            self._store("\n".join(out).encode(), len(out), levels)

    def _apply(self, event: protocol.Event) -> None:
        if isinstance(event, protocol.ResultEvent):
            self.captured.result = event.code
        elif isinstance(event, protocol.FeedbackEvent):
            self.captured.feedback = event.text
        elif isinstance(event, protocol.ProgressEvent):
            self.captured.progress = event.percent

    # --- chunks ----------------------------------------------------------

    def _store(self, text: bytes, lines: int, levels: int) -> None:
        """Keep lines: in the head while it has room, then in a bounded tail."""
        if not self._head_full:
            room_lines = self.max_lines // 2 - self.stored_lines
            room_bytes = self.max_bytes // 2 - self.stored_bytes
            if lines <= room_lines and len(text) <= room_bytes:
                self._append_head(_Piece(text, lines, levels))
                return
            # The head fills up inside this piece: top it up line by line, the rest is tail.
            self._head_full = True
            head, rest = _split_lines(text, lines, room_lines, room_bytes)
            if head is not None:
                self._append_head(_Piece(head[0], head[1], levels))
            if rest is None:
                return
            text, lines = rest
        self._tail.append(_Piece(text, lines, levels))
        self._tail_lines += lines
        self._tail_bytes += len(text)
        budget_lines, budget_bytes = self.max_lines // 2, self.max_bytes // 2
        while self._tail_lines > budget_lines or self._tail_bytes > budget_bytes:
            first = self._tail[0]
            excess_lines = self._tail_lines - budget_lines
            if first.lines <= excess_lines or self._tail_bytes - len(first.text) >= budget_bytes:
                self._tail.popleft()
                self._forget(first.lines, len(first.text))
                continue
            # Drop only the oldest lines of the first piece.
            keep_lines = first.lines - max(excess_lines, 1 if self._tail_bytes > budget_bytes else 0)
            if self._tail_bytes > budget_bytes:
                keep_lines = min(keep_lines, _lines_within(first.text, first.lines,
                                                            budget_bytes - (self._tail_bytes - len(first.text))))
            if keep_lines <= 0:
                self._tail.popleft()
                self._forget(first.lines, len(first.text))
                continue
            kept = _last_lines(first.text, first.lines, keep_lines)
            self._tail[0] = _Piece(kept, keep_lines, first.levels)
            self._forget(first.lines - keep_lines, len(first.text) - len(kept))

    def _forget(self, lines: int, size: int) -> None:
        self._tail_lines -= lines
        self._tail_bytes -= size
        self.dropped_lines += lines
        self.dropped_bytes += size

    def _append_head(self, piece: _Piece) -> None:
        self._open.append(piece)
        self._open_lines += piece.lines
        self._open_bytes += len(piece.text)
        self.stored_lines += piece.lines
        self.stored_bytes += len(piece.text)
        if self._open_lines >= CHUNK_LINES or self._open_bytes >= CHUNK_BYTES:
            self._seal()

    def _seal(self) -> None:
        if not self._open:
            return
        chunk = PendingChunk(seq=self.stored_lines - self._open_lines, lines=[p.text for p in self._open],
                             count=self._open_lines, size=self._open_bytes)
        for piece in self._open:
            chunk.levels |= piece.levels
        self._sealed.append(chunk)
        self._open = []
        self._open_lines = 0
        self._open_bytes = 0

    def take(self, final: bool = False) -> list[PendingChunk]:
        """Chunks ready to write: sealed ones, plus the open one (and the tail if final)."""
        self._seal()
        if final and (self._tail or self.dropped_lines):
            if self.dropped_lines:
                marker = (CODE[(Level.WARNING, False)] + f"jobtui: {self.dropped_lines} lines "
                          f"({self.dropped_bytes} bytes) dropped to keep the log within its limits").encode()
                self._tail.appendleft(_Piece(marker, 1, level_bit(Level.WARNING)))
            for piece in self._tail:
                self._open.append(piece)
                self._open_lines += piece.lines
                self._open_bytes += len(piece.text)
                self.stored_lines += piece.lines
                self.stored_bytes += len(piece.text)
            self._tail.clear()
            self._tail_lines = self._tail_bytes = 0
            self._seal()
        chunks, self._sealed = self._sealed, []
        return chunks

    @property
    def sealed_count(self) -> int:
        """Chunks full and waiting to be written."""
        return len(self._sealed)

    @property
    def pending(self) -> bool:
        """Whether lines wait to be written."""
        return bool(self._sealed or self._open)


def _split_lines(text: bytes, lines: int, room_lines: int,
                 room_bytes: int) -> tuple[tuple[bytes, int] | None, tuple[bytes, int] | None]:
    """Split encoded lines into the first ones that fit the room and the rest."""
    take = max(0, min(lines, room_lines))
    parts = text.split(b"\n", take) if take else [text]
    size = 0
    fit = 0
    for part in parts[:take]:
        if size + len(part) + (1 if fit else 0) > room_bytes:
            break
        size += len(part) + (1 if fit else 0)
        fit += 1
    head = (b"\n".join(parts[:fit]), fit) if fit else None
    rest_parts = parts[fit:]
    rest = (b"\n".join(rest_parts), lines - fit) if lines - fit > 0 else None
    return head, rest


def _last_lines(text: bytes, lines: int, keep: int) -> bytes:
    """The last ``keep`` of the ``lines`` encoded lines of ``text``."""
    if keep >= lines:
        return text
    return text.split(b"\n", lines - keep)[-1]


def _lines_within(text: bytes, lines: int, budget: int) -> int:
    """How many of the last lines of ``text`` fit in ``budget`` bytes."""
    if budget <= 0:
        return 0
    if len(text) <= budget:
        return lines
    cut = text.find(b"\n", len(text) - budget - 1)
    return 0 if cut < 0 else text.count(b"\n", cut + 1) + 1


PREFIX_BYTES = protocol.PREFIX.encode()
INFO_CODE = CODE_BYTES[(Level.INFO, False)]
