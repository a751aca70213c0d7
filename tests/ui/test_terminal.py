"""What the terminal draws, replayed from the dashboard's real output (pty + pyte)."""

from __future__ import annotations

from typing import Any

import pytest

from jobtui.config import Settings
from tests.support.terminal import replay_dashboard


def _drawn(settings: Settings, **env: str):
    return replay_dashboard(["--db", settings.db, "--no-agent"], env=env,
                            until=lambda text: "backup-db" in text)


def _hidden(replay) -> list[str]:
    """Glyphs drawn in their own background colour (default on default is the terminal's own pair)."""
    return [f"{g.text}@{g.x},{g.y} ({g.fg} on {g.bg})" for g in replay.glyphs()
            if g.fg == g.bg and g.fg != "default"]


@pytest.mark.parametrize("no_color", [True, False], ids=["NO_COLOR", "colour"])
def test_every_glyph_is_drawn_in_a_colour_apart_from_its_background(db: Settings, seeded: dict[str, Any],
                                                                    no_color: bool) -> None:
    replay = _drawn(db, **({"NO_COLOR": "1"} if no_color else {}))
    assert "1 Jobs" in replay.text
    assert _hidden(replay) == []


def test_no_color_sends_no_colour_at_all(db: Settings, seeded: dict[str, Any]) -> None:
    """NO_COLOR (no-color.org): the terminal's own colours, with bold, dim and reverse to tell states apart."""
    replay = _drawn(db, NO_COLOR="1")
    assert {(g.fg, g.bg) for g in replay.glyphs()} == {("default", "default")}
    assert any(g.reverse for g in replay.glyphs()), "the cursor row must still stand out"
