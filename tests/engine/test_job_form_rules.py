"""Rules the job form relies on: commands stored as typed, cron errors that name the field and its range."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jobtui import engine
from jobtui.errors import UserError


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


# --- commands -----------------------------------------------------------------

@pytest.mark.skipif(not os.access("/bin/echo", os.X_OK), reason="no /bin/echo on this machine")
def test_an_absolute_command_is_stored_as_typed(db) -> None:
    # where /bin links to /usr/bin this once came back as /usr/bin/echo
    assert engine.add_job("hello", "/bin/echo hello").command == "/bin/echo hello"
    assert engine.edit_job("hello", command="/bin/echo  'hi  there'").command == "/bin/echo  'hi  there'"
    assert engine.get_job("hello").command == "/bin/echo  'hi  there'"


def test_a_command_through_a_symlinked_folder_keeps_the_link(db, tmp_path: Path) -> None:
    executable(tmp_path / "release-7" / "run.sh")
    (tmp_path / "current").symlink_to(tmp_path / "release-7")
    typed = f"{tmp_path}/current/run.sh --fast"
    assert engine.add_job("linked", typed).command == typed


def test_a_relative_command_is_made_absolute_without_following_links(db, tmp_path: Path) -> None:
    executable(tmp_path / "release-7" / "run.sh")
    (tmp_path / "current").symlink_to(tmp_path / "release-7")
    view = engine.add_job("rel", "./current/run.sh 'a  b'", base=tmp_path)
    assert view.command == f"{tmp_path}/current/run.sh 'a  b'", "absolute, arguments as typed"


def test_a_command_must_still_be_an_executable(db, tmp_path: Path) -> None:
    plain = tmp_path / "notes.txt"
    plain.write_text("")
    with pytest.raises(UserError, match="not executable"):
        engine.add_job("plain", str(plain))
    with pytest.raises(UserError, match="no such file"):
        engine.add_job("gone", f"{tmp_path}/gone.sh")


# --- cron messages --------------------------------------------------------------

BAD_CRON = {
    "61 * * * *": "minute 61 is out of range (0-59)",
    "0 24 * * *": "hour 24 is out of range (0-23)",
    "0 0 0 * *": "day of month 0 is out of range (1-31)",
    "0 0 * 13 *": "month 13 is out of range (1-12)",
    "0 0 * * 8": "day of week 8 is out of range (0-6)",
    "0-70 * * * *": "minute 70 is out of range (0-59)",
    "0 1,2,30 * * *": "hour 30 is out of range (0-23)",
    "*/0 * * * *": "minute '*/0': a step must be at least 1",
    "0 0 * foo *": "month 'foo' is not valid",
    "-1 * * * *": "minute '-1' is not valid (negative numbers not allowed)",
}


@pytest.mark.parametrize(("expr", "reason"), list(BAD_CRON.items()), ids=list(BAD_CRON))
def test_a_cron_error_names_the_field_and_its_range(expr: str, reason: str) -> None:
    with pytest.raises(UserError) as info:
        engine.validate_cron(expr)
    assert str(info.value) == f"cron {expr!r}: {reason}"


@pytest.mark.parametrize("expr", ["0 0 * * 7", "0 0 * * sun", "0 0 * jan mon-fri", "*/70 * * * *", "0 0 L * *"])
def test_what_croniter_accepts_stays_accepted(expr: str) -> None:
    assert engine.validate_cron(expr) == expr
