"""Rendering: inert text, tables that fit 80 columns, JSON."""

from __future__ import annotations

import pytest

from jobtui.cli.output import duration, sanitize, table


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("tab\tstays", "tab\tstays"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("bell\x07 nul\x00 cr\r lf\n", "bell\\x07 nul\\x00 cr\\x0d lf\\x0a"),
        ("del\x7f", "del\\x7f"),
        ("c1 csi\x9b2J nel\x85", "c1 csi\\x9b2J nel\\x85"),
        ("bidi \u202eevil", "bidi \\u202eevil"),
        ("bytes \udcff\udc80", "bytes \\xff\\x80"),
        ("accents é ü 漢字 ✓", "accents é ü 漢字 ✓"),
    ],
)
def test_sanitize(raw: str, shown: str) -> None:
    assert sanitize(raw) == shown


def test_sanitize_none_and_numbers() -> None:
    assert sanitize(None) == ""
    assert sanitize(12) == "12"


def test_table_fits_80_columns_and_truncates_flexible_cells() -> None:
    rows = [(1, "job", "x" * 200), (22, "other", "short")]
    text = table(("ID", "JOB", "COMMAND"), rows, flex=(2,), right=(0,), max_width=80)
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert lines[1].endswith("…")
    assert lines[1].startswith(" 1  job")
    assert lines[2].rstrip().endswith("short")


def test_table_cells_are_inert_and_single_line() -> None:
    text = table(("A", "B"), [("multi\nline", "\x1b[2Jx\ty")], max_width=80)
    assert "\x1b" not in text and "\t" not in text
    assert len(text.splitlines()) == 2


def test_duration() -> None:
    assert [duration(v) for v in (None, 0.25, 12.34, 245, 7380)] == ["-", "250ms", "12.3s", "4m05s", "2h03m"]
