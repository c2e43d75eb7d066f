"""The `chaintracer` console script, run as a user would: a real subprocess on a real store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from export_contract import validate_session

from chaintracer import Span, SpanKind, StatusCode, Tracer

T0 = 1_700_000_000_000  # milliseconds


def _console_script() -> str:
    script = shutil.which("chaintracer", path=str(Path(sys.executable).parent))
    assert script, f"the chaintracer console script is not installed next to {sys.executable}"
    return script


def run_cli(*args: str, cwd: Path, store_env: str | None = None) -> subprocess.CompletedProcess[str]:
    """Runs the installed console script with a clean CHAINTRACER_STORE."""
    env = {key: value for key, value in os.environ.items() if key != "CHAINTRACER_STORE"}
    if store_env is not None:
        env["CHAINTRACER_STORE"] = store_env
    return subprocess.run(
        [_console_script(), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=60, check=False
    )


def _agent_trace() -> Span:
    root = Span(name="Agent", span_kind=SpanKind.AGENT, start_time_ms=T0, end_time_ms=T0 + 1000)
    llm = Span(name="OpenAI", span_kind=SpanKind.LLM, start_time_ms=T0 + 10, end_time_ms=T0 + 260)
    llm.add_attribute("model", "gpt-test")
    llm.add_attribute("tokens", {"prompt": 10, "completion": 5, "total": 15})
    tool = Span(
        name="Calculator",
        span_kind=SpanKind.TOOL,
        status_code=StatusCode.ERROR,
        status_message="division by zero",
        start_time_ms=T0 + 300,
        end_time_ms=T0 + 350,
    )
    root.add_child_span(llm)
    root.add_child_span(tool)
    return root


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """A store with sessions in two projects, a repeated name, an error and an open span."""
    base = tmp_path_factory.mktemp("cli")
    store = str(base / "traces.db")
    tracer = Tracer(project="alpha", tags=["cli"], store=store)
    tracer.log_trace(_agent_trace())
    tracer.recorder.start("open-root", None, "chain", "Unfinished")
    ids = {"first": tracer.flush_tracker(name="first").id}
    tracer.log_trace(Span(name="old", start_time_ms=T0, end_time_ms=T0 + 5))
    ids["dup-old"] = tracer.flush_tracker(name="dup").id
    tracer.log_trace(Span(name="new", start_time_ms=T0, end_time_ms=T0 + 5))
    ids["dup-new"] = tracer.flush_tracker(name="dup").id
    other = Tracer(project="beta", store=store)
    other.log_trace(Span(name="b", start_time_ms=T0, end_time_ms=T0 + 5))
    ids["gamma"] = other.flush_tracker(name="gamma").id
    workdir = base / "work"
    workdir.mkdir()
    return {"store": store, "ids": ids, "cwd": workdir}


def test_sessions_lists_newest_first(populated):
    """`chaintracer sessions` prints one row per session, newest first, with its name, project and id."""
    result = run_cli("sessions", "--store", populated["store"], cwd=populated["cwd"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert "NAME" in lines[0]
    rows = lines[1:]
    assert [row.split()[0] for row in rows] == ["gamma", "dup", "dup", "first"]
    assert populated["ids"]["gamma"] in rows[0] and "beta" in rows[0]
    assert populated["ids"]["first"] in rows[3] and "alpha" in rows[3]


def test_sessions_json_prints_contract_session_objects(populated):
    """`sessions --json` prints a list of contract session objects (no traces), newest first."""
    result = run_cli("sessions", "--json", "--store", populated["store"], cwd=populated["cwd"])
    assert result.returncode == 0, result.stderr
    sessions = json.loads(result.stdout)
    ids = populated["ids"]
    assert [s["id"] for s in sessions] == [ids["gamma"], ids["dup-new"], ids["dup-old"], ids["first"]]
    for session in sessions:
        assert validate_session(session) == []
        assert isinstance(session["summary"]["traces"], int)
    ended = [s["ended_at"] for s in sessions]
    assert ended == sorted(ended, reverse=True)
    first = sessions[-1]
    assert (first["project"], first["tags"], first["summary"]["traces"]) == ("alpha", ["cli"], 2)


def test_sessions_filters_by_project(populated):
    """`sessions --project P` lists only that project's sessions."""
    result = run_cli("sessions", "--json", "--project", "beta", "--store", populated["store"], cwd=populated["cwd"])
    assert result.returncode == 0, result.stderr
    assert [s["name"] for s in json.loads(result.stdout)] == ["gamma"]

    empty = run_cli("sessions", "--project", "nobody", "--store", populated["store"], cwd=populated["cwd"])
    assert empty.returncode == 0
    assert "no sessions" in empty.stdout


def test_show_prints_the_span_tree(populated):
    """`show NAME` prints each trace as a tree with kinds, names, durations, tokens, and highlights errors."""
    result = run_cli("show", "first", "--store", populated["store"], cwd=populated["cwd"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "first" in out.splitlines()[0]
    assert "\x1b[" not in out  # no colour codes when piped

    def line_of(name: str) -> str:
        (line,) = [line for line in out.splitlines() if name in line]
        return line

    assert "[agent]" in line_of("Agent") and "1.00s" in line_of("Agent")
    llm = line_of("OpenAI")
    assert "[llm]" in llm and "250.0ms" in llm and "15 tok" in llm and "gpt-test" in llm
    tool = line_of("Calculator")
    assert "[tool]" in tool and "ERROR" in tool and "division by zero" in tool
    assert "INCOMPLETE" in line_of("Unfinished")
    # Children are drawn under their parent.
    assert line_of("OpenAI").lstrip().startswith(("├─", "└─"))
    assert line_of("Calculator").lstrip().startswith("└─")


def test_show_can_colour_errors(populated):
    """`show --color always` paints an error span's line in red."""
    result = run_cli("show", "first", "--color", "always", "--store", populated["store"], cwd=populated["cwd"])
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if "Calculator" in line]
    assert "\x1b[31m" in line


def test_export_by_name_and_by_id(populated):
    """`export NAME --format json` and `export ID` print the same session document."""
    by_name = run_cli("export", "first", "--format", "json", "--store", populated["store"], cwd=populated["cwd"])
    by_id = run_cli("export", populated["ids"]["first"], "--store", populated["store"], cwd=populated["cwd"])
    assert by_name.returncode == 0 and by_id.returncode == 0, by_name.stderr + by_id.stderr
    document = json.loads(by_name.stdout)
    assert json.loads(by_id.stdout) == document
    assert set(document) == {"session", "traces"}
    assert document["session"]["id"] == populated["ids"]["first"]
    assert [t["name"] for t in document["traces"]] == ["Agent", "Unfinished"]


def test_export_by_name_takes_the_latest(populated):
    """A session name used twice resolves to the latest session with that name."""
    result = run_cli("export", "dup", "--store", populated["store"], cwd=populated["cwd"])
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["session"]["id"] == populated["ids"]["dup-new"]
    assert [t["name"] for t in document["traces"]] == ["new"]


@pytest.mark.parametrize("command", [["sessions"], ["show", "first"], ["export", "first", "--format", "json"]])
def test_missing_store_is_a_one_line_error(tmp_path, command):
    """Every command on a missing store prints one line on stderr naming the path and exits with code 2."""
    missing = str(tmp_path / "nowhere.db")
    result = run_cli(*command, "--store", missing, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "nowhere.db" in lines[0]
    assert not Path(missing).exists()


@pytest.mark.parametrize("command", ["show", "export"])
def test_unknown_session_is_a_one_line_error(populated, command):
    """`show`/`export` of an unknown session print one line naming it and exit with code 2."""
    result = run_cli(command, "no-such-session", "--store", populated["store"], cwd=populated["cwd"])
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-such-session" in lines[0]


def test_corrupt_store_is_a_one_line_error(tmp_path):
    """A corrupt store file gives one line on stderr (no traceback) and exit code 2."""
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage, not sqlite" * 100)
    result = run_cli("sessions", "--store", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bad.db" in lines[0]
    assert "Traceback" not in result.stderr


def test_store_from_environment_and_flag(populated, tmp_path):
    """CHAINTRACER_STORE selects the store, `--store` wins over it, and the default is ./chaintracer.db."""
    by_env = run_cli("sessions", "--json", cwd=populated["cwd"], store_env=populated["store"])
    assert by_env.returncode == 0, by_env.stderr
    assert len(json.loads(by_env.stdout)) == 4

    other = tmp_path / "other.db"
    tracer = Tracer(project="other", store=str(other))
    tracer.flush_tracker(name="only-here")
    tracer.store.close()  # checkpoints the WAL into the file copied below
    by_flag = run_cli("sessions", "--json", "--store", str(other), cwd=populated["cwd"], store_env=populated["store"])
    assert by_flag.returncode == 0, by_flag.stderr
    assert [s["name"] for s in json.loads(by_flag.stdout)] == ["only-here"]

    default_dir = tmp_path / "project"
    default_dir.mkdir()
    shutil.copy(other, default_dir / "chaintracer.db")
    by_default = run_cli("sessions", "--json", cwd=default_dir)
    assert by_default.returncode == 0, by_default.stderr
    assert [s["name"] for s in json.loads(by_default.stdout)] == ["only-here"]


def test_an_empty_session_says_so(tmp_path):
    """`show` of a session flushed before anything was traced says it has no traces."""
    store = str(tmp_path / "empty.db")
    Tracer(store=store).flush_tracker(name="nothing", finish=True)
    result = run_cli("show", "nothing", "--store", store, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "this session has no traces" in result.stdout
