"""The dashboard as a terminal sees it: a real process on a pty, its bytes replayed in pyte.

A snapshot compares Textual's idea of the screen with itself; this reads what the
terminal would draw, so a colour that hides text (or an escape that slips through)
shows up as it would for an operator.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pyte

from tests.support import ROOT

SETTLE = 0.5
"""Seconds of output still read once the expected text shows: the rest of that frame."""


@dataclass(frozen=True)
class Glyph:
    """One visible character and the colours the terminal draws it in."""

    x: int
    y: int
    text: str
    fg: str
    bg: str
    reverse: bool


@dataclass
class Replay:
    """What reached the terminal: the bytes, and the screen they draw."""

    raw: bytes
    screen: pyte.Screen

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    def glyphs(self) -> list[Glyph]:
        out = []
        for y in range(self.screen.lines):
            for x, char in sorted(self.screen.buffer[y].items()):
                if char.data.strip():
                    out.append(Glyph(x, y, char.data, char.fg, char.bg, char.reverse))
        return out


def replay_dashboard(args: list[str], *, size: tuple[int, int] = (80, 24), env: Mapping[str, str] = {},
                     until: Callable[[str], bool], deadline: float = 30.0) -> Replay:
    """Run ``python -m jobtui ARGS`` on a pty until ``until(screen text)`` holds.

    The process is stopped afterwards (``q``, then SIGKILL if it lingers).
    """
    cols, rows = size
    child_env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows), **env}
    for name in ("NO_COLOR", "TEXTUAL_ANIMATIONS"):
        if name not in env:
            child_env.pop(name, None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the dashboard
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "jobtui", *args], child_env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    screen = pyte.Screen(cols, rows)
    stream = pyte.ByteStream(screen)
    raw = bytearray()
    try:
        _read_until(fd, stream, raw, lambda: until("\n".join(screen.display)), deadline)
    finally:
        _stop(pid, fd)
    return Replay(bytes(raw), screen)


def _read_until(fd: int, stream: pyte.ByteStream, raw: bytearray, done: Callable[[], bool],
                deadline: float) -> None:
    """Feed output until ``done()``, then a little longer for the rest of that frame.

    Not "until quiet": spinners of running rows redraw a few times a second.
    """
    give_up = time.monotonic() + deadline
    settle_at: float | None = None
    while time.monotonic() < (give_up if settle_at is None else settle_at):
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the child closed the pty
                break
            raw += data
            stream.feed(data)
        if settle_at is None and done():
            settle_at = time.monotonic() + SETTLE
    if settle_at is None:
        raise AssertionError("the dashboard did not reach the expected screen:\n" + "\n".join(stream.listener.display))


def _stop(pid: int, fd: int) -> None:
    try:
        os.write(fd, b"q")
        for _ in range(100):
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (OSError, ChildProcessError):
        pass
    finally:
        os.close(fd)
