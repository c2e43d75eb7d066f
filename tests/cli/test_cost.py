"""Cost: per model span, trace and session from a price table the user can extend; unknown is never 0."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest
from cli_helpers import run_cli
from langchain_core.language_models import FakeListChatModel

from chaintracer import Span, Tracer
from chaintracer.export import export_session
from chaintracer.exporters.wandb_rows import summary_metrics
from chaintracer.prices import PRICES_ENV, PriceTable, shipped
from chaintracer.spantree import find
from chaintracer.store import Store
from chaintracer.store.schema import SCHEMA_VERSION
from chaintracer.testing import flushed
from langchain_tracer import Tracer as LangChainTracer
from langchain_tracer.testing import ScriptedChatModel


def _model_spans(document: dict, kind: str = "chat_model") -> list[dict]:
    return [span for root in document["traces"] for span in find(root, kind=kind)]


def _trace_costs(store_path: str, session_id: str) -> list[float | None]:
    store = Store(store_path, create=False)
    try:
        return [row["cost"] for row in store.trace_page(session_id, 0, 50, None, None, "seq")[0]]
    finally:
        store.close()


def test_agent_costs_match_hand_computed_figures(scenarios):
    """At $2/$10 per 1M tokens: 5+3, 6+4 and 7+3 tokens cost $40, $52 and $44 per million calls, as summed."""
    calls = _model_spans(scenarios.documents["agent"])
    assert [(c["attributes"]["tokens"]["prompt"], c["attributes"]["tokens"]["completion"]) for c in calls] == [
        (5, 3),
        (6, 4),
        (7, 3),
    ]
    assert [c["attributes"]["cost"] for c in calls] == [
        {"input": 0.00001, "output": 0.00003, "total": 0.00004, "currency": "USD", "model": "scripted-chat"},
        {"input": 0.000012, "output": 0.00004, "total": 0.000052, "currency": "USD", "model": "scripted-chat"},
        {"input": 0.000014, "output": 0.00003, "total": 0.000044, "currency": "USD", "model": "scripted-chat"},
    ]
    assert _trace_costs(scenarios.store, scenarios.ids["agent"]) == [0.000092, 0.000044]
    cost = scenarios.documents["agent"]["session"]["summary"]["cost"]
    assert cost == {
        "total": 0.000136,
        "currency": "USD",
        "unknown_models": [],
        "unpriced_calls": 0,
        "by_model": {
            "scripted-chat": {"calls": 3, "tokens": {"prompt": 18, "completion": 10, "total": 28}, "cost": 0.000136}
        },
    }


def test_wandb_run_summary_carries_the_cost(scenarios):
    """The W&B run summary has a flat ``cost_usd`` beside ``tokens_total`` for charts (None when unknown)."""
    assert summary_metrics(scenarios.documents["agent"]["session"]["summary"])["cost_usd"] == 0.000136
    assert summary_metrics(scenarios.documents["li_rag"]["session"]["summary"])["cost_usd"] is None


def test_shipped_prices_price_a_known_model(scenarios):
    """A chat model reporting gpt-4o-mini costs $0.15/$0.60 per 1M tokens: 10 and 6 tokens are $0.0000051."""
    (call,) = _model_spans(scenarios.documents["rag"])
    assert call["attributes"]["tokens"] == {"prompt": 10, "completion": 6, "total": 16}
    assert call["attributes"]["cost"]["total"] == pytest.approx(10 * 0.15e-6 + 6 * 0.60e-6) == 0.0000051
    assert shipped()["gpt-4o-mini"].input == 0.15


def test_unknown_models_cost_unknown_not_zero(scenarios):
    """A model without a price: span cost null, trace cost NULL, session total null and the model named."""
    document = scenarios.documents["li_rag"]
    (call,) = _model_spans(document)
    assert call["attributes"]["model"] == "scripted-1" and call["attributes"]["cost"] is None
    assert _trace_costs(scenarios.store, scenarios.ids["li_rag"])[-1] is None
    cost = document["session"]["summary"]["cost"]
    assert (cost["total"], cost["unknown_models"], cost["unpriced_calls"]) == (None, ["scripted-1"], 1)
    assert cost["by_model"]["scripted-1"]["cost"] is None
    assert _trace_costs(scenarios.store, scenarios.ids["li_rag"])[0] == 0.0  # no model call: nothing spent


def test_sessions_and_show_print_the_cost(scenarios, tmp_path):
    """`chaintracer sessions` has a COST column; `show` prints the session's cost and its models'."""
    table = run_cli("sessions", "--store", scenarios.store, cwd=tmp_path).stdout.splitlines()
    assert "COST" in table[0]
    rows = {line.split()[0]: line for line in table[1:]}
    assert "$0.000136" in rows["agent"] and "$0.0000051" in rows["rag"] and "unknown" in rows["li_rag"]
    shown = run_cli("show", "li_rag", "--store", scenarios.store, cwd=tmp_path).stdout
    assert "cost unknown" in shown and "no price for scripted-1" in shown


def test_calls_without_token_counts_are_unknown_failed_ones_free(store_path):
    """A call that reported no usage costs unknown; a failed call that reported nothing costs nothing."""
    tracer = LangChainTracer(store=store_path, prices={"fake-list-chat-model": {"input": 1, "output": 1}})
    FakeListChatModel(responses=["hi"]).invoke("yo", config={"callbacks": [tracer]})
    failing = ScriptedChatModel(script=[RuntimeError("provider down")], model_name="gpt-4o")
    with pytest.raises(RuntimeError):
        failing.invoke("yo", config={"callbacks": [tracer]})
    document = flushed(tracer)
    fake, failed = (_model_spans(document)[0], _model_spans(document)[1])
    assert "tokens" not in fake["attributes"] and fake["attributes"]["cost"] is None
    assert failed["status"] == "error" and failed["attributes"]["cost"] is None
    cost = document["session"]["summary"]["cost"]
    assert (cost["total"], cost["unpriced_calls"], cost["unknown_models"]) == (None, 1, [])
    assert _trace_costs(store_path, document["session"]["id"]) == [None, 0.0]


@pytest.mark.parametrize(
    ("reported", "entry"),
    [
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("GPT-4o-mini", "gpt-4o-mini"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openai/gpt-4o", "gpt-4o"),
        ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("claude-3-5-sonnet-latest", "claude-3-5-sonnet"),
        ("us.anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku"),
        ("claude-3-5-haiku@20241022", "claude-3-5-haiku"),
        ("models/gemini-1.5-pro-002", "gemini-1.5-pro"),
        ("mistral-large-2411", "mistral-large"),
        ("chatgpt-4o-latest", "chatgpt-4o-latest"),
    ],
)
def test_model_names_match_their_price(reported, entry):
    """Provider prefixes and snapshot suffixes are matched to the base model's entry."""
    found = PriceTable.load(env={}).match(reported)
    assert found is not None and found[0] == entry


@pytest.mark.parametrize("reported", ["gpt-4o-audio-preview", "gpt-4-1106-preview", "llama3:8b", "my-finetune", ""])
def test_names_without_a_price_stay_unknown(reported):
    """Previews, local models and custom names are not guessed at: no price."""
    assert PriceTable.load(env={}).match(reported) is None


def test_user_prices_extend_and_override_the_table(tmp_path):
    """A CHAINTRACER_PRICES file adds models; Tracer(prices=...) wins over it and over the shipped table."""
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps({"models": {"house-llm": {"input": 1, "output": 3}, "gpt-4o": {"input": 9, "output": 9}}})
    )
    table = PriceTable.load({"gpt-4o": {"input": 5, "output": 20}}, env={PRICES_ENV: str(path)})
    cost = table.cost(["house-llm"], {"prompt": 1000, "completion": 1000, "total": 2000})
    assert cost == {"input": 0.001, "output": 0.003, "total": 0.004, "currency": "USD", "model": "house-llm"}
    assert table.match("gpt-4o-2024-08-06")[1].input == 5  # the argument's price, through the snapshot suffix
    assert table.match("gpt-4o-mini")[1].input == 0.15  # the rest of the shipped table is kept


def test_the_environment_file_prices_a_tracers_spans(tmp_path, monkeypatch):
    """A tracer picks CHAINTRACER_PRICES up: its model spans are priced from the file."""
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"house-llm": {"input": 4, "output": 8}}))
    monkeypatch.setenv(PRICES_ENV, str(path))
    tracer = Tracer(store=str(tmp_path / "t.db"))
    span = Span("call", "llm")
    span.add_attribute("model", "house-llm")
    span.add_attribute("tokens", {"prompt": 250, "completion": 125, "total": 375})
    tracer.log_trace(span)
    document = flushed(tracer)
    assert document["traces"][0]["attributes"]["cost"]["total"] == 250 * 4e-6 + 125 * 8e-6 == 0.002


@pytest.mark.parametrize(
    ("prices", "error", "match"),
    [
        ({"m": {"input": -1, "output": 1}}, ValueError, "'m' needs 'input'"),
        ({"m": {"input": 1}}, ValueError, "'m' needs 'output'"),
        ({"m": {"input": True, "output": 1}}, ValueError, "needs 'input'"),
        ({"m": 3}, ValueError, "'m' must be"),
        ({"": {"input": 1, "output": 1}}, ValueError, "model name"),
        (["gpt"], TypeError, "prices must map"),
    ],
)
def test_bad_prices_are_refused_naming_the_value(tmp_path, prices, error, match):
    """Tracer(prices=...) checks every entry and names the bad one."""
    with pytest.raises(error, match=match):
        Tracer(store=str(tmp_path / "t.db"), prices=prices)


def test_an_unreadable_prices_file_fails_at_construction(tmp_path, monkeypatch):
    """A CHAINTRACER_PRICES file that is not JSON of prices stops the tracer at construction, naming it."""
    path = tmp_path / "prices.json"
    path.write_text("{not json")
    monkeypatch.setenv(PRICES_ENV, str(path))
    with pytest.raises(ValueError, match="CHAINTRACER_PRICES"):
        Tracer(store=str(tmp_path / "t.db"))


def test_a_schema_4_store_gains_the_cost_column_in_place(tmp_path):
    """Readers see a schema-4 store's traces with cost unknown; the next writer adds the column, keeping the rows."""
    path = str(tmp_path / "old.db")
    tracer = Tracer(store=path)
    tracer.log_trace(Span("before", "chain"))
    old = tracer.flush_tracker(name="old", finish=True)
    tracer.store.close()
    with sqlite3.connect(path) as conn:  # back to schema 4, as the previous release wrote it
        conn.execute("ALTER TABLE traces DROP COLUMN cost")
        conn.execute("PRAGMA user_version = 4")
    conn.close()
    assert _trace_costs(path, old.id) == [None]

    tracer = Tracer(store=path)
    tracer.log_trace(Span("after", "chain"))
    new = tracer.flush_tracker(name="new", finish=True)
    tracer.store.close()
    assert _trace_costs(path, old.id) == [None] and _trace_costs(path, new.id) == [0.0]
    store = Store(path, create=False)
    assert [t["name"] for t in export_session(store, old.id)["traces"]] == ["before"]
    store.close()
    # From another process: this one's SQLite locks must not be disturbed.
    code = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA user_version').fetchone()[0])"
    version = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, check=True).stdout
    assert int(version) == SCHEMA_VERSION == 5
