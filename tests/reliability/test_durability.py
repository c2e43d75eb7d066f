"""Finished traces reach the disk within 2 s, idle or busy, and survive `kill -9`."""

from __future__ import annotations

import random
import signal
import time

import pytest
from child import CHAIN_PROGRAM, cli, finished_at, start, stored

WINDOW_S = 2.0  # the README's promise: kill -9 loses only traces finished in the last 2 s


def _wait_for_line(child, text: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if text in line:
            return
        if child.poll() is not None:
            raise AssertionError(f"child exited early: {child.stderr.read()}")
    raise AssertionError(f"child never printed {text!r}")


def test_an_idle_program_has_its_traces_on_disk_within_two_seconds(tmp_path):
    """50 calls then idling (a notebook, a server between requests): all 50 are on disk 2 s later, before any flush."""
    store = tmp_path / "idle.db"
    program = CHAIN_PROGRAM + "for i in range(50):\n    call(i)\nprint('ready', flush=True)\ntime.sleep(60)\n"
    child = start(program, store)
    try:
        _wait_for_line(child, "ready")
        time.sleep(WINDOW_S)
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        child.kill()
    sessions, names = stored(store)
    assert names == {f"t{i}" for i in range(50)}
    assert [s["summary"]["traces"] for s in sessions] == [50]


@pytest.mark.slow
def test_kill_at_full_speed_loses_only_the_last_two_seconds(tmp_path):
    """SIGKILL at random moments of a busy loop: every trace that finished 2 s before the kill is in the store."""
    rng = random.Random(20261129)
    program = CHAIN_PROGRAM + "print('ready', flush=True)\ni = 0\nwhile True:\n    call(i)\n    i += 1\n"
    for attempt in range(3):
        store, log = tmp_path / f"busy{attempt}.db", tmp_path / f"busy{attempt}.log"
        child = start(program, store, log)
        try:
            _wait_for_line(child, "ready")
            time.sleep(rng.uniform(1.0, 4.0))
            killed_at = time.time()
            child.send_signal(signal.SIGKILL)
            child.wait(30)
        finally:
            child.kill()
        done = finished_at(log)
        _, names = stored(store) if store.exists() and store.stat().st_size else ([], set())
        lost = sorted(killed_at - at for name, at in done.items() if name not in names)
        assert not [age for age in lost if age > WINDOW_S], (
            f"attempt {attempt}: lost traces finished {lost[-3:]} s before"
        )
        assert done, "the child finished no call"
        # Readers accept whatever the kill left behind. On a loaded machine the kill can come before the
        # first spill (every finished trace still inside the window): then there is no store to read.
        listed = cli("sessions", store=store)
        if store.exists():
            assert listed.returncode == 0, listed.stderr
        else:
            assert listed.returncode == 2 and "no chaintracer store" in listed.stderr, listed.stderr


def test_the_first_write_survives_kills_at_any_moment(tmp_path):
    """Killing a program while it creates its store never leaves a file the CLI rejects."""
    rng = random.Random(7)
    program = CHAIN_PROGRAM + "print('ready', flush=True)\ni = 0\nwhile True:\n    call(i)\n    i += 1\n"
    for attempt in range(6):
        store = tmp_path / f"first{attempt}.db"
        child = start(program, store)
        try:
            _wait_for_line(child, "ready")
            time.sleep(rng.uniform(0.0, 0.8))  # around the first spill (~0.5 s after the first trace)
            child.send_signal(signal.SIGKILL)
            child.wait(30)
        finally:
            child.kill()
        if not store.exists():
            continue
        listed = cli("sessions", store=store)
        assert listed.returncode == 0, f"attempt {attempt}: {listed.stderr}"
