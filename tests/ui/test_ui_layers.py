"""The dashboard stays a thin layer: no storage, no SQL, no processes; Textual loads only when needed."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "jobtui" / "ui"
FORBIDDEN = ("peewee", "playhouse", "jobtui.store", "subprocess", "sqlite3", "psycopg")


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_ui_never_touches_storage_sql_or_processes() -> None:
    files = sorted(UI.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for name in imports(path):
            assert not any(name == f or name.startswith(f + ".") for f in FORBIDDEN), f"{path.name} imports {name}"
        text = path.read_text()
        for word in ("execute_sql", "SELECT ", "INSERT ", "UPDATE ", "DELETE FROM", "os.system", "Popen"):
            assert word not in text, f"{path.name} contains {word!r}"


def test_ui_uses_only_the_public_engine_surface() -> None:
    """``jobtui.engine`` and what its ``__all__`` lists; never an engine submodule."""
    import jobtui.engine

    for path in sorted(UI.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "engine":
                assert node.attr in (*jobtui.engine.__all__, "cleanup"), f"{path.name} calls engine.{node.attr}"
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
                if node.module == "jobtui.engine":
                    for alias in node.names:
                        assert alias.name in jobtui.engine.__all__, f"{path.name} imports engine.{alias.name}"
            else:
                continue
            for name in names:
                assert not name.startswith("jobtui.engine."), f"{path.name} imports {name}"


def test_importing_the_ui_package_does_not_load_textual() -> None:
    code = "import sys, jobtui.ui; assert 'textual' not in sys.modules, 'textual loaded'"
    subprocess.run([sys.executable, "-c", code], check=True)
