"""Watch globs: which files a job's ``watch`` patterns name, and which changes are noise.

``*`` and ``?`` stay in one folder and ``**`` spans folders; ``*.tmp``, ``*.part``,
``*.swp``, ``*~`` and dotfiles (or anything under a dot folder) are ignored, so
write-then-rename fires once, for the final name.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

IGNORED_SUFFIXES = (".tmp", ".part", ".swp", "~")
_MAGIC = re.compile(r"[*?[]")


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for a path glob: ``*`` and ``?`` stay in one folder, ``**`` spans folders."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif ch == "*":
            out.append("[^/]*")
            i += 1
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1:i + 2] in ("!", "]") else i + 1)
            if end == -1:
                out.append(re.escape(ch))
                i += 1
            else:
                body = pattern[i + 1:end].replace("\\", "\\\\")
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end + 1
        else:
            out.append(re.escape(ch))
            i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True, slots=True)
class WatchSpec:
    """One watch glob of one job, resolved."""

    job: str
    glob: str
    """As the job states it."""
    pattern: str
    """Absolute."""
    root: str
    """The folder to watch: the pattern's longest prefix without wildcards."""
    recursive: bool
    regex: re.Pattern[str] = field(compare=False)

    @classmethod
    def build(cls, job: str, glob: str, base: str | None) -> WatchSpec:
        path = Path(os.path.expanduser(glob))
        if not path.is_absolute():
            path = Path(base or os.getcwd()) / path
        pattern = os.path.normpath(str(path))
        parts = Path(pattern).parts
        fixed = 0
        while fixed < len(parts) - 1 and not _MAGIC.search(parts[fixed]):
            fixed += 1
        root = str(Path(*parts[:fixed])) if fixed else os.sep
        recursive = "**" in pattern or any(_MAGIC.search(p) for p in parts[fixed:-1])
        return cls(job, glob, pattern, root, recursive, glob_regex(pattern))


def ignored(path: str, root: str) -> bool:
    """Whether a changed path is a temporary file or hidden (under ``root``)."""
    name = os.path.basename(path)
    if name.endswith(IGNORED_SUFFIXES):
        return True
    rel = os.path.relpath(path, root) if path.startswith(root) else name
    return any(part.startswith(".") for part in rel.split(os.sep) if part not in ("", os.curdir))


def utf8_name(path: str) -> bool:
    """Whether a path is UTF-8 text; a byte that is not (a Latin-1 ``é``) comes as a lone surrogate,
    which neither the database nor a script's JSON can hold."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_name(path: str) -> str:
    """A path as a log line can show it, its bytes that are not UTF-8 as ``\\xHH``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def file_state(path: str) -> tuple[float, int] | None:
    """(mtime, size) of a regular file, or None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not os.path.isfile(path):
        return None
    return (st.st_mtime, st.st_size)
