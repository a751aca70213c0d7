"""The job form: add or edit a job, each field checked as it is typed.

Checks run in a worker through the engine's own validators (the same ones the
CLI and the TOML import use), so the form can never accept what the engine
refuses; a refused field's message is shown under the field the error names
(``UserError.field``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import DescendantFocus
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from jobtui import engine
from jobtui.engine import JOB_DEFAULTS, JobView
from jobtui.text import inert
from jobtui.ui.dialogs.confirm import ConfirmScreen
from jobtui.ui.dialogs.job_fields import (
    CHOICE_FIELDS,
    GROUPS,
    TEXT_FIELDS,
    Field,
    check_field,
    choice_words,
    fields_for_engine,
    form_values,
    schedule_note,
)
from jobtui.ui.workers import Done, Failed, call_engine

CHECK_DELAY = 0.3  # seconds of typing pause before a field is checked


class JobFormScreen(ModalScreen[JobView | None]):
    """Add a job (``job`` None) or edit one; dismisses with the saved job, or None."""

    DEFAULT_CSS = """
    JobFormScreen { align: center middle; }
    JobFormScreen > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    JobFormScreen #form-title { text-style: bold; height: 1; dock: top; }
    JobFormScreen #form-foot { height: auto; dock: bottom; }
    JobFormScreen VerticalScroll { height: auto; max-height: 100%; }
    JobFormScreen .row { height: 1; }
    JobFormScreen .group { height: 1; text-style: bold; color: $accent; }
    JobFormScreen #form-source { color: $warning; height: auto; width: 100%; }
    JobFormScreen .row > Label { width: 10; color: $foreground-muted; }
    JobFormScreen .row > Input { width: 1fr; }
    JobFormScreen .row > Input:disabled { color: $text-disabled; text-style: dim italic; }
    JobFormScreen .row > .read-only { width: auto; color: $foreground-muted; text-style: italic; padding-left: 1; }
    JobFormScreen .row > Select { width: 1fr; }
    JobFormScreen .row > Checkbox { width: auto; }
    JobFormScreen .field-error { color: $error; padding-left: 10; display: none; height: auto; width: 100%; }
    JobFormScreen .field-error.-shown { display: block; }
    JobFormScreen #form-error { padding-left: 0; }
    JobFormScreen .field-note { color: $foreground-muted; padding-left: 10; height: auto; width: 100%; display: none; }
    JobFormScreen .field-note.-shown { display: block; }
    JobFormScreen #form-buttons { height: 1; align-horizontal: right; margin-top: 1; }
    JobFormScreen #form-buttons Button { margin-left: 2; min-width: 10; height: 1; border: none; }
    JobFormScreen #form-hint { color: $foreground-muted; height: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(self, job: JobView | None = None) -> None:
        super().__init__()
        self.job = job
        self.adding = job is None
        self._check_timers: dict[str, Any] = {}
        self._opened_state: tuple[dict[str, str], bool] | None = None

    def compose(self) -> ComposeResult:
        values = form_values(self.job)
        title = "Add a job" if self.adding else f"Edit job {inert(self.job.name)}"  # type: ignore[union-attr]
        with Vertical():
            yield Static(Text(title), id="form-title")
            # title and buttons are docked, so at 80x24 only the fields scroll and
            # Save stays in sight however many error lines open under them
            with Vertical(id="form-foot"):
                yield Label("", id="form-error", classes="field-error")
                yield Static(Text("enter or ctrl+s: save · escape: cancel · tab: next field"), id="form-hint")
                with Horizontal(id="form-buttons"):
                    yield Button("Save", variant="primary", id="save", compact=True)
                    yield Button("Cancel", id="cancel", compact=True)
            with VerticalScroll(can_focus=False):  # each field scrolls itself into view
                if self.job is not None and self.job.source:
                    yield Label(Text(f"loaded from {inert(self.job.source)}: in a job-files folder, that file's "
                                     "next change replaces what you save here"), id="form-source")
                for group in GROUPS:
                    yield Label(group.title, classes="group")
                    for field in group.fields:
                        yield from self._field(field, values)
                with Horizontal(classes="row"):
                    yield Label("Enabled")
                    yield Checkbox("scheduled, notified and watched",
                                   value=self.job.enabled if self.job else JOB_DEFAULTS["enabled"],
                                   compact=True, id="field-enabled")

    def _field(self, field: Field, values: dict[str, str]) -> ComposeResult:
        """One field's row, with the line its problem (and, for schedules, their words) shows on."""
        read_only = field.key == "name" and not self.adding
        with Horizontal(classes="row"):
            yield Label(field.label)
            if field.choices is not None:
                yield Select(choice_words(field), value=values[field.key], allow_blank=False, compact=True,
                             id=f"field-{field.key}")
            else:
                # no select-all on focus: the first key typed must not wipe the value
                yield Input(value=values.get(field.key, ""), placeholder=field.placeholder, id=f"field-{field.key}",
                            compact=True, select_on_focus=False, disabled=read_only)
            if read_only:
                yield Label("read-only: names cannot change", classes="read-only")
        yield Label("", id=f"error-{field.key}", classes="field-error")
        if field.key == "schedules":
            yield Label("", id="note-schedules", classes="field-note")

    def on_mount(self) -> None:
        self._opened_state = self.state()
        first = "#field-name" if self.adding else "#field-description"
        self.query_one(first, Input).focus()
        self._check("schedules", self.values()["schedules"], self.values())

    @on(DescendantFocus)
    def _cursor_to_end(self, event: DescendantFocus) -> None:
        # a field is entered to add to or fix its end; a click still places the cursor itself
        if isinstance(event.widget, Input):
            event.widget.cursor_position = len(event.widget.value)

    # --- values -----------------------------------------------------------------------

    def values(self) -> dict[str, str]:
        """Every field's current text (a choice's word)."""
        values = {f.key: self.query_one(f"#field-{f.key}", Input).value for f in TEXT_FIELDS}
        return values | {f.key: str(self.query_one(f"#field-{f.key}", Select).value) for f in CHOICE_FIELDS}

    def state(self) -> tuple[dict[str, str], bool]:
        """Everything the operator can change, to tell whether anything was."""
        return (self.values(), self.query_one("#field-enabled", Checkbox).value)

    @property
    def changed(self) -> bool:
        """Whether a field differs from what the form opened with."""
        return self.state() != self._opened_state

    def fields_for_engine(self) -> dict[str, Any]:
        return fields_for_engine(self.values(), self.query_one("#field-enabled", Checkbox).value)

    # --- inline checks ----------------------------------------------------------------

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        key = (event.input.id or "").removeprefix("field-")
        if not key:
            return
        self._check_later(key)
        if key == "workdir":  # the command's and the hook's paths depend on it
            self._check_later("command")
            self._check_later("hook")

    def _check_later(self, key: str) -> None:
        """Check a field once typing pauses (a newer change restarts the wait)."""
        timer = self._check_timers.pop(key, None)
        if timer is not None:
            timer.stop()

        def check() -> None:
            values = self.values()
            self._check(key, values[key], values)

        self._check_timers[key] = self.set_timer(CHECK_DELAY, check)

    @work(thread=True, group="form-check", exit_on_error=False)
    def _check(self, key: str, value: str, values: dict[str, str]) -> None:
        def check() -> tuple[str | None, str | None]:
            problem = check_field(key, value, values, self.adding)
            return problem, schedule_note(value) if key == "schedules" and problem is None else None

        match call_engine(check):
            case Done(value=(problem, note)):
                pass
            case Failed() as failed:
                problem, note = failed.text, None
        self.app.call_from_thread(self._checked, key, values, problem, note)

    def _checked(self, key: str, values: dict[str, str], problem: str | None, note: str | None) -> None:
        """Show a check's result, unless what it checked has changed since (a newer check follows)."""
        if not self.is_mounted:
            return  # the form was closed while the check ran
        now = self.values()
        moved = key in ("command", "hook") and now.get("workdir") != values.get("workdir")
        if now.get(key) != values.get(key) or moved:
            return
        self.show_error(key, problem)
        if key == "schedules":
            self.show_note(note or "")

    def show_note(self, text: str) -> None:
        """The schedules in words and their zones, under the field (cleared while it is wrong)."""
        label = self.query_one("#note-schedules", Label)
        label.update(Text(inert(text)))
        label.set_class(bool(text), "-shown")

    def show_error(self, key: str | None, problem: str | None) -> None:
        """Show (or clear, with None) the message under a field, or the form's own line."""
        try:
            label = self.query_one(f"#error-{key}" if key else "#form-error", Label)
        except Exception:  # noqa: BLE001 (a field without its own line)
            label = self.query_one("#form-error", Label)
        label.update(Text(inert(problem or "")))
        label.set_class(bool(problem), "-shown")
        if problem and key and self.focused is not None and self.focused.id == f"field-{key}":
            label.scroll_visible(animate=False)  # the message under the field being typed in

    # --- saving -----------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        name = self.query_one("#field-name", Input).value.strip()
        command = self.query_one("#field-command", Input).value
        self.show_error(None, None)
        self._save(name, command, self.fields_for_engine())

    @work(thread=True, exclusive=True, group="form-save", exit_on_error=False)
    def _save(self, name: str, command: str, fields: dict[str, Any]) -> None:
        if self.adding:
            outcome = call_engine(lambda: engine.add_job(name, command, **fields))
        else:
            outcome = call_engine(lambda: engine.edit_job(name, command=command, **fields))
        match outcome:
            case Done(value=view):
                self.app.call_from_thread(self.dismiss, view)
            case Failed() as failed:
                self.app.call_from_thread(self._refused, failed.text, failed.field)

    def _refused(self, text: str, key: str | None) -> None:
        """Say why the job was not saved under the field the engine named, and go there."""
        if key is not None and not self.query(f"#error-{key}"):
            key = None  # a field the form does not show (e.g. overlap from a job file)
        self.show_error(key, text)
        if key is not None:
            self.show_error(None, f"not saved: {text}")
            target = f"#field-{key}"
            if self.query(target):
                widget = self.query_one(target)
                if not widget.disabled:
                    widget.focus()
        else:
            self.show_error(None, text)

    def action_cancel(self) -> None:
        """Close; ask first if that would throw changes away."""
        if not self.changed:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        what = "the new job" if self.adding else f"job {inert(self.job.name)}"  # type: ignore[union-attr]
        self.app.push_screen(ConfirmScreen(Text(f"Discard the changes to {what}?"), yes="Discard"), answered)
