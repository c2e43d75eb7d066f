"""The store's experiment reads the viewer will use: the list, the per-example grid, a score by param."""

from __future__ import annotations

import io
import sys

import chaintracer
from chaintracer import scorers
from chaintracer.experiments.progress import Progress

DATA = [{"inputs": {"word": w}, "expected": w, "id": w} for w in ("a", "bb", "ccc")]


def truncate(inputs, keep):
    return inputs["word"][:keep]


def test_grid_and_score_by_numeric_param(store_path):
    """experiment_grid lines up each example's runs; score_by_param charts a score against a numeric param."""
    exp = chaintracer.evaluate(
        truncate,
        DATA,
        scorers=[scorers.exact_match],
        variants={"one": {"keep": 1}, "two": {"keep": 2}, "three": {"keep": 3}},
        name="truncation",
        store=store_path,
        framework="none",
    )
    store = chaintracer.Store(store_path)
    (listed,) = store.experiments()
    assert (listed["id"], listed["variants"]["two"], listed["examples"]) == (exp.id, {"keep": 2}, 3)
    grid = store.experiment_grid(exp.id)
    assert [row["id"] for row in grid] == ["a", "bb", "ccc"]
    ccc = {run["variant"]: run for run in grid[2]["runs"]}
    assert {variant: run["output"] for variant, run in ccc.items()} == {"one": "c", "two": "cc", "three": "ccc"}
    assert ccc["three"]["scores"] == {"exact_match": 1.0} and ccc["one"]["scores"] == {"exact_match": 0.0}
    assert isinstance(ccc["one"]["seq"], int) and ccc["one"]["status"] == "ok"  # enough to open the trace
    points = store.score_by_param(exp.id, "exact_match", "keep")
    assert [(p["param"], round(p["mean"], 3), p["n"]) for p in points] == [(1, 0.333, 3), (2, 0.667, 3), (3, 1.0, 3)]


def test_progress_bar_draws_in_a_terminal_and_stays_quiet_elsewhere(monkeypatch):
    """The progress bar redraws one line on a terminal; on a pipe it prints nothing."""
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    quiet = Progress(3, "exp")
    quiet.update("a")
    quiet.close()
    assert out.getvalue() == ""
    shown = Progress(2, "exp", enabled=True)
    shown.update("variant-a")
    shown.update("variant-a")
    shown.close()
    assert "2/2 variant-a" in out.getvalue() and out.getvalue().startswith("\r[")
