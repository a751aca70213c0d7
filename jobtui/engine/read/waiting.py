"""Waiting for a run to end, followed through the retries its job queues after a failure."""

from __future__ import annotations

import time
from collections.abc import Callable

from jobtui.engine.core.records import RunView
from jobtui.engine.core.states import SUCCESSFUL, TERMINAL
from jobtui.engine.read.listings import get_run, runs_page

POLL = 0.2  # seconds between two looks at a run that is waited for
RETRY_SCAN = 50  # newest runs of a job searched for the retry of a failed run


def retry_of(run: RunView) -> RunView | None:
    """The automatic retry the agent queued for a failed run, if any (it is queued with the failure)."""
    for candidate in runs_page(job=run.job, limit=RETRY_SCAN).rows:
        if candidate.retry_of == run.id:
            return candidate
    return None


def wait_for_end(run_id: int, *, on_retry: Callable[[RunView, RunView], object] = lambda _old, _new: None,
                 poll: float = POLL) -> RunView:
    """Block until a run has finished; a failure its job retries is followed to its last attempt.

    Args:
        run_id: the run.
        on_retry: called with the failed run and its retry each time one is followed.
        poll: seconds between two looks.

    Returns:
        The last attempt as it ended.
    """
    while True:
        run = get_run(run_id)
        if run.status not in TERMINAL:
            time.sleep(poll)
            continue
        again = None if run.status in SUCCESSFUL else retry_of(run)
        if again is None:
            return run
        on_retry(run, again)
        run_id = again.id
