"""Parameters are a JSON object end to end: checked once, stored typed, received typed by a real script."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from jobtui import engine
from jobtui.engine.core import rules
from jobtui.errors import UserError
from jobtui.nesting import MAX_DEPTH
from jobtui.store import Job
from tests.support import script
from tests.support.engine import texts

ENV_DUMP = script("env_dump.py")

TYPED = {"n": 3, "flag": True, "off": False, "ratio": 0.5, "nothing": None, "text": "3",
         "tags": ["a", "b"], "nested": {"k": [1, {"x": "y"}], "empty": {}}}


def script_env(run_id: int) -> dict[str, str]:
    """What env_dump.py printed: each JOBTUI_* variable the script received."""
    return dict(line.split("=", 1) for line in texts(run_id) if line.startswith("JOBTUI_"))


# --- a real script run by a real agent -------------------------------------------------


def test_typed_params_reach_a_real_script_as_a_json_object_and_as_texts(db, agent_procs) -> None:
    engine.add_job("typed", ENV_DUMP, params=TYPED)
    run_id = engine.enqueue("typed", params={"n": 4, "extra": [1.5, None]}).id
    agent_procs.run_burst(db.db_url)
    env = script_env(run_id)
    assert json.loads(env["JOBTUI_PARAMS"]) == {**TYPED, "n": 4, "extra": [1.5, None]}
    assert {k: v for k, v in env.items() if k.startswith("JOBTUI_PARAM_")} == {
        # a text as itself; anything else as its JSON text
        "JOBTUI_PARAM_N": "4", "JOBTUI_PARAM_FLAG": "true", "JOBTUI_PARAM_OFF": "false",
        "JOBTUI_PARAM_RATIO": "0.5", "JOBTUI_PARAM_NOTHING": "null", "JOBTUI_PARAM_TEXT": "3",
        "JOBTUI_PARAM_TAGS": '["a", "b"]', "JOBTUI_PARAM_EXTRA": "[1.5, null]",
        "JOBTUI_PARAM_NESTED": '{"empty": {}, "k": [1, {"x": "y"}]}',
    }
    assert engine.get_run(run_id).params["n"] == 4


def test_params_stored_as_texts_by_an_older_jobtui_keep_working(db, agent_procs) -> None:
    engine.add_job("old", ENV_DUMP)
    Job.update(params='{"n": "3", "flag": "true"}').where(Job.name == "old").execute()  # as stored before
    run_id = engine.enqueue("old").id
    agent_procs.run_burst(db.db_url)
    env = script_env(run_id)
    assert json.loads(env["JOBTUI_PARAMS"]) == {"n": "3", "flag": "true"}
    assert (env["JOBTUI_PARAM_N"], env["JOBTUI_PARAM_FLAG"]) == ("3", "true")
    assert engine.get_job("old").params == {"n": "3", "flag": "true"}
    assert engine.edit_job("old", timeout=5).params == {"n": "3", "flag": "true"}


# --- the rule --------------------------------------------------------------------------


def test_params_keep_their_json_types_from_text_mapping_and_pairs() -> None:
    assert rules.params(json.dumps(TYPED)) == TYPED
    assert rules.params(TYPED) == TYPED
    assert rules.params(["s=3", "n:=3", "flag:=true", "tags:=[\"a\"]", "none:=null", "eq=a=b"]) == {
        "s": "3", "n": 3, "flag": True, "tags": ["a"], "none": None, "eq": "a=b"}


def test_toml_dates_become_iso_texts() -> None:
    data = tomllib.loads("when = 2024-01-02T03:04:05Z\nday = 2024-01-02\nat = 10:30:00\n")
    assert rules.params(data) == {"when": "2024-01-02T03:04:05+00:00", "day": "2024-01-02", "at": "10:30:00"}


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels - 1):
        value = [value]
    return {"x": value}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"x": NaN}', "parameters: not valid JSON (NaN is not a JSON number)"),
        ('{"x": Infinity}', "parameters: not valid JSON (Infinity is not a JSON number)"),
        ({"x": float("inf")}, "parameter 'x': inf is not a finite number"),
        ({"x": ["ok", "nul\x00"]}, "parameter 'x': contains a NUL character"),
        ({"x": {"k\x00": 1}}, "parameter 'x': contains a NUL character"),
        ({"x": "\udcff"}, "parameter 'x': not valid Unicode text"),
        ({"x": {1, 2}}, "parameter 'x': a set is not a JSON value"),
        ({"x": b"bytes"}, "parameter 'x': a bytes is not a JSON value"),
        ({"1bad": 1}, "parameter name '1bad'"),
        (["n:=tru"], "parameter 'n': not valid JSON"),
        (["n:="], "parameter 'n': not valid JSON"),
        ('{"n": 1' + "0" * 5000 + "}", "parameters: a number of more than 4300 digits"),
        (deep(MAX_DEPTH + 1), f"parameters: nested too deeply (at most {MAX_DEPTH} levels)"),
        (json.dumps(deep(MAX_DEPTH + 1)), f"parameters: nested too deeply (at most {MAX_DEPTH} levels)"),
        ("[" * 100_000, f"parameters: nested too deeply (at most {MAX_DEPTH} levels)"),
        ({"big": "x" * rules.MAX_PARAMS}, f"parameters: {rules.MAX_PARAMS + 11:,} characters as JSON, at most"),
    ],
)
def test_params_that_no_script_could_receive_are_refused_in_one_line(value: Any, expected: str) -> None:
    with pytest.raises(UserError) as caught:
        rules.params(value)
    assert str(caught.value).startswith(expected), str(caught.value)
    assert "\n" not in str(caught.value) and caught.value.field == "params"


def test_the_depth_bound_is_inclusive() -> None:
    assert rules.params(deep(MAX_DEPTH - 1)) == deep(MAX_DEPTH - 1)  # the object itself is one level


# --- TOML: native types in, native types out ---------------------------------------------


def test_a_toml_job_file_gives_native_types_and_an_export_reads_back_the_same(db, tmp_path: Path) -> None:
    path = tmp_path / "jobs.toml"
    path.write_text(f"""
[[job]]
name = "typed"
command = "{ENV_DUMP}"

[job.params]
n = 3
ratio = 0.5
flag = true
text = "3"
tags = ["a", "b"]
since = 2024-01-02
nested = {{ k = [1, {{ x = "y" }}] }}
""")
    engine.import_jobs(path)
    expected = {"n": 3, "ratio": 0.5, "flag": True, "text": "3", "tags": ["a", "b"], "since": "2024-01-02",
                "nested": {"k": [1, {"x": "y"}]}}
    assert engine.get_job("typed").params == expected
    engine.edit_job("typed", params={**expected, "nothing": None})  # TOML has no null: exported as JSON text
    exported = tmp_path / "export.toml"
    exported.write_text(engine.export_jobs())
    engine.remove_job("typed")
    engine.import_jobs(exported)
    assert engine.get_job("typed").params == {**expected, "nothing": None}
    engine.edit_job("typed", params=expected)
    table = tomllib.loads(engine.export_jobs())["job"][0]
    assert table["params"] == expected  # without a null: a native TOML table
