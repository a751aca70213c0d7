"""The auto-cleanup popup: how long finished runs of each state are kept.

Errors name a field as its label reads ("timed out: keep at most 'abc': ..."):
the engine's rules read the fields, here and when the policies are stored.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from jobtui import engine
from jobtui.engine import TERMINAL, CleanupPolicy, CleanupReport, RunState
from jobtui.errors import UserError
from jobtui.ui.dialogs.confirm import ConfirmScreen
from jobtui.ui.workers import Done, Failed, call_engine

STATES = tuple(state for state in RunState if state in TERMINAL)
"""The finished states, each with a policy of its own."""


def policy_text(policy: CleanupPolicy) -> str | None:
    """What a policy deletes, in words (``failed: older than 14 days or beyond the newest 500``);
    None when it keeps every run."""
    limits = []
    if policy.max_age_days is not None:
        limits.append(f"older than {policy.max_age_days:g} day{'' if policy.max_age_days == 1 else 's'}")
    if policy.max_count is not None:
        limits.append(f"beyond the newest {policy.max_count}")
    return f"{policy.state.label}: {' or '.join(limits)}" if limits else None


def every_text(seconds: float) -> str:
    """``every 5 minutes``, ``every 90 seconds``."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return "every minute" if minutes == 1 else f"every {minutes} minutes"
    return f"every {seconds:g} seconds"


class CleanupScreen(ModalScreen[bool]):
    """Edit the cleanup policy of each finished state; dismisses True once saved."""

    DEFAULT_CSS = """
    CleanupScreen { align: center middle; }
    CleanupScreen > Vertical {
        width: 64; max-width: 100%; height: auto;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    CleanupScreen #cleanup-title { text-style: bold; }
    CleanupScreen #cleanup-help { color: $foreground-muted; }
    CleanupScreen #cleanup-when { color: $foreground-muted; margin-bottom: 1; }
    CleanupScreen .row { height: 1; }
    CleanupScreen .row > Label { width: 12; }
    CleanupScreen .row > Input { width: 1fr; margin-right: 2; }
    CleanupScreen .head > Label { width: 1fr; color: $foreground-muted; }
    CleanupScreen .head > .state { width: 12; }
    CleanupScreen #cleanup-keys { color: $foreground-muted; margin-top: 1; }
    CleanupScreen #cleanup-error { color: $error; display: none; }
    CleanupScreen #cleanup-error.-shown { display: block; }
    CleanupScreen #cleanup-buttons { height: 1; margin-top: 1; align-horizontal: right; }
    CleanupScreen #cleanup-buttons Button { margin-left: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="cleanup.save"),
        Binding("ctrl+r", "run_now", "Clean now", id="cleanup.run"),
        Binding("escape", "cancel", "Close", id="cleanup.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.stored: list[CleanupPolicy] | None = None
        """The policies as saved (what agents and Clean now apply); None until loaded."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Auto-cleanup of finished runs", id="cleanup-title")
            yield Static(Text("Runs older than the days, or past the newest count, are deleted with "
                              "their logs. Empty: no limit."), id="cleanup-help")
            # when the saved policies take effect: agents apply them on their heartbeat thread
            yield Static(Text(f"Running agents apply the saved policies {every_text(engine.CLEANUP_EVERY)}."),
                         id="cleanup-when")
            with Horizontal(classes="row head"):
                yield Label("state", classes="state")
                yield Label("keep days")
                yield Label("keep at most")
            for state in STATES:
                with Horizontal(classes="row"):
                    yield Label(state.label)
                    yield Input(placeholder="no limit", compact=True, id=f"days-{state.value}")
                    yield Input(placeholder="no limit", compact=True, id=f"count-{state.value}")
            yield Label("", id="cleanup-error")
            yield Static(Text("enter or ctrl+s: save · ctrl+r: clean now · escape: close"), id="cleanup-keys")
            with Horizontal(id="cleanup-buttons"):
                yield Button("Save", variant="primary", id="save", compact=True)
                yield Button("Clean now", id="run", compact=True)
                yield Button("Close", id="close", compact=True)

    def on_mount(self) -> None:
        self.query_one(f"#days-{STATES[0].value}", Input).focus()
        self._load()

    @work(thread=True, exclusive=True, group="cleanup", exit_on_error=False)
    def _load(self) -> None:
        match call_engine(engine.policies):
            case Done(value=found):
                self.app.call_from_thread(self.fill, found)
            case Failed() as failed:
                self.app.call_from_thread(self.show_error, failed.text)

    def fill(self, found: list[CleanupPolicy]) -> None:
        self.stored = found
        for policy in found:
            state = RunState(policy.state).value
            if not self.query(f"#days-{state}"):
                continue
            days = "" if policy.max_age_days is None else f"{policy.max_age_days:g}"
            count = "" if policy.max_count is None else str(policy.max_count)
            self.query_one(f"#days-{state}", Input).value = days
            self.query_one(f"#count-{state}", Input).value = count

    def show_error(self, text: str | None) -> None:
        label = self.query_one("#cleanup-error", Label)
        label.update(Text(text or ""))
        label.set_class(bool(text), "-shown")

    def read_policies(self) -> list[CleanupPolicy]:
        """The policies as typed.

        Raises:
            UserError: a field that is not a number, or out of range.
        """
        out = []
        for state in STATES:
            days = engine.rules.keep_days(self.query_one(f"#days-{state.value}", Input).value, state)
            count = engine.rules.keep_count(self.query_one(f"#count-{state.value}", Input).value, state)
            out.append(CleanupPolicy(state, days, count))
        return out

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#run")
    def _run_pressed(self) -> None:
        self.action_run_now()

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.action_cancel()

    def action_save(self) -> None:
        try:
            wanted = self.read_policies()
        except UserError as error:
            self.show_error(str(error))
            return
        self.show_error(None)
        self._store(wanted)

    @work(thread=True, exclusive=True, group="cleanup", exit_on_error=False)
    def _store(self, wanted: list[CleanupPolicy]) -> None:
        # all or none: what is saved stays what Clean now describes
        match call_engine(lambda: engine.set_policies(wanted)):
            case Done():
                self.app.call_from_thread(self._saved)
            case Failed() as failed:
                self.app.call_from_thread(self.show_error, failed.text)

    def _saved(self) -> None:
        self.notify("cleanup settings saved")
        self.dismiss(True)

    def action_run_now(self) -> None:
        """Ask first, as every delete does, saying which saved policies will be applied."""
        if self.stored is None:
            self.show_error("the saved policies are still loading")
            return
        rules = [text for text in map(policy_text, self.stored) if text]
        if not rules:
            self.show_error("nothing to clean: no state has a saved limit")
            return
        self.show_error(None)
        question = Text("Delete finished runs and their logs now, by the saved policies?\n", style="bold")
        for rule in rules:
            question.append(f"\n  {rule}")
        question.append("\n")
        if len(rules) < len(self.stored):
            question.append("\nRuns of other states are kept.")
        try:
            edited = self.read_policies() != self.stored
        except UserError:
            edited = True
        if edited:
            question.append("\nUnsaved edits in the form are not applied: save first to use them.")

        def answered(ok: bool | None) -> None:
            if ok:
                self._run_now()

        self.app.push_screen(ConfirmScreen(question, yes="Clean now"), answered)

    @work(thread=True, exclusive=True, group="cleanup", exit_on_error=False)
    def _run_now(self) -> None:
        match call_engine(engine.cleanup):
            case Done(value=report):
                self.app.call_from_thread(self.notify, deleted_text(report))
            case Failed() as failed:
                self.app.call_from_thread(self.show_error, failed.text)

    def action_cancel(self) -> None:
        self.dismiss(False)


def deleted_text(report: CleanupReport) -> str:
    """``cleanup deleted 3 runs (failed 2, timed out 1)``."""
    detail = ", ".join(f"{RunState(state).label} {count}" for state, count in sorted(report.by_state.items())
                       if count)
    text = f"cleanup deleted {report.runs} run{'' if report.runs == 1 else 's'}"
    return text + (f" ({detail})" if detail else "")


