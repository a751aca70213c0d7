"""peewee models: the tables jobtui keeps, and nothing about how they are used.

Times are stored as UNIX seconds (floats, UTC): they compare and sort the same
on SQLite and PostgreSQL, and cost nothing to convert on hot paths. JSON values
(parameters, schedules, trigger patterns) are stored as text.
"""

from __future__ import annotations

import peewee

from jobtui.store.backend import backend_of
from jobtui.store.database import database


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Meta(BaseModel):
    """Key/value facts about the database itself (schema version)."""

    key = peewee.CharField(primary_key=True, max_length=64)
    value = peewee.TextField()


class Job(BaseModel):
    """A registered script and its settings."""

    name = peewee.CharField(max_length=128, unique=True)
    description = peewee.TextField(default="")
    command = peewee.TextField()
    """Command line, split with shlex; the first word is the executable."""
    workdir = peewee.TextField(null=True)
    params = peewee.TextField(default="{}")
    """JSON object of parameters: names to JSON values (older databases hold texts only)."""
    schedules = peewee.TextField(default="[]")
    """JSON list of ``{"cron": EXPR, "tz": ZONE|null}``."""
    triggers = peewee.TextField(default="[]")
    """JSON list of notification patterns (globs)."""
    watch = peewee.TextField(default="[]")
    """JSON list of file globs."""
    queue = peewee.CharField(max_length=64, default="default")
    priority = peewee.IntegerField(default=0)
    timeout = peewee.DoubleField(null=True)
    retries = peewee.IntegerField(default=0)
    backoff = peewee.DoubleField(default=10.0)
    """Seconds before the first retry; doubles with each attempt."""
    log_level = peewee.IntegerField(default=20)
    domain = peewee.CharField(max_length=128, default="")
    overlap = peewee.CharField(max_length=16, default="skip")
    misfire = peewee.CharField(max_length=16, default="once")
    report_to = peewee.TextField(default="[]")
    report_on = peewee.CharField(max_length=16, default="failure")
    hook = peewee.TextField(null=True)
    """Command run after a failed run, for channels other than mail."""
    enabled = peewee.BooleanField(default=True)
    source = peewee.TextField(null=True)
    """The job file this definition was loaded from, if any."""
    created_at = peewee.DoubleField()
    updated_at = peewee.DoubleField()
    # The newest finished run whose record was deleted (cleanup, remove): the job
    # still says when it last ran and how, once its runs are gone. A run that exists
    # and is newer takes precedence (see engine.read.listings).
    last_run_id = peewee.IntegerField(null=True)
    last_status = peewee.CharField(max_length=16, null=True)
    last_run_at = peewee.DoubleField(null=True)


class Queue(BaseModel):
    """A named lane of runs."""

    name = peewee.CharField(max_length=64, primary_key=True)
    concurrency = peewee.IntegerField(default=1)
    interval = peewee.DoubleField(default=0.0)
    """Seconds between the end of one run and the start of the next."""
    paused = peewee.BooleanField(default=False)
    last_finished_at = peewee.DoubleField(null=True)


class RunId(peewee.AutoField):
    """A run's id, never handed out twice.

    SQLite gives the largest id again once the row holding it is deleted, unless
    the key is ``AUTOINCREMENT``; a PostgreSQL sequence never goes back.
    """

    def ddl(self, ctx: peewee.Context) -> peewee.NodeList:
        nodes = super().ddl(ctx)
        if backend_of(getattr(self.model._meta.database, "obj", None)).postgres:
            return nodes
        return peewee.NodeList((nodes, peewee.SQL("AUTOINCREMENT")))


class Run(BaseModel):
    """One execution of a job, from queued to a final state."""

    id = RunId()
    job = peewee.ForeignKeyField(Job, null=True, on_delete="SET NULL", backref="runs")
    job_name = peewee.CharField(max_length=128)
    status = peewee.CharField(max_length=16, default="queued")
    result = peewee.IntegerField(null=True)
    feedback = peewee.TextField(null=True)
    command = peewee.TextField(default="")
    """The Command text handed to the script (JOBTUI_COMMAND)."""
    params = peewee.TextField(default="{}")
    paths = peewee.TextField(null=True)
    """JSON array of the files whose change queued the run (JOBTUI_PATHS): a file trigger's run and its retries."""
    queue = peewee.CharField(max_length=64, default="default")
    priority = peewee.IntegerField(default=0)
    lane = peewee.SmallIntegerField(default=1)
    """0 for runs sent by execute-now (they go first and skip the interval), 1 otherwise."""
    urgent_at = peewee.DoubleField(null=True)
    """When execute-now was asked: orders the runs of lane 0."""
    attempt = peewee.IntegerField(default=1)
    retry_of = peewee.IntegerField(null=True)
    trigger = peewee.CharField(max_length=16, default="manual")
    dedupe_key = peewee.CharField(max_length=255, null=True, unique=True)
    queued_at = peewee.DoubleField()
    not_before = peewee.DoubleField(default=0.0)
    started_at = peewee.DoubleField(null=True)
    finished_at = peewee.DoubleField(null=True)
    exit_code = peewee.IntegerField(null=True)
    agent = peewee.CharField(max_length=255, null=True)
    lease_until = peewee.DoubleField(null=True)
    pid = peewee.IntegerField(null=True)
    progress = peewee.IntegerField(null=True)
    warnings = peewee.IntegerField(default=0)
    log_lines = peewee.IntegerField(default=0)
    log_bytes = peewee.IntegerField(default=0)
    log_seen = peewee.BooleanField(default=False)
    cancel_requested = peewee.BooleanField(default=False)

    # Few indexes on purpose: every index a claim or a finish touches costs WAL
    # pages on each commit of the agent's hot path.
    class Meta:
        indexes = ((("job_name", "queued_at"), False),)


EXECUTED_STATES = ("succeeded", "warning")
FAILED_STATES = ("failed", "timed_out", "cancelled", "lost")

# Partial indexes, one per stage of a run's life: a claim moves one entry out of
# the queued index into the running one, a finish moves it into a history index.
# Each commit of an agent's hot path touches a few index pages, and every tab
# (execution order, running count, newest finished first) is an index walk.
Run.add_index(Run.index(Run.lane, Run.urgent_at, Run.priority.desc(), Run.id,
                        where=(Run.status == "queued"), name="run_queued_order"))
Run.add_index(Run.index(Run.queue, Run.lease_until, where=(Run.status == "running"), name="run_running"))
Run.add_index(Run.index(Run.finished_at, where=Run.status.in_(EXECUTED_STATES), name="run_executed"))
Run.add_index(Run.index(Run.finished_at, where=Run.status.in_(FAILED_STATES), name="run_failed"))
Run.add_index(Run.index(Run.retry_of, where=Run.retry_of.is_null(False), name="run_retry_of"))


class LogChunk(BaseModel):
    """A batch of consecutive log lines of one run.

    Lines are stored many to a row: one row per line would cap ingest near the
    speed of single-row inserts. ``data`` holds the lines joined by newlines, each
    prefixed by one character giving its level and stream, as zlib-compressed
    UTF-8 (see engine.logs).
    """

    run = peewee.ForeignKeyField(Run, on_delete="CASCADE", backref="log_chunks")
    seq = peewee.IntegerField()
    """Number of the chunk's first line in the run's log (0-based)."""
    count = peewee.IntegerField()
    levels = peewee.IntegerField(default=0)
    """Bit set of the levels present, so a level filter can skip whole chunks."""
    data = peewee.BlobField()

    class Meta:
        indexes = ((("run", "seq"), True),)


class Agent(BaseModel):
    """A process that claims and executes runs."""

    name = peewee.CharField(max_length=255, unique=True)
    host = peewee.CharField(max_length=255)
    pid = peewee.IntegerField()
    state = peewee.CharField(max_length=16, default="idle")
    current_run = peewee.IntegerField(null=True)
    queues = peewee.TextField(default="[]")
    """JSON list of queue names served; empty means every queue."""
    started_at = peewee.DoubleField()
    heartbeat_at = peewee.DoubleField()
    heartbeat = peewee.DoubleField(default=2.0)
    """Seconds between two of its beats: a beat a few of these late shows it late."""
    lease = peewee.DoubleField()
    space = peewee.CharField(max_length=255, null=True)
    """The process space its pid belongs to (boot and pid namespace): only from there is a gone pid a dead agent."""
    done = peewee.IntegerField(default=0)
    failed = peewee.IntegerField(default=0)
    pause_requested = peewee.BooleanField(default=False)
    drain_requested = peewee.BooleanField(default=False)


class Setting(BaseModel):
    """Operator settings stored with the data (cleanup policies, ...)."""

    key = peewee.CharField(max_length=128, primary_key=True)
    value = peewee.TextField()
    """JSON value."""


class AuditEntry(BaseModel):
    """Who did what, for operator actions that change state."""

    at = peewee.DoubleField(index=True)
    actor = peewee.CharField(max_length=255)
    action = peewee.CharField(max_length=64)
    target = peewee.TextField(default="")
    detail = peewee.TextField(default="")


class ScheduleFire(BaseModel):
    """One cron fire of one job; the unique key makes a fire count once."""

    job_name = peewee.CharField(max_length=128)
    fire_at = peewee.DoubleField()
    outcome = peewee.CharField(max_length=16)
    """queued, skipped (overlap) or missed (misfire policy)."""
    run_id = peewee.IntegerField(null=True)
    recorded_at = peewee.DoubleField()

    class Meta:
        indexes = ((("job_name", "fire_at"), True),)


class Notification(BaseModel):
    """A received notification and how many jobs it queued."""

    at = peewee.DoubleField(index=True)
    event = peewee.CharField(max_length=255)
    command = peewee.TextField(default="")
    matched = peewee.IntegerField(default=0)
    runs = peewee.TextField(default="[]")


class FileSeen(BaseModel):
    """A watched file's last seen state, so a restart does not fire it again."""

    job_name = peewee.CharField(max_length=128)
    path = peewee.TextField()
    mtime = peewee.DoubleField()
    size = peewee.BigIntegerField()

    class Meta:
        indexes = ((("job_name", "path"), True),)


class Problem(BaseModel):
    """Something an agent could not do and an operator must fix: a report mail, a job file, a watched folder.

    One row per kind and subject, however many agents and times see it; cleared
    (``resolved_at``) when the cause goes away or an operator dismisses it, and
    opened again if it comes back.
    """

    kind = peewee.CharField(max_length=16)
    subject = peewee.TextField()
    """Where: the job file, the job, the watched pattern."""
    message = peewee.TextField()
    """What happened, as last seen."""
    hint = peewee.TextField(default="")
    """What to do about it."""
    agent = peewee.CharField(max_length=255, default="")
    """The agent that saw it last."""
    first_at = peewee.DoubleField()
    last_at = peewee.DoubleField()
    count = peewee.IntegerField(default=1)
    resolved_at = peewee.DoubleField(null=True)

    class Meta:
        indexes = ((("kind", "subject"), True),)


ALL_MODELS: tuple[type[BaseModel], ...] = (
    Meta,
    Job,
    Queue,
    Run,
    LogChunk,
    Agent,
    Setting,
    AuditEntry,
    ScheduleFire,
    Notification,
    FileSeen,
    Problem,
)
