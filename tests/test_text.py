"""The one inert-text policy and the one way durations and ages read, for every surface."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobtui.text import Tabs, age, duration, inert, one_line, until


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("bell\x07 nul\x00 cr\r lf\n", "bell\\x07 nul\\x00 cr\\x0d lf\\x0a"),
        ("del\x7f", "del\\x7f"),
        ("c1 csi\x9b2J nel\x85", "c1 csi\\x9b2J nel\\x85"),
        ("bidi \u202eevil \u2066iso\u2069 \u061c", "bidi \\u202eevil \\u2066iso\\u2069 \\u061c"),
        ("zero\u200bwidth \u200dj \u2060w", "zero\\u200bwidth \\u200dj \\u2060w"),
        ("line\u2028sep para\u2029sep", "line\\u2028sep para\\u2029sep"),
        ("\ufeffbom", "\\ufeffbom"),
        ("bytes \udcff\udc80 lone \ud800", "bytes \\xff\\x80 lone \\ud800"),
        ("accents é ü 漢字 ✓ nbsp\xa0", "accents é ü 漢字 ✓ nbsp\xa0"),
    ],
)
def test_inert_escapes_what_could_move_restyle_or_reorder(raw: str, shown: str) -> None:
    assert inert(raw) == shown


def test_inert_none_numbers_and_tabs() -> None:
    assert inert(None) == ""
    assert inert(12) == "12"
    assert inert("a\tb") == "a b"
    assert inert("a\tb", tabs=Tabs.KEEP) == "a\tb"
    assert inert("a\tb", tabs=Tabs.EXPAND) == "a       b"
    assert inert("\x1b\tx", tabs=Tabs.KEEP) == "\\x1b\tx"


def test_one_line_folds_breaks() -> None:
    assert one_line("first\nsecond\r\n\tthird ") == "first second   third"
    assert one_line("\x1b[2J") == "\\x1b[2J"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(None, ""), (0.25, "250ms"), (4.2, "4.2s"), (12.34, "12s"), (59.6, "1m00s"), (245, "4m05s"), (7380, "2h03m"),
     (200_000, "2d07h"), (-3, "0ms")],
)
def test_duration(seconds: float | None, words: str) -> None:
    assert duration(seconds) == words


def test_age_and_until() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert age(None, now) == ""
    assert [age(now - timedelta(seconds=s), now) for s in (12, 245, 7380, 200_000)] == [
        "12s ago", "4m ago", "2h ago", "2d ago"]
    assert until(now + timedelta(seconds=40), now) == "in 40s"
    assert until(now - timedelta(seconds=1), now) == "due"
    assert until(None, now) == ""
