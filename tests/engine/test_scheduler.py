"""The scheduler: pure fire maths, and Scheduler.tick driven by a fake clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from playhouse.test_utils import count_queries

from jobtui import clock
from jobtui.engine import add_job, edit_job, get_job, set_enabled
from jobtui.engine.core.cron import (
    describe,
    fires_between,
    next_fire,
    prev_fire,
    validate_cron,
)
from jobtui.engine.core.states import FireOutcome
from jobtui.engine.read.listings import missed_fires
from jobtui.engine.schedule.fires import due_fires, plan_fires
from jobtui.engine.schedule.history import prune_fires
from jobtui.engine.schedule.scheduler import Scheduler
from jobtui.errors import UserError
from jobtui.store import Run, ScheduleFire, database

OK = str(Path(__file__).resolve().parent.parent / "scripts" / "ok.sh")
BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 1, 5, 9, 0, 30, tzinfo=UTC)  # a Monday, half a minute past 09:00


def at(moment: datetime) -> None:
    clock.set_clock(lambda: moment)


def fire_history(job: str, limit: int = 50) -> list[SimpleNamespace]:
    """A job's latest recorded fires, newest first, as the store holds them."""
    rows = (ScheduleFire.select().where(ScheduleFire.job_name == job)
            .order_by(ScheduleFire.fire_at.desc()).limit(limit))
    return [SimpleNamespace(outcome=FireOutcome(r.outcome), fire_at=datetime.fromtimestamp(r.fire_at, UTC))
            for r in rows]


def simulate(schedulers: list[Scheduler], start: datetime, end: datetime, step: timedelta) -> list[int]:
    """Tick every scheduler at each step from start to end; the run ids they queued."""
    queued: list[int] = []
    now = start
    while now <= end:
        for scheduler in schedulers:
            queued += scheduler.tick(now)
        now += step
    return queued


def add(name: str, cron: str, **fields) -> None:
    add_job(name, OK, schedules=[cron], **fields)


# --- pure maths --------------------------------------------------------------------


def test_due_fires_every_minute_over_an_hour_is_sixty() -> None:
    fires = due_fires("* * * * *", "UTC", T0, T0 + timedelta(hours=1), misfire="all", grace=timedelta(hours=2))
    assert len(fires) == 60
    assert fires[0] == datetime(2026, 1, 5, 9, 1, tzinfo=UTC)
    assert fires[-1] == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_due_fires_takes_the_interval_open_at_since_and_closed_at_now() -> None:
    since = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert due_fires("* * * * *", "UTC", since, since) == []
    assert due_fires("* * * * *", "UTC", since, since + timedelta(seconds=59)) == []
    assert due_fires("* * * * *", "UTC", since, since + timedelta(minutes=1)) == [since + timedelta(minutes=1)]


def test_spring_forward_gap_fires_once_at_the_end_of_the_gap() -> None:
    # 2026-03-29 in Berlin: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
    day = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)
    fires = due_fires("30 2 * * *", "Europe/Berlin", day, day + timedelta(days=2), misfire="all",
                      grace=timedelta(days=3))
    local = [f.astimezone(BERLIN).isoformat() for f in fires]
    assert local == ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]


def test_spring_forward_every_fifteen_minutes_collapses_the_gap_into_one_fire() -> None:
    start = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)
    fires = fires_between("*/15 * * * *", start, start + timedelta(hours=1), "Europe/Berlin")
    assert [f.astimezone(BERLIN).strftime("%H:%M%z") for f in fires] == [
        "01:45+0100", "03:00+0200", "03:15+0200", "03:30+0200",
    ]


def test_fall_back_repeat_fires_once_at_the_first_occurrence() -> None:
    # 2026-10-25 in Berlin: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    day = datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN)
    fires = due_fires("30 2 * * *", "Europe/Berlin", day, day + timedelta(days=2), misfire="all",
                      grace=timedelta(days=3))
    local = [f.astimezone(BERLIN).isoformat() for f in fires]
    assert local == ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]


def test_fall_back_hourly_schedule_skips_the_repeated_hour() -> None:
    start = datetime(2026, 10, 25, 0, 30, tzinfo=BERLIN).astimezone(UTC)
    fires = fires_between("0 * * * *", start, start + timedelta(hours=5), "Europe/Berlin")
    assert [f.astimezone(BERLIN).strftime("%H:%M%z") for f in fires] == [
        "01:00+0200", "02:00+0200", "03:00+0100", "04:00+0100",
    ]
    assert len(set(fires)) == len(fires)


def test_next_and_prev_fire_across_the_repeat() -> None:
    second_pass = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 02:15 CET, after 02:30 CEST
    assert next_fire("30 2 * * *", second_pass, "Europe/Berlin").astimezone(BERLIN).day == 26
    previous = prev_fire("30 2 * * *", second_pass, "Europe/Berlin")
    assert previous == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_misfire_policies_plan_what_they_say() -> None:
    since = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    now = datetime(2026, 1, 5, 12, 45, tzinfo=UTC)  # 10:00, 11:00 and 12:00 were missed
    hourly = [("0 * * * *", "UTC")]
    hours = [datetime(2026, 1, 5, h, tzinfo=UTC) for h in (10, 11, 12)]
    assert plan_fires(hourly, since, now, misfire="skip").run == ()
    assert plan_fires(hourly, since, now, misfire="skip").missed == tuple(hours)
    assert plan_fires(hourly, since, now, misfire="once").run == (hours[2],)
    assert plan_fires(hourly, since, now, misfire="once").missed == tuple(hours[:2])
    assert plan_fires(hourly, since, now, misfire="all").run == tuple(hours)
    capped = plan_fires(hourly, since, now, misfire="all", catchup=timedelta(hours=2))
    assert capped.run == tuple(hours[1:])
    assert capped.missed == (hours[0],)


def test_misfire_once_runs_a_missed_fire_older_than_the_catchup_window() -> None:
    since = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    now = datetime(2026, 1, 20, 12, 0, tzinfo=UTC)
    weekly = [("0 6 * * 1", "UTC")]  # Mondays 06:00: the latest was 2026-01-19
    plan = plan_fires(weekly, since, now, misfire="once", catchup=timedelta(hours=1))
    assert plan.run == (datetime(2026, 1, 19, 6, tzinfo=UTC),)


def test_several_schedules_firing_together_count_once() -> None:
    since = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    plan = plan_fires([("*/10 * * * *", "UTC"), ("*/15 * * * *", "UTC")], since,
                      since + timedelta(minutes=30), misfire="all", grace=timedelta(hours=1))
    minutes = [f.minute for f in plan.run]
    assert minutes == [10, 15, 20, 30]


@pytest.mark.parametrize("expr, reason", [
    ("61 * * * *", "61"),
    ("0 0 31 2 *", "never fires"),
    ("* * * *", "expected 5 fields"),
    ("not a cron", "expected 5 fields"),
    ("* * * * * *", "expected 5 fields"),
])
def test_bad_expressions_are_refused_with_one_line(expr: str, reason: str) -> None:
    with pytest.raises(UserError) as info:
        validate_cron(expr)
    assert reason in str(info.value)
    assert "\n" not in str(info.value)


def test_a_job_with_a_bad_expression_is_refused(db) -> None:
    with pytest.raises(UserError, match="cron"):
        add("bad", "61 * * * *")
    with pytest.raises(UserError, match="time zone"):
        add_job("badtz", OK, schedules=[{"cron": "* * * * *", "tz": "Mars/Olympus"}])


def test_describe_says_the_schedule_in_words() -> None:
    assert describe("30 2 * * 1-5") == "At 02:30, Monday through Friday"
    assert describe("*/5 * * * *") == "Every 5 minutes"


# --- the scheduler -----------------------------------------------------------------------


def test_every_minute_over_a_simulated_hour_queues_sixty_runs(db) -> None:
    at(T0)
    add("tick", "* * * * *@UTC", overlap="queue")
    queued = simulate([Scheduler()], T0, T0 + timedelta(hours=1), timedelta(seconds=0.5 * 20))
    assert len(queued) == 60
    runs = list(Run.select().where(Run.job_name == "tick"))
    assert len(runs) == 60
    assert {r.trigger for r in runs} == {"cron"}
    assert len({r.dedupe_key for r in runs}) == 60
    assert all(r.dedupe_key.startswith("cron:tick:") for r in runs)
    fires = ScheduleFire.select().where(ScheduleFire.job_name == "tick")
    assert {f.outcome for f in fires} == {FireOutcome.QUEUED}
    assert sorted(f.run_id for f in fires) == sorted(queued)


def test_three_schedulers_over_the_same_hour_still_queue_sixty(db) -> None:
    at(T0)
    add("tick", "* * * * *@UTC", overlap="queue")
    schedulers = [Scheduler(), Scheduler(), Scheduler()]
    queued = simulate(schedulers, T0, T0 + timedelta(hours=1), timedelta(seconds=7))
    assert len(queued) == 60
    assert Run.select().where(Run.job_name == "tick").count() == 60


def _threaded_hour(settings) -> list[int]:
    """Three schedulers in three threads (own connections) over one simulated hour."""
    results: list[list[int]] = [[], [], []]
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def agent(index: int) -> None:
        try:
            scheduler = Scheduler()
            barrier.wait()
            now = T0
            while now <= T0 + timedelta(hours=1):
                results[index] += scheduler.tick(now)
                now += timedelta(seconds=5 + index)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=agent, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return [run_id for result in results for run_id in result]


def test_three_schedulers_in_threads_queue_each_fire_once(db) -> None:
    at(T0)
    add("tick", "* * * * *@UTC", overlap="queue")
    queued = _threaded_hour(db)
    assert len(queued) == 60
    assert len(set(queued)) == 60
    assert Run.select().where(Run.job_name == "tick").count() == 60


@pytest.mark.postgres
def test_three_schedulers_in_threads_on_postgres(pg_db) -> None:
    at(T0)
    add("tick", "* * * * *@UTC", overlap="queue")
    queued = _threaded_hour(pg_db)
    assert len(queued) == 60
    assert Run.select().where(Run.job_name == "tick").count() == 60
    assert ScheduleFire.select().count() == 60


def test_overlap_skip_records_skipped_fires_while_a_run_is_waiting(db) -> None:
    at(T0)
    add("slow", "* * * * *@UTC")  # overlap "skip" is the default
    scheduler = Scheduler()
    queued = simulate([scheduler], T0, T0 + timedelta(minutes=5), timedelta(seconds=10))
    assert len(queued) == 1
    outcomes = [f.outcome for f in fire_history("slow")]
    assert outcomes.count(FireOutcome.SKIPPED) == 4
    assert outcomes.count(FireOutcome.QUEUED) == 1
    Run.update(status="succeeded", finished_at=T0.timestamp()).execute()
    queued = simulate([scheduler], T0 + timedelta(minutes=5, seconds=10), T0 + timedelta(minutes=6),
                      timedelta(seconds=10))
    assert len(queued) == 1


def test_dst_days_in_berlin_fire_once_each_through_the_scheduler(db) -> None:
    for day, expected in ((datetime(2026, 3, 29, tzinfo=BERLIN), "2026-03-29T03:00:00+02:00"),
                          (datetime(2026, 10, 25, tzinfo=BERLIN), "2026-10-25T02:30:00+02:00")):
        start = day - timedelta(hours=1)
        at(start)
        name = f"nightly-{day.month}"
        add_job(name, OK, schedules=[{"cron": "30 2 * * *", "tz": "Europe/Berlin"}])
        queued = simulate([Scheduler()], start, start + timedelta(hours=26), timedelta(seconds=30))
        assert len(queued) == 1
        fire = fire_history(name)[0]
        assert fire.fire_at.astimezone(BERLIN).isoformat() == expected


@pytest.mark.parametrize("policy, runs, missed", [("skip", 0, 3), ("once", 1, 2), ("all", 3, 0)])
def test_agents_down_for_three_hours_follow_the_misfire_policy(db, policy: str, runs: int, missed: int) -> None:
    start = datetime(2026, 1, 5, 9, 30, 10, tzinfo=UTC)
    at(start - timedelta(hours=1))
    add("hourly", "0 * * * *@UTC", misfire=policy, overlap="queue")
    before = simulate([Scheduler()], start - timedelta(minutes=40), start, timedelta(seconds=30))
    assert len(before) == 1  # 09:00 fired while an agent ran
    back = start + timedelta(hours=3, minutes=15)  # agents were down from 09:30 to 12:45
    after = Scheduler().tick(back)
    assert len(after) == runs
    assert missed_fires(now=back) == ({"hourly": missed} if missed else {})
    fired = sorted(f.fire_at.hour for f in fire_history("hourly") if f.outcome == FireOutcome.QUEUED)
    assert fired == {"skip": [9], "once": [9, 12], "all": [9, 10, 11, 12]}[policy]
    # back to normal: the next fire runs on time whatever the policy
    assert len(simulate([Scheduler()], back, back + timedelta(minutes=20), timedelta(seconds=30))) == 1


def test_misfire_once_with_an_on_time_fire_runs_only_that_one(db) -> None:
    at(T0 - timedelta(minutes=1))
    add("minutely", "* * * * *@UTC", overlap="queue")
    simulate([Scheduler()], T0, T0 + timedelta(seconds=40), timedelta(seconds=10))
    back = datetime(2026, 1, 5, 12, 1, 0, 200_000, tzinfo=UTC)
    assert len(Scheduler().tick(back)) == 1
    assert fire_history("minutely", limit=1)[0].fire_at == datetime(2026, 1, 5, 12, 1, tzinfo=UTC)
    assert missed_fires(now=back)["minutely"] == 100  # the newest MAX_MISSED_ROWS of 179


def test_a_new_job_does_not_catch_up_fires_from_before_it_existed(db) -> None:
    at(T0)
    add("fresh", "* * * * *@UTC", overlap="queue")
    assert Scheduler().tick(T0 + timedelta(seconds=5)) == []
    assert missed_fires(now=T0) == {}


def test_a_re_enabled_job_does_not_catch_up_its_disabled_time(db) -> None:
    at(T0)
    add("paused", "0 * * * *@UTC")
    set_enabled("paused", False)
    scheduler = Scheduler()
    simulate([scheduler], T0, T0 + timedelta(hours=3), timedelta(minutes=1))
    assert Run.select().count() == 0
    at(T0 + timedelta(hours=3, minutes=10))
    set_enabled("paused", True)
    assert scheduler.tick(T0 + timedelta(hours=3, minutes=11)) == []
    assert len(simulate([scheduler], T0 + timedelta(hours=3, minutes=12), T0 + timedelta(hours=4),
                        timedelta(minutes=1))) == 1


def test_tick_is_cheap_when_nothing_is_due(db) -> None:
    at(T0)
    for i in range(50):
        add(f"job{i}", "0 3 * * *@UTC")
    scheduler = Scheduler(reload_interval=2.0)
    scheduler.tick(T0)
    with count_queries() as counter:
        for step in range(3):  # within the reload interval: no query at all
            scheduler.tick(T0 + timedelta(seconds=0.5 * (step + 1)))
    assert counter.count == 0
    with count_queries() as counter:
        scheduler.tick(T0 + timedelta(seconds=3))  # one look for changed definitions
    assert counter.count == 1


def test_the_runs_of_many_fires_go_in_as_one_insert(db) -> None:
    at(T0)
    for i in range(40):
        add(f"every-{i:02d}", "* * * * *@UTC")
    scheduler = Scheduler()
    scheduler.tick(T0)
    with count_queries() as counter:
        queued = scheduler.tick(T0 + timedelta(seconds=30))  # 09:01: all 40 fire
    inserts = [q.msg[0] for q in counter.get_queries() if q.msg[0].startswith('INSERT INTO "run"')]
    assert len(queued) == 40 and len(inserts) == 1
    fires = {f.job_name: f.run_id for f in ScheduleFire.select().where(ScheduleFire.outcome == FireOutcome.QUEUED)}
    runs = {r.id: r.job_name for r in Run.select()}
    assert sorted(queued) == sorted(runs) and all(runs[fires[name]] == name for name in fires), "each fire links its run"


def test_edited_schedule_is_picked_up_and_next_run_follows(db) -> None:
    at(T0)
    add("edit", "0 3 * * *@UTC")
    scheduler = Scheduler()
    scheduler.tick(T0)
    assert scheduler.next_run("edit") == datetime(2026, 1, 6, 3, 0, tzinfo=UTC)
    assert get_job("edit").next_run == datetime(2026, 1, 6, 3, 0, tzinfo=UTC)
    at(T0 + timedelta(seconds=1))
    edit_job("edit", schedules=["*/5 * * * *@UTC"])
    scheduler.tick(T0 + timedelta(seconds=5))
    assert scheduler.next_run("edit") == datetime(2026, 1, 5, 9, 5, tzinfo=UTC)
    assert len(simulate([scheduler], T0, T0 + timedelta(minutes=5, seconds=1), timedelta(seconds=5))) == 1
    at(T0 + timedelta(minutes=5, seconds=30))
    set_enabled("edit", False)
    assert get_job("edit").next_run is None
    assert simulate([scheduler], T0 + timedelta(minutes=6), T0 + timedelta(minutes=20), timedelta(seconds=5)) == []
    assert scheduler.next_run("edit") is None


def test_prune_keeps_each_jobs_latest_fire(db) -> None:
    at(T0)
    add("tick", "* * * * *@UTC", overlap="queue")
    simulate([Scheduler(prune=False)], T0, T0 + timedelta(minutes=10), timedelta(seconds=30))
    assert ScheduleFire.select().count() == 10
    deleted = prune_fires(keep=timedelta(days=1), now=T0 + timedelta(days=30))
    assert deleted == 9
    assert [f.fire_at for f in fire_history("tick")] == [datetime(2026, 1, 5, 9, 10, tzinfo=UTC)]


def test_a_job_that_cannot_be_queued_is_reported_and_the_others_still_fire(db) -> None:
    from jobtui.store import Job

    at(T0)
    add("broken", "* * * * *@UTC", overlap="queue")
    add("fine", "* * * * *@UTC", overlap="queue")
    Job.update(params="{not json").where(Job.name == "broken").execute()
    scheduler = Scheduler()
    queued = simulate([scheduler], T0, T0 + timedelta(minutes=2), timedelta(seconds=10))
    assert {Run.get_by_id(i).job_name for i in queued} == {"fine"}
    assert len(queued) == 2
    assert {f.outcome for f in fire_history("broken")} == {FireOutcome.ERROR}
    assert "broken" in scheduler.problems


def test_next_due_tells_the_agent_how_long_it_may_sleep(db) -> None:
    at(T0)
    scheduler = Scheduler()
    scheduler.tick(T0)
    assert scheduler.next_due(T0) is None
    add("soon", "* * * * *@UTC")
    scheduler.refresh(T0, force=True)
    assert scheduler.next_due(T0) == pytest.approx(30.0)
    assert scheduler.next_due(T0 + timedelta(minutes=5)) == 0.0


def test_the_scheduler_thread_queues_fires_and_calls_back(db) -> None:
    import time

    at(T0)
    add("threaded", "* * * * *@UTC", overlap="queue")
    scheduler = Scheduler()
    seen: list[int] = []
    scheduler.start(poll=0.05, on_queued=seen.extend)
    try:
        at(T0 + timedelta(seconds=31))  # 09:01:01: the 09:01 fire is due
        deadline = time.monotonic() + 20
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        scheduler.stop()
    assert len(seen) == 1
    assert Run.get_by_id(seen[0]).trigger == "cron"


def test_a_schedule_without_a_zone_follows_the_local_zones_dst(monkeypatch) -> None:
    from jobtui.engine.core.cron import local_zone_name

    monkeypatch.setenv("TZ", "Europe/Berlin")
    assert local_zone_name() == "Europe/Berlin"
    day = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    fires = due_fires("30 2 * * *", None, day, day + timedelta(days=2), misfire="all", grace=timedelta(days=3))
    assert [f.astimezone(BERLIN).isoformat() for f in fires] == [
        "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00",
    ]
