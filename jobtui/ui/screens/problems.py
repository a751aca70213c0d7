"""The ``!`` screen: the problems agents met that an operator must fix, and what to do about each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from jobtui import engine
from jobtui.clock import utc_now
from jobtui.engine import ProblemView
from jobtui.text import age, inert, one_line, plural
from jobtui.ui.widgets.bars import KeyBar
from jobtui.ui.workers import Done, Failed, call_engine


@dataclass
class ProblemsRead(Message):
    """A worker read the open problems (or failed to: ``error``)."""

    problems: list[ProblemView]
    error: str | None = None


class ProblemsScreen(ModalScreen[None]):
    """Open problems, the latest first; the one under the cursor is told in full with what to do."""

    DEFAULT_CSS = """
    ProblemsScreen { align: center middle; }
    ProblemsScreen > Vertical { width: 100%; height: 100%; border: round $primary; background: $surface; }
    ProblemsScreen #problems-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    ProblemsScreen DataTable { height: 1fr; }
    ProblemsScreen #problems-detail { height: auto; max-height: 8; padding: 0 1; background: $panel; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="problems.close"),
        Binding("d", "dismiss_one", "Dismiss", id="problems.dismiss",
                tooltip="Dismiss the problem (it comes back if it happens again)"),
        Binding("D", "dismiss_all", "Dismiss all", id="problems.dismiss_all", tooltip="Dismiss every problem"),
    ]

    def __init__(self, refresh_interval: float = 2.0) -> None:
        super().__init__()
        self.refresh_interval = refresh_interval
        self.problems: list[ProblemView] | None = None
        """As last read (None: not read yet)."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Problems", id="problems-title")
            table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=False)
            table.add_columns("seen", "kind", "times", "where", "what")
            yield table
            yield Static("", id="problems-detail")
            yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._read()
        self.set_interval(self.refresh_interval, self._read)

    @work(thread=True, exclusive=True, group="problems", exit_on_error=False)
    def _read(self) -> None:
        match call_engine(engine.problems):
            case Done(value=found):
                self.post_message(ProblemsRead(found))
            case Failed() as failed:
                self.post_message(ProblemsRead([], failed.text))

    def on_problems_read(self, message: ProblemsRead) -> None:
        if message.error is not None:
            self.query_one("#problems-title", Static).update(Text(f"Problems · cannot read them: {message.error}"))
            return
        if self.problems is not None and [(p.id, p.last_at) for p in message.problems] == [
                (p.id, p.last_at) for p in self.problems]:
            return
        table = self.query_one(DataTable)
        keep = self._current()
        self.problems = message.problems
        table.clear()
        now = utc_now()
        for p in self.problems:
            table.add_row(Text(age(p.last_at, now), style="dim"), Text(p.kind.label), Text(f"×{p.count}", style="dim"),
                          Text(one_line(inert(p.subject))), Text(one_line(inert(p.message))), key=str(p.id))
        if keep is not None and any(p.id == keep.id for p in self.problems):
            table.move_cursor(row=table.get_row_index(str(keep.id)))
        count = len(self.problems)
        title = f"Problems · {plural(count, 'open problem')}" if count else "Problems · none open"
        self.query_one("#problems-title", Static).update(Text(title))
        self._show_detail()

    def _current(self) -> ProblemView | None:
        table = self.query_one(DataTable)
        if not self.problems or not 0 <= table.cursor_row < len(self.problems):
            return None
        return self.problems[table.cursor_row]

    def on_data_table_row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        problem = self._current()
        detail = Text()
        if problem is None:
            detail.append("Nothing to fix. Agents list here what they could not do: a report mail, a job file, "
                          "a watched folder, a schedule.", style="dim")
        else:
            now = utc_now()
            detail.append(inert(problem.message))
            if problem.hint:
                detail.append("\nwhat to do: ", style="bold")
                detail.append(inert(problem.hint))
            detail.append(f"\nfirst seen {age(problem.first_at, now)}, last {age(problem.last_at, now)} "
                          f"by {inert(problem.agent)}, {plural(problem.count, 'time')} in all", style="dim")
        self.query_one("#problems-detail", Static).update(detail)

    def action_dismiss_one(self) -> None:
        problem = self._current()
        if problem is None:
            self.notify("no problem selected", severity="warning")
            return
        self._dismiss([problem.id])

    def action_dismiss_all(self) -> None:
        if not self.problems:
            self.notify("no problem to dismiss", severity="warning")
            return
        self._dismiss(None)

    @work(thread=True, group="problems-dismiss", exit_on_error=False)
    def _dismiss(self, ids: list[int] | None) -> None:
        match call_engine(lambda: engine.dismiss_problems(ids)):
            case Done(value=count):
                self.app.call_from_thread(self.notify, f"dismissed {plural(count, 'problem')}")
            case Failed() as failed:
                self.app.call_from_thread(self.notify, inert(failed.text), severity="error", markup=False)
        self.app.call_from_thread(self._read)

    def action_close(self) -> None:
        self.dismiss(None)
