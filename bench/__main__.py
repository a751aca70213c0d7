"""Run the benchmarks: ``python -m bench`` (all) or ``python -m bench agent logs``."""

from __future__ import annotations

import importlib
import sys

BENCHES = {
    "agent": "bench.bench_agent",
    "logs": "bench.bench_logs",
    "cli": "bench.bench_cli",
    "scheduler": "bench.bench_scheduler",
    "ui": "bench.bench_ui",
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"bench: unknown benchmark {unknown[0]!r} (choose from {', '.join(BENCHES)})", file=sys.stderr)
        return 2
    for name in names:
        try:
            module = importlib.import_module(BENCHES[name])
        except ModuleNotFoundError as exc:
            print(f"[{name}] not available: {exc}\n")
            continue
        module.main()
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
