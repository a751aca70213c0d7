"""Start-up: ``jobtui run JOB`` as a whole process, against ``python -c pass``."""

from __future__ import annotations

import compileall
import os
import shutil
import subprocess
import sys
import tempfile
import time

from bench.common import interleave, table

ROUNDS = int(os.environ.get("BENCH_CLI_ROUNDS", "20"))


def _timed_process(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    from jobtui.config import load_settings
    from jobtui.engine import add_job, open_store
    from jobtui.store import database

    # An installed package has its bytecode compiled (pip does it); an editable
    # checkout run with PYTHONDONTWRITEBYTECODE would recompile on every start.
    import jobtui

    compileall.compile_dir(os.path.dirname(jobtui.__file__), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        open_store(load_settings(db=url))
        add_job("true", "/bin/true")
        database.close()
        env = {**os.environ, "JOBTUI_DB": url}
        exe = shutil.which("jobtui", path=os.path.dirname(sys.executable)) or shutil.which("jobtui")
        jobtui = [exe] if exe else [sys.executable, "-m", "jobtui"]
        series = interleave({
            "python -c pass": lambda: _timed_process([sys.executable, "-c", "pass"], env),
            "jobtui run true": lambda: _timed_process([*jobtui, "run", "true"], env),
        }, ROUNDS)
    rows = [[s.name, s.median * 1000, f"{min(s.values) * 1000:.0f}–{max(s.values) * 1000:.0f}"]
            for s in series.values()]
    print(table(f"CLI start-up, {ROUNDS} interleaved rounds (medians)", ["command", "ms", "min–max ms"], rows))


if __name__ == "__main__":
    main()
