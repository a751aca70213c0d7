"""Rendering: inert text, tables that fit 80 columns, JSON."""

from __future__ import annotations

from jobtui.cli.output import table


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
