"""An experiment exported to W&B (offline): one run per variant in one group, params, score means, a table."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import chaintracer
from chaintracer import scorers
from chaintracer.export import export_session
from chaintracer.exporters.wandb_eval import evaluation_table


def _load_runfile():
    """tests/wandb/runfile.py (the offline run file reader), loaded by path: no sys.path changes."""
    path = Path(__file__).parents[1] / "wandb" / "runfile.py"
    spec = importlib.util.spec_from_file_location("wandb_runfile_reader", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


read_run = _load_runfile().read_run

DATA = [{"inputs": {"word": w}, "expected": w.upper(), "id": w} for w in ("ant", "bee", "cat")]


def shout(inputs, volume):
    return inputs["word"].upper() if volume == "loud" else inputs["word"]


@pytest.fixture
def wandb_env(tmp_path, monkeypatch):
    """Hermetic offline W&B, every file under tmp_path (as in tests/wandb)."""
    root = tmp_path / "wb"
    for key, value in {
        "WANDB_MODE": "offline",
        "WANDB_DIR": str(root),
        "WANDB_DATA_DIR": str(root / "data"),
        "WANDB_CACHE_DIR": str(root / "cache"),
        "WANDB_CONFIG_DIR": str(root / "config"),
        "XDG_CACHE_HOME": str(root / "xdg"),
        "WANDB_X_DISABLE_STATS": "true",
        "WANDB_SILENT": "true",
        "NETRC": str(tmp_path / "no-netrc"),
        "HOME": str(tmp_path / "home"),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    (tmp_path / "home").mkdir()
    root.mkdir()
    yield root
    import wandb

    wandb.teardown()


def test_each_variant_is_a_run_with_params_scores_and_an_evaluation_table(wandb_env, store_path):
    """Runs share the experiment's group; config has the params, summary the means, and a table the rows."""
    exp = chaintracer.evaluate(
        shout,
        DATA,
        scorers=[scorers.exact_match, scorers.levenshtein],
        variants={"loud": {"volume": "loud"}, "quiet": {"volume": "quiet"}},
        name="volume",
        project="wb-experiments",
        store=store_path,
        backends=["wandb"],
        framework="none",
    )
    assert [s.exports["wandb"]["status"] for s in exp.sessions] == ["pushed", "pushed"]
    runs = {}
    for run_dir in sorted((wandb_env / "wandb").glob("offline-run-*")):
        run = read_run(run_dir)
        runs[run["run"]["name"]] = (run_dir, run)
    assert sorted(runs) == ["volume:loud", "volume:quiet"]
    groups = {run["run"]["group"] for _, run in runs.values()}
    assert groups == {f"volume-{exp.id[:8]}"}
    run_dir, quiet = runs["volume:quiet"]
    assert quiet["config"]["volume"] == "quiet" and quiet["config"]["variant"] == "quiet"
    assert quiet["summary"]["scores"]["exact_match"] == 0.0
    assert runs["volume:loud"][1]["summary"]["scores"] == {"exact_match": 1.0, "levenshtein": 1.0}
    (row,) = [h for h in quiet["history"] if "evaluation/path" in h]
    table = json.loads((run_dir / "files" / row["evaluation/path"]).read_text())
    assert table["columns"][:5] == ["example", "id", "inputs", "expected", "output"]
    assert table["columns"][-2:] == ["exact_match", "levenshtein"]
    assert [r[4] for r in table["data"]] == ["ant", "bee", "cat"]
    assert [r[-2] for r in table["data"]] == [0.0, 0.0, 0.0]


def test_evaluation_rows_carry_scores_and_feedback(store_path):
    """The pure row builder: one row per example, scores then feedback keys (the latest feedback wins)."""
    exp = chaintracer.evaluate(
        shout, DATA, scorers=[scorers.exact_match], variants={"loud": {"volume": "loud"}}, store=store_path
    )
    store = chaintracer.Store(store_path)
    document = export_session(store, exp.sessions[0].id)
    first = document["traces"][0]["trace_id"]
    store.add_feedback(first, "funny", 0.0)
    store.add_feedback(first, "funny", 1.0, comment="on second thought")
    assert exp.summary()["loud"]["funny"] == {"mean": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n": 1}  # latest wins
    columns, rows = evaluation_table(export_session(store, exp.sessions[0].id))
    assert columns[-2:] == ["exact_match", "funny"]
    assert [(row[0], row[-2], row[-1]) for row in rows] == [(0, 1.0, 1.0), (1, 1.0, None), (2, 1.0, None)]
    plain = chaintracer.Tracer(store=store_path)
    with plain.span("not an experiment"):
        pass
    assert evaluation_table(export_session(store, plain.flush_tracker(name="plain").id)) is None
