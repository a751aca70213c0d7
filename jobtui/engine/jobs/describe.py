"""A job's whole definition in words, grouped as the dashboard's detail and ``jobtui job show`` show it.

One list of what a job is made of, so the two never disagree on what a job
holds; each screen adds how it stands now (next fire, last run) in its own way.
"""

from __future__ import annotations

import json

from jobtui.engine.core.records import JobView

Setting = tuple[str, str]
"""A label and its value in words (``-``: not set)."""


def definition(view: JobView) -> tuple[tuple[str, tuple[Setting, ...]], ...]:
    """Every setting of a job, in groups: what it runs, when, how, and whom it tells."""
    schedules = ", ".join(s.cron + (f" ({s.tz})" if s.tz else "") for s in view.schedules)
    return (
        ("What", (
            ("name", view.name),
            ("description", view.description or "-"),
            ("command", view.command),
            ("workdir", view.workdir or "-"),
            ("params", json.dumps(view.params, sort_keys=True, ensure_ascii=False) if view.params else "-"),
            ("domain", view.domain or "-"),
            ("loaded from", view.source or "-"),
        )),
        ("When", (
            ("enabled", "yes" if view.enabled else "no"),
            ("schedule", schedules or "-"),
            ("in words", view.schedule_text or "-"),
            ("misfire", view.misfire.value),
            ("overlap", view.overlap.value),
            ("triggers", ", ".join(view.triggers) or "-"),
            ("watch", ", ".join(view.watch) or "-"),
        )),
        ("How", (
            ("queue", view.queue),
            ("priority", str(view.priority)),
            ("timeout", f"{view.timeout:g}s" if view.timeout is not None else "-"),
            ("retries", f"{view.retries} (backoff {view.backoff:g}s)"),
            ("log level", view.log_level.name.lower()),
        )),
        ("Reports", (
            ("reports", f"{', '.join(view.report_to)} on {view.report_on.value}" if view.report_to else "-"),
            ("hook", view.hook or "-"),
        )),
    )
