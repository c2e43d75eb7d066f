"""A program that ends without `flush_tracker` keeps its session, marked unflushed, and says so once."""

from __future__ import annotations

import pytest
from child import CHAIN_PROGRAM, cli, run, stored

ENDINGS = {
    "normal end": ("pass", 0),
    "sys.exit": ("sys.exit(3)", 3),
    "unhandled exception": ("raise RuntimeError('the program failed')", 1),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_exit_without_flush_saves_the_session_as_unflushed(tmp_path, ending):
    """Normal end, sys.exit or an exception: every finished trace and the open span are stored, once, as unflushed."""
    statement, code = ENDINGS[ending]
    store = tmp_path / "exit.db"
    program = CHAIN_PROGRAM + (
        "for i in range(5):\n    call(i)\n"
        # A span the program never ends (an abandoned stream, a run cut short).
        "tracer.recorder.start('open-run', None, 'chain', 'never ended')\n" + statement + "\n"
    )
    done = run(program, store)

    assert done.returncode == code, done.stderr
    notes = [line for line in done.stderr.splitlines() if line.startswith("chaintracer:")]
    assert len(notes) == 1, done.stderr
    assert "not flushed" in notes[0] and "unflushed" in notes[0] and "flush_tracker" in notes[0]
    sessions, names = stored(store)
    assert [(s["status"], s["summary"]["traces"]) for s in sessions] == [("unflushed", 6)]
    assert names == {f"t{i}" for i in range(5)} | {"never ended"}
    assert sessions[0]["summary"]["incomplete"] == 1
    listed = cli("sessions", store=store)
    assert listed.returncode == 0 and "unflushed" in listed.stdout, listed.stdout + listed.stderr


def test_a_flushed_program_writes_nothing_more_at_exit(tmp_path):
    """After `flush_tracker`, exiting adds no session, changes no status and prints nothing."""
    store = tmp_path / "flushed.db"
    program = CHAIN_PROGRAM + "for i in range(3):\n    call(i)\ntracer.flush_tracker(name='done')\n"
    done = run(program, store)

    assert done.returncode == 0, done.stderr
    assert "chaintracer" not in done.stderr
    sessions, names = stored(store)
    assert [(s["name"], s["status"]) for s in sessions] == [("done", "flushed")]
    assert len(names) == 3


def test_traces_after_the_last_flush_are_saved_at_exit(tmp_path):
    """Traces recorded after a `reset=False` flush are not lost when the program then ends."""
    store = tmp_path / "after.db"
    program = CHAIN_PROGRAM + ("call(0)\ntracer.flush_tracker(name='long', reset=False)\ncall(1)\ncall(2)\n")
    done = run(program, store)

    assert done.returncode == 0, done.stderr
    sessions, names = stored(store)
    assert [(s["name"], s["status"], s["summary"]["traces"]) for s in sessions] == [("long", "unflushed", 3)]
    assert names == {"t0", "t1", "t2"}
