"""What a W&B run of an experiment session adds: params in its config, an ``evaluation`` table.

Pure functions of the export document (no wandb import); ``wandb_rows.tables`` and
``chaintracer.exporters.wandb`` call them. Each variant session is a run in the experiment's
group (the session's ``group``), its config carries the variant's params at the top level (so
run comparison and parallel coordinates can use them), its summary the score means (``summary["scores"]``, merged in by
the export), and the ``evaluation`` table one row per example with its output and scores.
"""

from __future__ import annotations

from typing import Any

from chaintracer.spantree import as_text, clip, duration_ms, walk

BASE_COLUMNS = ["example", "id", "inputs", "expected", "output", "status", "error", "latency_ms", "tokens"]


def run_config(session: dict[str, Any]) -> dict[str, Any]:
    """Config keys of a variant session's run: experiment, variant, repetition and each param."""
    experiment = (session.get("config") or {}).get("experiment")
    if not isinstance(experiment, dict):
        return {}
    params = experiment.get("params")
    if not isinstance(params, dict):
        params = {}
    return {
        "experiment_name": experiment.get("name"),
        "experiment_id": experiment.get("id"),
        "variant": experiment.get("variant"),
        "repetition": experiment.get("repetition"),
        **params,
    }


def evaluation_table(document: dict[str, Any]) -> tuple[list[str], list[list[Any]]] | None:
    """``(columns, rows)`` of the ``evaluation`` table (one row per example), or None outside experiments."""
    roots = [root for root in document["traces"] if "example" in (root.get("attributes") or {})]
    if not roots:
        return None
    names: list[str] = []
    for root in roots:
        for name in [*(root.get("scores") or {}), *(entry["key"] for entry in _feedback(root))]:
            if name not in names:
                names.append(name)
    rows = []
    for root in sorted(roots, key=lambda r: r["attributes"]["example"].get("index", 0)):
        example = root["attributes"]["example"]
        values = {name: _number(detail) for name, detail in (root.get("scores") or {}).items()}
        values.update({entry["key"]: entry["score"] for entry in _feedback(root)})  # the latest wins
        error = root.get("error") or {}
        tokens = sum(
            ((span.get("attributes") or {}).get("tokens") or {}).get("total", 0) or 0
            for span in walk(root)
            if isinstance((span.get("attributes") or {}).get("tokens"), dict)
        )
        rows.append(
            [
                example.get("index"),
                None if example.get("id") is None else str(example["id"]),
                clip(as_text(root.get("inputs")), 2000),
                clip(as_text(example.get("expected")), 2000),
                clip(as_text(root.get("outputs")), 2000),
                root["status"],
                f"{error.get('type')}: {error.get('message')}" if error else "",
                duration_ms(root),
                tokens,
                *(values.get(name) for name in names),
            ]
        )
    return [*BASE_COLUMNS, *names], rows


def _feedback(root: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry for span in walk(root) for entry in span.get("feedback") or ()]


def _number(detail: Any) -> float | None:
    if isinstance(detail, dict):
        detail = detail.get("value")
    if isinstance(detail, bool):
        return float(detail)
    return float(detail) if isinstance(detail, (int, float)) else None
