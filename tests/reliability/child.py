"""Run traced programs in child processes and read what they left in the store from the parent.

The store is read from this (parent) process only after the child is gone, or from a fresh
connection that is closed at once: opening the database file from a process that also writes
it would drop SQLite's POSIX locks.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# A LangChain program: N traced invokes of a three-step chain, each logged with its finish time.
CHAIN_PROGRAM = """
import sys, time
from langchain_core.runnables import RunnableLambda
from langchain_tracer import Tracer

tracer = Tracer(project="reliability", store=STORE)
chain = RunnableLambda(lambda x: x + 1) | RunnableLambda(lambda x: x * 2) | RunnableLambda(str)
log = open(LOG, "w", buffering=1)

def call(i):
    chain.invoke(i, config={"callbacks": [tracer], "run_name": f"t{i}"})
    log.write(f"{i} {time.time()}\\n")
"""


def start(program: str, store: Path, log: Path | None = None, **env: str) -> subprocess.Popen[str]:
    """Starts ``program`` (Python source; ``STORE`` and ``LOG`` are defined for it) in a child."""
    prelude = f"STORE = {str(store)!r}\nLOG = {str(log) if log else os.devnull!r}\n"
    environment = {**os.environ, **env}
    environment.pop("CHAINTRACER_RAISE_INTERNAL_ERRORS", None)  # a user's program, not the test kit
    return subprocess.Popen(
        [sys.executable, "-c", prelude + textwrap.dedent(program)],
        cwd=store.parent,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(program: str, store: Path, timeout_s: float = 120.0, **env: str) -> subprocess.CompletedProcess[str]:
    """Runs ``program`` in a child to its end."""
    child = start(program, store, **env)
    out, err = child.communicate(timeout=timeout_s)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def finished_at(log: Path) -> dict[str, float]:
    """Trace name -> time its invoke returned, from a child's log (a torn last line is ignored)."""
    done: dict[str, float] = {}
    for line in log.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                done[f"t{int(parts[0])}"] = float(parts[1])
            except ValueError:
                continue
    return done


def stored(store: Path) -> tuple[list[dict[str, Any]], set[str]]:
    """The sessions (id, name, status) and the trace names in a store written by another process."""
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        sessions = [
            {"id": row[0], "name": row[1], "status": row[2], "summary": json.loads(row[3])}
            for row in conn.execute("SELECT id, name, status, summary FROM sessions")
        ]
        names = {row[0] for row in conn.execute("SELECT name FROM traces")}
    finally:
        conn.close()
    return sessions, names


def cli(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    """Runs the ``chaintracer`` command on ``store``."""
    return subprocess.run(
        [sys.executable, "-m", "chaintracer.cli", *args, "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
