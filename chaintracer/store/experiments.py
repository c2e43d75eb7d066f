"""The store's experiment tables: experiments, example runs, scores and human feedback.

A mixin of ``Store`` (it uses the store's ``_transaction``).
Scores and feedback are known only after a trace is stored, so they live in tables of their
own and ``chaintracer.export`` merges them into the export document when it is read. The read
methods serve ``chaintracer.experiments`` (summaries, comparisons, resume), the CLI and the
viewer's Experiments page (experiment list, per-example grid, a score against a parameter).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from typing import Any

from chaintracer.spantree import walk

_EXPERIMENT_COLUMNS = (
    "id",
    "name",
    "project",
    "created_at",
    "status",
    "dataset_hash",
    "examples",
    "repetitions",
    "variants",
    "scorers",
)
# Values of the scores and the latest feedback per (trace, key), with their example: the rows
# every summary and comparison is computed from. Feedback comes second: it wins a name clash.
_VALUES_SQL = """
SELECT r.variant, r.repetition, r.example_index, r.example_id, r.session_id, r.trace_id, s.name, s.value, 0
FROM example_runs r JOIN scores s ON s.session_id = r.session_id AND s.trace_id = r.trace_id
WHERE {where}
UNION ALL
SELECT r.variant, r.repetition, r.example_index, r.example_id, r.session_id, r.trace_id, f.key, f.score, 1
FROM example_runs r JOIN feedback f ON f.session_id = r.session_id AND f.trace_id = r.trace_id
WHERE {where} AND f.id = (SELECT max(g.id) FROM feedback g WHERE g.trace_id = f.trace_id AND g.key = f.key)
"""
VALUE_COLUMNS = ("variant", "repetition", "index", "id", "session_id", "trace_id", "name", "value", "feedback")


class ExperimentNotFound(LookupError):
    """No experiment with that id or name."""


class ExperimentStore:
    """Experiment tables of the store (mixed into ``Store``)."""

    # Provided by Store.
    path: Any

    def _transaction(self, writing: bool) -> AbstractContextManager[Any]:  # pragma: no cover - Store's
        raise NotImplementedError

    def _query(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with self._transaction(writing=False) as conn:
            return conn.execute(sql, params).fetchall()

    def trace_ids(self, session_id: str) -> list[str]:
        """The ids of a session's traces, in the order the store lists them."""
        rows = self._query("SELECT trace_id FROM traces WHERE session_id = ? ORDER BY start_time, seq", [session_id])
        return [row[0] for row in rows]

    # -- writing --------------------------------------------------------------------------

    def write_experiment(self, record: dict[str, Any]) -> None:
        """Creates (or rewrites) an experiment's row."""
        row = [record[key] for key in _EXPERIMENT_COLUMNS]
        row[8] = _dumps(row[8])
        row[9] = _dumps(row[9])
        with self._transaction(writing=True) as conn:
            conn.execute(f"INSERT OR REPLACE INTO experiments VALUES ({','.join('?' * len(row))})", row)

    def set_experiment_status(self, experiment_id: str, status: str) -> None:
        """Marks an experiment running, done or interrupted."""
        with self._transaction(writing=True) as conn:
            conn.execute("UPDATE experiments SET status = ? WHERE id = ?", (status, experiment_id))

    def write_example_results(self, session_id: str, results: list[dict[str, Any]]) -> None:
        """Records example runs and their scores (``{"trace_id", ..., "scores": {name: detail}}``) at once."""
        runs = [
            (
                session_id,
                r["trace_id"],
                r["experiment_id"],
                r["variant"],
                r["repetition"],
                r["index"],
                None if r.get("id") is None else _dumps(r["id"]),
                r.get("error"),
            )
            for r in results
        ]
        scores = [
            (session_id, r["trace_id"], name, _value(detail), _dumps(detail))
            for r in results
            for name, detail in r["scores"].items()
        ]
        with self._transaction(writing=True) as conn:
            conn.executemany("INSERT OR REPLACE INTO example_runs VALUES (?,?,?,?,?,?,?,?)", runs)
            conn.executemany("INSERT OR REPLACE INTO scores VALUES (?,?,?,?,?)", scores)

    def add_feedback(
        self, trace_id: str, key: str, score: float, comment: str | None = None, span_id: str | None = None
    ) -> dict[str, Any]:
        """Stores feedback on a stored trace (its root span, or ``span_id``); returns the entry."""
        rows = self._query("SELECT session_id, tree FROM traces WHERE trace_id = ? LIMIT 1", [trace_id])
        if not rows:
            raise ValueError(f"no trace {trace_id!r} in {self.path} (is its session flushed?)")
        session_id, tree = rows[0][0], json.loads(rows[0][1])
        if span_id is None:
            span_id = tree["span_id"]
        elif not any(span["span_id"] == span_id for span in walk(tree)):
            raise ValueError(f"trace {trace_id!r} has no span {span_id!r}")
        at = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        with self._transaction(writing=True) as conn:
            conn.execute(
                "INSERT INTO feedback (session_id, trace_id, span_id, key, score, comment, at) VALUES (?,?,?,?,?,?,?)",
                (session_id, trace_id, span_id, key, score, comment, at),
            )
        return {"key": key, "score": score, "comment": comment, "at": at, "session_id": session_id}

    def absorb_session(self, target_id: str, source_id: str, summary: dict[str, Any]) -> None:
        """Moves a session's recorded example runs into another (a resumed experiment's) and drops it.

        Only the traces that have an example run move (with their scores and feedback); the
        target's summary becomes ``summary`` (the caller recounts it over the merged traces).
        """
        with self._transaction(writing=True) as conn:
            (last,) = conn.execute("SELECT coalesce(max(seq), -1) FROM traces WHERE session_id = ?", (target_id,))
            moved = [
                row[0]
                for row in conn.execute(
                    "SELECT t.seq FROM traces t JOIN example_runs r ON r.session_id = t.session_id"
                    " AND r.trace_id = t.trace_id WHERE t.session_id = ? ORDER BY t.seq",
                    (source_id,),
                )
            ]
            for offset, seq in enumerate(moved, start=last[0] + 1):
                conn.execute(
                    "UPDATE traces SET session_id = ?, seq = ? WHERE session_id = ? AND seq = ?",
                    (target_id, offset, source_id, seq),
                )
            for table in ("example_runs", "scores", "feedback"):
                conn.execute(
                    f"UPDATE {table} SET session_id = ? WHERE session_id = ? AND trace_id IN"
                    " (SELECT trace_id FROM traces WHERE session_id = ?)",
                    (target_id, source_id, target_id),
                )
            conn.execute(
                "UPDATE sessions SET summary = ?, started_at = min(started_at,"
                " (SELECT started_at FROM sessions WHERE id = ?)) WHERE id = ?",
                (_dumps(summary), source_id, target_id),
            )
            conn.execute("DELETE FROM sessions WHERE id = ?", (source_id,))

    # -- reading --------------------------------------------------------------------------

    def experiments(self, project: str | None = None) -> list[dict[str, Any]]:
        """Every experiment, newest first, with its sessions' count."""
        sql = f"SELECT {', '.join(_EXPERIMENT_COLUMNS)} FROM experiments"
        params: list[Any] = []
        if project is not None:
            sql += " WHERE project = ?"
            params.append(project)
        return [_experiment(row) for row in self._query(sql + " ORDER BY created_at DESC, rowid DESC", params)]

    def experiment(self, ref: str) -> dict[str, Any]:
        """One experiment by id or name (the latest with that name)."""
        columns = ", ".join(_EXPERIMENT_COLUMNS)
        rows = self._query(f"SELECT {columns} FROM experiments WHERE id = ?", [ref]) or self._query(
            f"SELECT {columns} FROM experiments WHERE name = ? ORDER BY created_at DESC, rowid DESC LIMIT 1", [ref]
        )
        if not rows:
            raise ExperimentNotFound(f"no experiment with id or name {ref!r} in {self.path}")
        return _experiment(rows[0])

    def experiment_sessions(self, experiment_id: str) -> list[dict[str, Any]]:
        """``{"variant", "repetition", "session_id", "examples"}`` of each session holding its runs."""
        rows = self._query(
            "SELECT variant, repetition, session_id, count(*) FROM example_runs WHERE experiment_id = ?"
            " GROUP BY variant, repetition, session_id ORDER BY variant, repetition",
            [experiment_id],
        )
        return [dict(zip(("variant", "repetition", "session_id", "examples"), row)) for row in rows]

    def example_runs(self, session_id: str) -> list[dict[str, Any]]:
        """The example runs recorded in a session: trace id, example index and id, target error."""
        rows = self._query(
            "SELECT trace_id, experiment_id, variant, repetition, example_index, example_id, error"
            " FROM example_runs WHERE session_id = ? ORDER BY example_index",
            [session_id],
        )
        keys = ("trace_id", "experiment_id", "variant", "repetition", "index", "id", "error")
        return [{**dict(zip(keys, row)), "id": _loads(row[5])} for row in rows]

    def score_values(self, experiment_id: str | None = None, session_id: str | None = None) -> list[dict[str, Any]]:
        """Every score and feedback value (the latest per trace and key) of an experiment or a session."""
        where, param = (
            ("r.experiment_id = ?", experiment_id) if session_id is None else ("r.session_id = ?", session_id)
        )
        rows = self._query(_VALUES_SQL.format(where=where), [param, param])
        return [{**dict(zip(VALUE_COLUMNS, row)), "id": _loads(row[3]), "feedback": bool(row[8])} for row in rows]

    def annotations(self, session_id: str) -> dict[str, Any]:
        """What the export merges in: scores per trace, feedback per span, score means of the session."""
        scores: dict[str, dict[str, Any]] = {}
        for trace_id, name, detail in self._query(
            "SELECT trace_id, name, detail FROM scores WHERE session_id = ? ORDER BY rowid", [session_id]
        ):
            scores.setdefault(trace_id, {})[name] = json.loads(detail)
        feedback: dict[str, list[dict[str, Any]]] = {}
        latest: dict[tuple[str, str], float] = {}
        for trace_id, span_id, key, score, comment, at in self._query(
            "SELECT trace_id, span_id, key, score, comment, at FROM feedback WHERE session_id = ? ORDER BY id",
            [session_id],
        ):
            feedback.setdefault(span_id, []).append({"key": key, "score": score, "comment": comment, "at": at})
            latest[(trace_id, key)] = score
        values: dict[str, dict[str, float]] = {}
        for (trace_id, name), value in [
            *(((t, n), _value(d)) for t, named in scores.items() for n, d in named.items()),
            *latest.items(),
        ]:
            if value is not None:
                values.setdefault(name, {})[trace_id] = value
        means = {name: math.fsum(v.values()) / len(v) for name, v in sorted(values.items())}
        return {"scores": scores, "feedback": feedback, "means": means}

    def experiment_grid(self, experiment_id: str) -> list[dict[str, Any]]:
        """Per example: each variant/repetition's output preview, status, latency, tokens and scores."""
        rows = self._query(
            "SELECT r.example_index, r.example_id, r.variant, r.repetition, r.session_id, r.trace_id, t.seq,"
            " t.status, t.latency_ms, t.tokens, t.input, t.output, r.error FROM example_runs r JOIN traces t"
            " ON t.session_id = r.session_id AND t.trace_id = r.trace_id WHERE r.experiment_id = ?"
            " ORDER BY r.example_index, r.variant, r.repetition",
            [experiment_id],
        )
        values: dict[tuple[str, str], dict[str, float | None]] = {}
        for value in self.score_values(experiment_id):
            values.setdefault((value["session_id"], value["trace_id"]), {})[value["name"]] = value["value"]
        grid: dict[int, dict[str, Any]] = {}
        for index, example_id, variant, repetition, session_id, trace_id, seq, status, latency, tokens, *rest in rows:
            entry = grid.setdefault(index, {"index": index, "id": _loads(example_id), "input": rest[0], "runs": []})
            entry["runs"].append(
                {
                    "variant": variant,
                    "repetition": repetition,
                    "session_id": session_id,
                    "trace_id": trace_id,
                    "seq": seq,
                    "status": status,
                    "latency_ms": latency,
                    "tokens": tokens,
                    "output": rest[1],
                    "error": rest[2],
                    "scores": values.get((session_id, trace_id), {}),
                }
            )
        return list(grid.values())

    def score_by_param(self, experiment_id: str, name: str, param: str) -> list[dict[str, Any]]:
        """A score's mean per variant against a numeric variant param (e.g. temperature), by param."""
        variants = self.experiment(experiment_id)["variants"]
        sums: dict[str, list[float]] = {}
        for value in self.score_values(experiment_id):
            if value["name"] == name and value["value"] is not None:
                sums.setdefault(value["variant"], []).append(value["value"])
        points = []
        for variant, params in variants.items():
            x = params.get(param) if isinstance(params, dict) else None
            if isinstance(x, (int, float)) and not isinstance(x, bool) and variant in sums:
                scored = sums[variant]
                points.append(
                    {"variant": variant, "param": x, "mean": math.fsum(scored) / len(scored), "n": len(scored)}
                )
        return sorted(points, key=lambda point: point["param"])


def _experiment(row: tuple[Any, ...]) -> dict[str, Any]:
    record: dict[str, Any] = dict(zip(_EXPERIMENT_COLUMNS, row))
    record["variants"] = json.loads(record["variants"])
    record["scorers"] = json.loads(record["scorers"])
    return record


def _value(detail: Any) -> float | None:
    """The number a stored score stands for (bools as 0/1; failed scores are None)."""
    if isinstance(detail, dict):
        detail = detail.get("value")
    if isinstance(detail, bool):
        return float(detail)
    if isinstance(detail, (int, float)):
        return float(detail)
    return None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def iter_values(rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The value rows with feedback applied over a scorer's value of the same name (clash)."""
    chosen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["session_id"], row["trace_id"], row["name"])
        if key not in chosen or row["feedback"]:
            chosen[key] = row
    yield from chosen.values()
