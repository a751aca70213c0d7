"""The auto-cleanup popup: how long finished runs of each state are kept."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from jobtui import engine
from jobtui.engine import CleanupPolicy, RunState, close_thread_connection
from jobtui.errors import JobtuiError

STATES = tuple(state for state in RunState if state not in (RunState.QUEUED, RunState.RUNNING))
"""The finished states, each with a policy of its own."""


def _number(text: str, what: str, integer: bool) -> float | int | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        raise ValueError(f"{what} {text!r}: expected a {'whole ' if integer else ''}number") from None
    if value < 0:
        raise ValueError(f"{what} {text!r}: must be 0 or more")
    return value


class CleanupScreen(ModalScreen[bool]):
    """Edit the cleanup policy of each finished state; dismisses True once saved."""

    DEFAULT_CSS = """
    CleanupScreen { align: center middle; }
    CleanupScreen > Vertical {
        width: 64; max-width: 100%; height: auto;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    CleanupScreen #cleanup-title { text-style: bold; }
    CleanupScreen #cleanup-help { color: $foreground-muted; margin-bottom: 1; }
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

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Auto-cleanup of finished runs", id="cleanup-title")
            yield Static(Text("Runs older than the days, or past the newest count, are deleted with "
                              "their logs. Empty: no limit."), id="cleanup-help")
            with Horizontal(classes="row head"):
                yield Label("state", classes="state")
                yield Label("keep days")
                yield Label("keep at most")
            for state in STATES:
                with Horizontal(classes="row"):
                    yield Label(state.value.replace("_", " "))
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
        try:
            found = engine.policies()
        except Exception as error:  # noqa: BLE001
            self.app.call_from_thread(self.show_error, _describe(error))
            return
        finally:
            close_thread_connection()
        self.app.call_from_thread(self.fill, found)

    def fill(self, found: list[CleanupPolicy]) -> None:
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
            ValueError: a field is not a number.
        """
        out = []
        for state in STATES:
            days = _number(self.query_one(f"#days-{state.value}", Input).value, f"{state.value} days", False)
            count = _number(self.query_one(f"#count-{state.value}", Input).value, f"{state.value} count",
                            True)
            out.append(CleanupPolicy(state, days, count))  # type: ignore[arg-type]
        return out

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"save": self.action_save, "run": self.action_run_now, "close": self.action_cancel}[
            event.button.id or "close"]()

    def action_save(self) -> None:
        try:
            wanted = self.read_policies()
        except ValueError as error:
            self.show_error(str(error))
            return
        self.show_error(None)
        self._store(wanted)

    @work(thread=True, exclusive=True, group="cleanup", exit_on_error=False)
    def _store(self, wanted: list[CleanupPolicy]) -> None:
        try:
            for policy in wanted:
                engine.set_policy(policy.state, max_age_days=policy.max_age_days, max_count=policy.max_count)
        except Exception as error:  # noqa: BLE001 (shown inline)
            self.app.call_from_thread(self.show_error, _describe(error))
            return
        finally:
            close_thread_connection()
        self.app.call_from_thread(self._saved)

    def _saved(self) -> None:
        self.notify("cleanup settings saved")
        self.dismiss(True)

    def action_run_now(self) -> None:
        self._run_now()

    @work(thread=True, exclusive=True, group="cleanup", exit_on_error=False)
    def _run_now(self) -> None:
        try:
            report = engine.cleanup.cleanup()
        except Exception as error:  # noqa: BLE001
            self.app.call_from_thread(self.show_error, _describe(error))
            return
        finally:
            close_thread_connection()
        self.app.call_from_thread(self.notify, f"cleanup deleted {report.runs} runs")

    def action_cancel(self) -> None:
        self.dismiss(False)


def _describe(error: BaseException) -> str:
    if isinstance(error, JobtuiError):
        return str(error)
    return f"{type(error).__name__}: {error}"
