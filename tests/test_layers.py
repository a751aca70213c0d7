"""The layers of docs/architecture.md hold: headless paths never load Textual."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    ["jobtui.engine", "jobtui.engine.agent.agent", "jobtui.cli.agent", "jobtui.script", "jobtui.cli"],
)
def test_headless_modules_never_import_textual(module: str) -> None:
    code = f"import sys, {module}; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", f"{module} pulled in textual"


def test_script_helper_is_stdlib_only() -> None:
    code = (
        "import sys; before = set(sys.modules); import jobtui.script; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(sorted(new - set(sys.stdlib_module_names) - {'jobtui'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ui_never_touches_the_store() -> None:
    """The dashboard reads and writes through the engine only (no peewee, no SQL, no processes)."""
    from pathlib import Path

    ui = Path(__file__).resolve().parent.parent / "jobtui" / "ui"
    offenders = []
    for path in ui.rglob("*.py"):
        text = path.read_text()
        for banned in ("import peewee", "from peewee", "jobtui.store", "import subprocess", "execute_sql"):
            if banned in text:
                offenders.append(f"{path.name}: {banned}")
    assert offenders == []
