"""`chaintracer rm` and `prune`: sessions deleted with everything hanging off them, after a confirmation."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cli_helpers import run_cli

import chaintracer
from chaintracer import Span, Store
from chaintracer.encoding import TraceEncoder
from chaintracer.payloads import Converter
from chaintracer.scorers import exact_match
from chaintracer.session import Session
from chaintracer.settings import resolve

TABLES = ("sessions", "traces", "artifacts", "example_runs", "scores", "feedback", "experiments")


def _add_artifact(span, encoded, artifacts) -> None:
    artifacts["view-1.html"] = ("text/html", "<p>a view</p>")
    encoded["attributes"]["visualizations"] = {"dependency": "view-1.html"}


def _write(path: str, name: str, project: str = "p", days_ago: float = 0, live: bool = False) -> str:
    """A session written as the tracer writes it, ended ``days_ago``, with a trace holding an artifact."""
    session = Session(resolve(project=project, store=path))
    now_ms = time.time_ns() // 1_000_000
    span = Span("call", "llm", start_time_ms=now_ms, end_time_ms=now_ms + 5)
    span.add_named_result({"prompt": "q"}, {"text": "a"})
    session.add(TraceEncoder(Converter(65536), _add_artifact).encode(span))
    record = session.record(name, {}, {}, None)
    ended = datetime.now(timezone.utc) - timedelta(days=days_ago)
    record["ended_at"] = record["started_at"] = ended.isoformat(timespec="microseconds")
    store = Store(path)
    try:
        store.write_session(record, session.pending(), live=live)
    finally:
        store.close()
    return session.id


def _counts(path: str) -> dict[str, int]:
    """Rows per table, read from another process (this one's SQLite locks stay undisturbed)."""
    code = (
        "import sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1])\n"
        f"print(','.join(str(conn.execute(f'SELECT COUNT(*) FROM {{t}}').fetchone()[0]) for t in {TABLES!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, check=True).stdout
    return dict(zip(TABLES, map(int, out.strip().split(","))))


@pytest.fixture
def store(tmp_path):
    """A store with an evaluated session (scores, feedback), three old or new sessions and a live one."""
    path = str(tmp_path / "store.db")
    experiment = chaintracer.evaluate(
        lambda inputs: inputs["q"].upper(),
        [{"inputs": {"q": "a"}, "expected": "A"}, {"inputs": {"q": "b"}, "expected": "x"}],
        scorers=[exact_match],
        name="shout",
        store=path,
        progress=False,
    )
    (evaluated,) = experiment.sessions
    reader = Store(path)
    trace_id = reader.trace_ids(evaluated.id)[0]
    reader.add_feedback(trace_id, "helpful", 1.0)
    reader.close()
    ids = {
        "evaluated": evaluated.id,
        "old": _write(path, "old", days_ago=40),
        "old-other": _write(path, "old-other", project="other", days_ago=45),
        "recent": _write(path, "recent", days_ago=2),
        "live": _write(path, "running", days_ago=90, live=True),
    }
    return path, ids


def test_rm_deletes_a_session_with_its_traces_artifacts_scores_and_feedback(store, tmp_path):
    """`rm --yes` leaves no row of the session anywhere, and drops the experiment it was the only run of."""
    path, ids = store
    before = _counts(path)
    assert before["artifacts"] == 4 and before["scores"] == 2 and before["feedback"] == 1
    result = run_cli("rm", ids["evaluated"][:12], "old", "--yes", "--store", path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "deleted 2 sessions, 3 traces, 1 artifacts, 2 scores, 1 feedback, 1 experiments" in result.stdout
    after = _counts(path)
    assert after == {
        "sessions": before["sessions"] - 2,
        "traces": before["traces"] - 3,
        "artifacts": before["artifacts"] - 1,
        "example_runs": 0,
        "scores": 0,
        "feedback": 0,
        "experiments": 0,
    }
    listed = run_cli("sessions", "--store", path, cwd=tmp_path).stdout
    assert "old " not in listed and "recent" in listed and "old-other" in listed


def test_rm_without_a_terminal_needs_yes(store, tmp_path):
    """Piped or scripted, `rm` refuses without --yes, says so, and deletes nothing."""
    path, _ = store
    result = run_cli("rm", "old", "--store", path, cwd=tmp_path)
    assert result.returncode == 2 and "pass --yes" in result.stderr
    assert _counts(path)["sessions"] == 5


def _rm_on_a_terminal(path: str, answer: bytes, cwd: Path) -> tuple[int, str]:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "chaintracer.cli", "rm", "old", "--store", path],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=cwd,
    )
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + 60
    while b"[y/N]" not in output and time.monotonic() < deadline:
        output += os.read(controller, 4096)
    os.write(controller, answer)
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    code = process.wait(timeout=60)
    os.close(controller)
    return code, output.decode("utf-8", "replace")


def test_rm_asks_on_a_terminal(store, tmp_path):
    """On a terminal `rm` lists the session and asks; "n" keeps it, "y" deletes it."""
    path, ids = store
    code, output = _rm_on_a_terminal(path, b"n\n", tmp_path)
    assert code == 1 and "Delete 1 session(s) and 1 trace(s)? [y/N]" in output and "nothing deleted" in output
    assert ids["old"][:12] in output
    assert _counts(path)["sessions"] == 5
    code, output = _rm_on_a_terminal(path, b"y\n", tmp_path)
    assert code == 0 and "deleted 1 sessions" in output
    assert _counts(path)["sessions"] == 4


def test_rm_refuses_a_session_being_recorded(store, tmp_path):
    """A live session (its program still running) is not deleted: the program would write it again."""
    path, _ = store
    result = run_cli("rm", "running", "--yes", "--store", path, cwd=tmp_path)
    assert result.returncode == 2 and "being recorded" in result.stderr
    assert _counts(path)["sessions"] == 5


def test_prune_dry_run_lists_and_keeps(store, tmp_path):
    """`prune --older-than 30d --dry-run` lists the old sessions, not the recent or live ones, and deletes nothing."""
    path, ids = store
    result = run_cli("prune", "--older-than", "30d", "--dry-run", "--store", path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "would delete 2 session(s)" in result.stdout
    assert ids["old"][:12] in result.stdout and ids["old-other"][:12] in result.stdout
    assert ids["recent"][:12] not in result.stdout and ids["live"][:12] not in result.stdout
    assert "keeping 1 session(s) still being recorded" in result.stderr
    assert _counts(path)["sessions"] == 5


def test_prune_deletes_old_sessions_of_a_project(store, tmp_path):
    """`prune --older-than 30d --project p --yes` deletes that project's old sessions only."""
    path, ids = store
    result = run_cli("prune", "--older-than", "30d", "--project", "p", "--yes", "--store", path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "deleted 1 sessions, 1 traces, 1 artifacts" in result.stdout
    remaining = {s["id"] for s in _sessions(path)}
    assert remaining == {ids["evaluated"], ids["old-other"], ids["recent"], ids["live"]}
    none = run_cli("prune", "--older-than", "1w", "--project", "p", "--yes", "--store", path, cwd=tmp_path)
    assert none.returncode == 0 and "no sessions of project 'p' ended before" in none.stdout


def _sessions(path: str) -> list[dict]:
    store = Store(path, create=False)
    try:
        return store.sessions()
    finally:
        store.close()


def test_a_store_without_foreign_keys_is_cleaned_the_same(store, tmp_path):
    """Rows are deleted explicitly: a connection without PRAGMA foreign_keys leaves nothing behind either."""
    path, ids = store
    before = _counts(path)
    store_object = Store(path)
    conn = store_object._connection(writing=True)
    conn.execute("PRAGMA foreign_keys = OFF")
    deleted = store_object.delete_sessions([ids["evaluated"]])
    store_object.close()
    assert (deleted["traces"], deleted["scores"], deleted["feedback"], deleted["experiments"]) == (2, 2, 1, 1)
    counts = _counts(path)
    assert (counts["example_runs"], counts["scores"], counts["feedback"]) == (0, 0, 0)
    assert (counts["traces"], counts["artifacts"]) == (before["traces"] - 2, before["artifacts"])
