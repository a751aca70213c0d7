"""Log capture: lines from raw reads, caps with head and tail, cut lines, decoding.

The capture is driven directly (no process), and what it hands over is written
with the store's own writer and read back with ``engine.iter_lines``, so the
tests see the stored lines, whatever the chunk format.
"""

from __future__ import annotations

import pytest

from jobtui import engine
from jobtui.engine.core.states import Level
from jobtui.engine.logs.capture import MAX_LINE, LogCapture
from jobtui.engine.logs.codec import PendingChunk
from jobtui.engine.logs.store import insert_chunks
from jobtui.store import database

I, W, E = Level.INFO, Level.WARNING, Level.ERROR

@pytest.fixture(autouse=True)
def _store(db) -> None:
    engine.add_job("capture", "true")


def stored(chunks: list[PendingChunk]) -> list[tuple[Level, bool, str]]:
    """Write chunks as the agent does, read them back as the log popup does."""
    run_id = engine.enqueue("capture").id
    seq = 0
    for chunk in chunks:
        assert chunk.seq == seq, "chunks must number their lines without gaps"
        seq += chunk.count
    with database.atomic():
        insert_chunks(run_id, chunks)
    lines = list(engine.iter_lines(run_id))
    assert [line.number for line in lines] == list(range(len(lines)))
    assert engine.line_count(run_id) == len(lines) == seq
    return [(line.level, line.stderr, line.text) for line in lines]


def run(feeds: list[bytes | tuple[bytes, bool]], **kwargs) -> tuple[LogCapture, list[tuple[Level, bool, str]]]:
    capture = LogCapture(**kwargs)
    chunks: list[PendingChunk] = []
    for item in feeds:
        data, stderr = item if isinstance(item, tuple) else (item, False)
        capture.feed(data, stderr)
        chunks += capture.take()
    capture.close()
    chunks += capture.take(final=True)
    return capture, stored(chunks)


def texts(lines: list[tuple[Level, bool, str]]) -> list[str]:
    return [text for _, _, text in lines]


def test_lines_split_across_reads_are_joined() -> None:
    _, lines = run([b"hel", b"lo\nwor", b"ld\n", b"last without newline"])
    assert texts(lines) == ["hello", "world", "last without newline"]


def test_crlf_line_endings_are_stripped() -> None:
    _, lines = run([b"one\r\ntwo\r\n", b"three\r", b"\nfour\r\n"])
    assert texts(lines) == ["one", "two", "three", "four"]


def test_a_crlf_line_in_the_middle_of_a_read() -> None:
    _, lines = run([b"one\r\ntwo\n"])
    assert texts(lines) == ["one", "two"]


def test_invalid_utf8_is_replaced() -> None:
    _, lines = run([b"ok \xff\xfe bad\n", b"caf\xc3", b"\xa9\n"])  # a character split across two reads
    assert texts(lines) == ["ok \ufffd\ufffd bad", "caf\u00e9"]


def test_stderr_lines_keep_their_mark_and_count_as_last_error() -> None:
    capture, lines = run([(b"to stderr\n", True), b"to stdout\n", (b"::warning::careful\n", True)])
    assert lines == [(I, True, "to stderr"), (I, False, "to stdout"), (W, True, "careful")]
    assert capture.captured.last_error == "careful"
    assert capture.captured.warnings == 1


def test_protocol_lines_set_the_captured_state_and_are_not_stored() -> None:
    capture, lines = run([b"::progress::10\n::feedback::why\n::result::2\n::error::bad thing\nplain\n"])
    assert lines == [(E, False, "bad thing"), (I, False, "plain")]
    assert (capture.captured.result, capture.captured.feedback, capture.captured.progress) == (2, "why", 10)
    assert capture.captured.last_error == "bad thing"


def test_the_threshold_drops_lower_lines_but_still_counts_warnings() -> None:
    capture, lines = run([b"::debug::d\n::info::i\n::warning::w\nplain\n"], threshold=Level.ERROR)
    assert lines == []
    assert capture.captured.warnings == 1


def test_a_long_line_in_one_read_is_cut_with_a_marker() -> None:
    long = b"y" * (MAX_LINE + 500)
    _, lines = run([long + b"\nnext\n"])
    assert len(lines) == 2
    first = lines[0][2]
    assert first.startswith("y" * 1000)
    assert "line cut" in first and "500 characters dropped" in first
    assert len(first) < MAX_LINE + 100
    assert lines[1][2] == "next"


def test_a_huge_line_over_many_reads_is_cut_and_the_next_line_kept() -> None:
    piece = b"x" * (64 * 1024)
    _, lines = run([piece] * 16 + [b"x" * 10 + b"\nafter\n"])  # a 1 MiB line, read 64 KiB at a time
    assert len(lines) == 2
    assert lines[0][2].startswith("x" * 1000) and "line cut" in lines[0][2]
    assert len(lines[0][2]) <= MAX_LINE + 100
    assert lines[1][2] == "after"


def test_a_huge_line_without_a_newline_at_the_end() -> None:
    _, lines = run([b"z" * (MAX_LINE * 5)])
    assert len(lines) == 1 and "line cut" in lines[0][2]


def _numbered(count: int, start: int = 0) -> bytes:
    return "".join(f"line {i}\n" for i in range(start, start + count)).encode()


def _check_head_and_tail(lines: list[tuple[Level, bool, str]], total: int, max_lines: int) -> None:
    body = texts(lines)
    markers = [t for t in body if "dropped" in t]
    assert len(markers) == 1, body
    cut = body.index(markers[0])
    head, tail = body[:cut], body[cut + 1:]
    assert head and tail, "both the first and the last lines are kept"
    assert head == [f"line {i}" for i in range(len(head))]
    assert tail == [f"line {i}" for i in range(total - len(tail), total)]
    assert len(head) + len(tail) <= max_lines
    dropped = total - len(head) - len(tail)
    assert markers[0].startswith(f"jobtui: {dropped} lines")


def test_line_cap_keeps_head_and_tail_with_a_marker_line_by_line() -> None:
    _, lines = run([_numbered(1, i) for i in range(100)], max_lines=10)
    _check_head_and_tail(lines, 100, 10)
    assert len(lines) == 11


def test_line_cap_keeps_head_and_tail_when_reads_hold_many_lines() -> None:
    """A chatty script delivers thousands of lines per read: the cap must still keep head and tail."""
    _, lines = run([_numbered(1000, 0), _numbered(1000, 1000)], max_lines=100)
    _check_head_and_tail(lines, 2000, 100)


def test_lines_within_the_cap_are_all_kept_in_order_whatever_the_read_sizes() -> None:
    feeds = [_numbered(4, 0), _numbered(3, 4), _numbered(1, 7), _numbered(1, 8), _numbered(1, 9)]
    _, lines = run(feeds, max_lines=10)
    assert texts(lines) == [f"line {i}" for i in range(10)]


def test_line_cap_keeps_a_contiguous_head_when_read_sizes_vary() -> None:
    feeds = [_numbered(4, 0), _numbered(3, 4), _numbered(1, 7)] + [_numbered(1, i) for i in range(8, 20)]
    _, lines = run(feeds, max_lines=10)
    numbers = [int(t.split()[1]) for t in texts(lines) if t.startswith("line ")]
    assert numbers == sorted(numbers), f"stored out of order: {numbers}"
    _check_head_and_tail(lines, 20, 10)


def test_byte_cap_keeps_head_and_tail() -> None:
    _, lines = run([_numbered(1, i) for i in range(1000)], max_bytes=2000)
    _check_head_and_tail(lines, 1000, 1000)
    assert sum(len(t) for t in texts(lines)) < 3000


def test_no_marker_below_the_caps() -> None:
    _, lines = run([_numbered(50)], max_lines=100)
    assert texts(lines) == [f"line {i}" for i in range(50)]


@pytest.mark.parametrize("count", [1, 4095, 4096, 4097, 20_000])
def test_many_lines_are_chunked_and_numbered_without_gaps(count: int) -> None:
    capture = LogCapture()
    capture.feed(_numbered(count))
    capture.close()
    chunks = capture.take(final=True)
    assert texts(stored(chunks)) == [f"line {i}" for i in range(count)]
    assert len(chunks) <= count // 1000 + 2
    assert capture.stored_lines == count


def test_a_note_is_a_jobtui_line() -> None:
    capture = LogCapture()
    capture.feed(b"before\n")
    capture.note("something happened")
    capture.close()
    assert stored(capture.take(final=True)) == [(I, False, "before"), (W, False, "jobtui: something happened")]
