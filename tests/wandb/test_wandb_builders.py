"""The pure builders of the W&B export (tables, trace spans, model dict) on real traced sessions.

No wandb here: the seed's three LangChain scenarios (``demo.langchain_scenarios``) and the
LlamaIndex ones are traced into a local store, and the builders read their export documents.
"""

from __future__ import annotations

import json

import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate
from wbenv import llama_settings_kept, outside_event_loop

from chaintracer.exporters import exporter_document
from chaintracer.exporters.wandb_rows import (
    ACTION_OLD_COLUMNS,
    ANALYSIS_OLD_COLUMNS,
    HISTORY_KEYS,
    analysis_table,
    summary_metrics,
    tables,
)
from chaintracer.exporters.wandb_text import grade_text
from chaintracer.exporters.wandb_tree import model_dict, ms_bounds, span_fields
from chaintracer.spantree import walk
from chaintracer.store import Store
from demo import langchain_scenarios, llamaindex_scenarios
from demo.scripted import ScriptedLLM
from langchain_tracer import Tracer
from langchain_tracer.architecture import describe

# The columns of langchain_community's WandbCallbackHandler.flush_tracker tables (for a session
# without complexity metrics or visualisations), as its _create_session_analysis_df builds them.
OLD_SESSION_ANALYSIS = [
    "prompt_step",
    "prompts",
    "name",
    "output_step",
    "output",
    "token_usage_total_tokens",
    "token_usage_prompt_tokens",
    "token_usage_completion_tokens",
    "chat_html",
]
# Keys its on_* callbacks put in action records (flatten_dict of serialized, llm_output and
# generation.dict(), its callback meta counters, and each callback's own keys).
OLD_ACTION_RECORDS = {
    "action",
    "name",
    "lc",
    "type",
    "id",
    "repr",
    "step",
    "starts",
    "ends",
    "errors",
    "text_ctr",
    "chain_starts",
    "chain_ends",
    "llm_starts",
    "llm_ends",
    "llm_streams",
    "tool_starts",
    "tool_ends",
    "agent_ends",
    "prompts",
    "token",
    "text",
    "model_name",
    "token_usage_prompt_tokens",
    "token_usage_completion_tokens",
    "token_usage_total_tokens",
    "input",
    "outputs",
    "input_str",
    "output",
    "tool",
    "tool_input",
    "log",
}


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """Export documents of the seed's scenarios, by session name, traced into a local store."""
    store_path = str(tmp_path_factory.mktemp("seed") / "chaintracer.db")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("CHAINTRACER_BACKENDS", raising=False)
        with llama_settings_kept():
            names = langchain_scenarios.run(store_path) + outside_event_loop(llamaindex_scenarios.run, store_path)
    store = Store(store_path)
    documents = {name: exporter_document(store, store.session(name)["id"]) for name in names}
    store.close()
    return documents


def records(table):
    return [dict(zip(table.columns, row)) for row in table.rows]


def test_action_records_keep_every_old_column_in_order(seed):
    """action_records starts with the old handler's columns, in its order, then chaintracer's own."""
    columns = tables(seed["agent"])["action_records"].columns
    assert set(columns) >= OLD_ACTION_RECORDS
    assert columns[: len(ACTION_OLD_COLUMNS)] == ACTION_OLD_COLUMNS
    assert columns.index("log") < columns.index("kind")  # ours come after the old ones


def test_session_analysis_keeps_the_old_columns_first(seed):
    """session_analysis begins with exactly the old handler's columns, ours beside them."""
    for name in ("simple_sequential", "synopsis_chain", "agent", "rag"):
        columns = tables(seed[name])["session_analysis"].columns
        assert columns[: len(OLD_SESSION_ANALYSIS)] == OLD_SESSION_ANALYSIS
        assert {"model", "status", "latency_ms", "trace_id", "span_id"} <= set(columns)


def test_llm_prompts_and_generations_are_plain_text(seed):
    """An LLM generating for several prompts: each row has the prompt and the generated text."""
    rows = tables(seed["simple_sequential"])["session_analysis"].records()
    assert [row["prompts"] for row in rows] == ["Tell me a joke", "Tell me a poem"] * 3
    assert rows[0]["output"] == "Why did the chicken cross the road? To trace the other side."
    # LangChain puts the batch's whole usage on the first prompt's run (LLMResult.flatten); each
    # prompt's run counts an even share of it instead (24 prompt and 69 tokens over 6 prompts).
    assert (rows[0]["token_usage_prompt_tokens"], rows[0]["token_usage_total_tokens"]) == (4, 12)
    assert sum(row["token_usage_total_tokens"] for row in rows) == 69
    assert "Tell me a joke:" in rows[0]["chat_html"] and "<blockquote>" in rows[0]["chat_html"]


def test_chain_rows_show_the_formatted_prompt_and_the_answer(seed):
    """A chain over titles: prompts are the formatted templates, the traces table the final review."""
    document = seed["synopsis_chain"]
    built = tables(document)
    prompts = [row["prompts"] for row in built["session_analysis"].records()]
    assert prompts[0].startswith("You are a playwright. Given the title of play, write a synopsis.\nTitle: ")
    assert len(prompts) == 2 * len(langchain_scenarios.TITLES)
    traces = built["traces"].records()
    assert [row["input"] for row in traces] == langchain_scenarios.TITLES
    assert {row["output"] for row in traces} <= {"A bold, moving play; the second act drags.", "Unmissable."}


def test_chat_model_prompts_read_like_a_conversation(seed):
    """Chat models: the prompt is the conversation as text, the output the reply or its tool call."""
    rows = tables(seed["agent"])["session_analysis"].records()
    first = rows[0]
    assert first["prompts"] == "System: Answer with the tools when they help.\nHuman: What is (17 + 25) * 3?"
    assert first["output"] == 'calculator({"expression": "(17 + 25) * 3"})'
    assert rows[1]["output"] == "The answer is 126."


def test_traces_table_shows_the_question_and_the_final_answer(seed):
    """The agent's traces table: the user's question and the agent's last answer, not message JSON."""
    traces = tables(seed["agent"])["traces"].records()
    assert [row["input"] for row in traces] == langchain_scenarios.QUESTIONS
    assert traces[0]["output"] == "The answer is 126."
    assert traces[2]["status"] == "error" and traces[2]["error"].startswith("ValueError: ")


def test_llamaindex_rows_are_text_too(seed):
    """LlamaIndex: query and response text in traces, the chat prompt as a conversation."""
    built = tables(seed["rag"])
    queries = [row for row in built["traces"].records() if row["name"].endswith(".query")]
    assert queries[0]["input"] == llamaindex_scenarios.QUESTIONS[0]
    assert queries[0]["output"].startswith(f"To '{llamaindex_scenarios.QUESTIONS[0]}'")
    analysis = built["session_analysis"].records()
    assert analysis[0]["prompts"].startswith("System: You are an expert Q&A system")
    assert analysis[0]["output"] == queries[0]["output"]
    agent = tables(seed["llamaindex_agent"])["traces"].records()
    assert agent[0]["input"] == "Which company did the author co-found, and what is twice its founding year?"
    assert agent[0]["output"].startswith("He co-founded Viaweb in 1995")


def test_action_records_count_like_the_session_and_step_the_analysis(seed):
    """Running counters end at the session's counts; prompt_step/output_step point at those rows."""
    for name, document in seed.items():
        built = tables(document)
        actions = built["action_records"].records()
        summary = document["session"]["summary"]
        last = actions[-1]
        assert (last["starts"], last["ends"], last["errors"]) == (summary["starts"], summary["ends"], summary["errors"])
        assert last["llm_starts"] == summary["llm_starts"] and last["tool_ends"] == summary["tool_ends"], name
        by_step = {row["step"]: row for row in actions}
        for row in built["session_analysis"].records():
            assert by_step[row["prompt_step"]]["action"] == "on_llm_start"
            assert by_step[row["prompt_step"]]["prompts"] == row["prompts"]
            assert by_step[row["output_step"]]["action"] in ("on_llm_end", "on_llm_error")
            assert row["prompt_step"] < row["output_step"]


def test_action_records_fill_the_old_callback_columns(seed):
    """Tools get input_str/output, LLM ends text/model_name/token_usage_*/type, chains input/outputs."""
    actions = tables(seed["agent"])["action_records"].records()
    tool_start = next(row for row in actions if row["action"] == "on_tool_start")
    assert (tool_start["name"], tool_start["input_str"]) == ("calculator", "(17 + 25) * 3")
    tool_end = next(row for row in actions if row["action"] == "on_tool_end")
    assert tool_end["output"] == "126"
    llm_end = next(row for row in actions if row["action"] == "on_llm_end" and row["text"] == "The answer is 126.")
    assert (llm_end["model_name"], llm_end["type"]) == ("scripted-chat", "ChatGeneration")
    assert (
        llm_end["token_usage_total_tokens"]
        == llm_end["token_usage_prompt_tokens"] + llm_end["token_usage_completion_tokens"]
    )
    agent_start = next(row for row in actions if row["action"] == "on_agent_start")
    assert agent_start["input"] == langchain_scenarios.QUESTIONS[0]
    failed = next(row for row in actions if row["action"] == "on_tool_error")
    assert failed["error"].startswith("ValueError: no fact about")
    simple = tables(seed["simple_sequential"])["action_records"].records()
    assert next(row for row in simple if row["action"] == "on_llm_end")["type"] == "Generation"


def test_legacy_agent_events_become_their_callback_rows():
    """on_agent_action / on_agent_finish events give rows with tool, tool_input, log and output."""
    document = {
        "traces": [
            _span(
                "agent",
                events=[
                    {"name": "agent_action", "time": "2026-01-01T00:00:00.100000+00:00", "payload": _ACTION},
                    {"name": "agent_finish", "time": "2026-01-01T00:00:00.200000+00:00", "payload": _FINISH},
                    {"name": "text", "time": "2026-01-01T00:00:00.300000+00:00", "payload": "thinking"},
                ],
            )
        ]
    }
    actions = tables(document)["action_records"].records()
    assert [row["action"] for row in actions] == [
        "on_agent_start",
        "on_agent_action",
        "on_agent_finish",
        "on_text",
        "on_agent_end",
    ]
    assert (actions[1]["tool"], actions[1]["tool_input"], actions[1]["log"]) == ("calculator", "2+2", "use calc")
    assert (actions[2]["output"], actions[2]["log"]) == ("4", "done")
    assert (actions[3]["text"], actions[3]["text_ctr"]) == ("thinking", 1)
    assert actions[-1]["agent_ends"] == 1 and actions[-1]["step"] == 5


_ACTION = {"tool": "calculator", "tool_input": "2+2", "log": "use calc"}
_FINISH = {"return_values": {"output": "4"}, "log": "done"}


def _span(kind, start="2026-01-01T00:00:00.000000+00:00", end="2026-01-01T00:00:01.000000+00:00", **extra):
    span = {
        "span_id": f"{kind}-1",
        "trace_id": f"{kind}-1",
        "parent_id": None,
        "name": kind,
        "kind": kind,
        "status": "ok",
        "error": None,
        "start_time": start,
        "end_time": end,
        "inputs": extra.pop("inputs", {"input": "2+2"}),
        "outputs": extra.pop("outputs", {"output": "4"}),
        "attributes": {"events": extra.pop("events", [])},
        "metrics": extra.pop("metrics", {}),
        "children": [],
    }
    span["attributes"].update(extra)
    return span


def test_generation_info_is_flattened_as_the_old_handler_did():
    """generation_info becomes generation_info_<key> columns (nested keys joined with _)."""
    outputs = {
        "generations": [[{"text": "hi", "generation_info": {"finish_reason": "stop", "logprobs": {"top": 1}}}]],
        "llm_output": {"model_name": "gpt-x"},
    }
    actions = tables({"traces": [_span("llm", inputs=["hello"], outputs=outputs)]})["action_records"]
    end = actions.records()[-1]
    assert (end["generation_info_finish_reason"], end["generation_info_logprobs_top"]) == ("stop", 1)
    assert end["model_name"] == "gpt-x" and end["text"] == "hi" and end["prompts"] is None


def test_text_standard_is_the_string_textstat_prints():
    """text_standard reads "7th and 8th grade" as textstat.text_standard(text) gives it."""
    span = _span("llm", inputs=["q"], outputs={"generations": [[{"text": "a"}]]}, metrics={"text_standard": 8.0})
    span["metrics"]["flesch_reading_ease"] = 90.5
    document = {"traces": [span]}
    (row,) = analysis_table(document, {}).records()
    assert row["text_standard"] == "7th and 8th grade" and row["flesch_reading_ease"] == 90.5
    span["metrics"]["text_standard"] = 12.0
    assert analysis_table(document, {}).records()[0]["text_standard"] == "11th and 12th grade"
    span["metrics"]["text_standard"] = 2.0
    assert analysis_table(document, {}).records()[0]["text_standard"] == "1st and 2nd grade"


def test_grade_text_is_formatted_by_textstat_rules():
    """grade_text(n) equals textstat's "{n-1}{suffix} and {n}{suffix} grade" for every grade it gives."""
    from textstat.backend.utils import get_grade_suffix

    for grade in range(1, 19):
        lower = grade - 1
        expected = f"{lower}{get_grade_suffix(lower)} and {grade}{get_grade_suffix(grade)} grade"
        assert grade_text(float(grade)) == expected
    assert grade_text(None) is None and grade_text("7th and 8th grade") == "7th and 8th grade"


def test_views_go_in_the_analysis_cells_under_the_old_names():
    """dependency and entities views fill dependency_tree/entities; prompt_output fills chat_html."""
    views = {"dependency": "dep.html", "entities": "ent.html", "prompt_output": "po.html"}
    span = _span("chat_model", inputs=[[{"role": "human", "content": "Hi"}]], visualizations=views)
    document = {
        "traces": [span],
        "artifacts": {"dep.html": "<svg>dep</svg>", "ent.html": "<div>ent</div>", "po.html": "<p>po</p>"},
    }
    analysis = analysis_table(document, {}, html=lambda content: ("Html", content))
    (row,) = analysis.records()
    assert analysis.columns[: len(ANALYSIS_OLD_COLUMNS) + 3] == [
        *ANALYSIS_OLD_COLUMNS,
        "dependency_tree",
        "entities",
        "chat_html",
    ]
    assert (row["dependency_tree"], row["entities"], row["chat_html"]) == (
        ("Html", "<svg>dep</svg>"),
        ("Html", "<div>ent</div>"),
        ("Html", "<p>po</p>"),
    )


def test_chat_html_escapes_model_text():
    """A prompt or output holding markup is shown as text in chat_html, never run as HTML."""
    span = _span("llm", inputs=["<script>x()</script>"], outputs={"generations": [[{"text": "<b>hi</b>\nthere"}]]})
    (row,) = analysis_table({"traces": [span]}, {}).records()
    assert "<script>" not in row["chat_html"] and "&lt;script&gt;x()&lt;/script&gt;" in row["chat_html"]
    assert "&lt;b&gt;hi&lt;/b&gt;<br>there" in row["chat_html"]


def test_summary_never_takes_a_table_key():
    """Summary metrics avoid the history keys, so the summary keeps pointing at the tables."""
    summary = {"traces": 3, "spans": 9, "tokens": {"total": 5}, "latency_ms": {"p50": 1.0, "p95": 2.0}}
    metrics = summary_metrics(summary)
    assert not set(metrics) & set(HISTORY_KEYS)
    assert (metrics["trace_count"], metrics["tokens_total"], metrics["latency_p95_ms"]) == (3, 5, 2.0)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-01-01T00:00:00.000100+00:00", "2026-01-01T00:00:00.000900+00:00", (1767225600000, 1767225600001)),
        ("2026-01-01T00:00:00.000900+00:00", "2026-01-01T00:00:00.001100+00:00", (1767225600000, 1767225600002)),
        ("2026-01-01T00:00:00.001000+00:00", "2026-01-01T00:00:00.002000+00:00", (1767225600001, 1767225600002)),
        ("2026-01-01T00:00:00.001000+00:00", "2026-01-01T00:00:00.001000+00:00", (1767225600001, 1767225600002)),
    ],
)
def test_sub_millisecond_spans_keep_a_width(start, end, expected):
    """Start rounds down and end up, so a span that ran is at least one millisecond wide."""
    assert ms_bounds(start, end) == expected


def test_every_seed_span_has_a_width_inside_its_parent(seed):
    """In every trace of the seed sessions, end > start and children lie within their parent."""
    for document in seed.values():
        for root in document["traces"]:
            stack = [span_fields(root)]
            while stack:
                span = stack.pop()
                assert span["end_time_ms"] > span["start_time_ms"], span["name"]
                for child in span["child_spans"]:
                    assert (
                        span["start_time_ms"] <= child["start_time_ms"] <= child["end_time_ms"] <= span["end_time_ms"]
                    )
                stack.extend(span["child_spans"])


def test_span_fields_name_w_and_b_kinds_and_status(seed):
    """Agent, chain, chat model and tool spans get AGENT, CHAIN, LLM and TOOL; errors their message."""
    root = seed["agent"]["traces"][2]
    kinds = {span["kind"]: span_fields(span)["span_kind"] for span in walk(root)}
    assert kinds == {"agent": "AGENT", "chain": "CHAIN", "chat_model": "LLM", "tool": "TOOL"}
    fields = span_fields(root)
    assert fields["status_code"] == "ERROR" and fields["status_message"].startswith("ValueError: no fact about")
    incomplete = span_fields({**seed["agent"]["traces"][0], "status": "incomplete", "children": []})
    assert incomplete["status_message"].startswith("incomplete")


def test_no_asset_no_model_dict():
    """A session flushed without an asset has no model dict (no empty architecture tab, no shared hash)."""
    assert model_dict(None) is None and model_dict({}) is None


def test_model_components_carry_kind_as_wandb_tracer_wrote_it(seed):
    """Every component of the model dict has ``_kind`` (llm, prompt, chain, tool...), none keeps ``kind``."""
    chain = model_dict(seed["synopsis_chain"]["session"]["model"])
    assert chain["_kind"] == "chain" and chain["name"] == "overall_chain"
    node_kinds = [node.get("_kind") for node in chain["nodes"]]
    assert node_kinds.count("prompt") == 2 and node_kinds.count("llm") == 2 and "chain" in node_kinds
    assert [model["_kind"] for model in chain["models"]] == ["llm", "llm"]
    agent = model_dict(seed["agent"]["session"]["model"])
    assert agent["_kind"] == "chain" and [tool["_kind"] for tool in agent["tools"]] == ["tool", "tool"]
    assert [model["_kind"] for model in agent["models"]] == ["chat_model"]
    assert model_dict(seed["simple_sequential"]["session"]["model"])["_kind"] == "llm"
    rag = model_dict(seed["rag"]["session"]["model"])
    assert rag["_kind"] == "query_engine" and rag["retriever"]["_kind"] == "retriever"
    for model in (chain, agent, rag):
        assert '"kind"' not in json.dumps(model)


def synopsis_chain(temperature=0.7):
    prompt = PromptTemplate.from_template("Title: {title}\nSynopsis:")
    return (prompt | ScriptedLLM(responses=["A play."], temperature=temperature) | StrOutputParser()).with_config(
        run_name="synopsis"
    )


def test_the_same_chain_is_described_the_same_every_time():
    """Two builds of one chain get identical descriptions: position ids, not LangChain's random ones."""
    first, second = describe(synopsis_chain()), describe(synopsis_chain())
    assert first == second
    assert [node["id"] for node in first["nodes"]] == ["0", "1", "2", "3", "4"]
    assert first["name"] == "synopsis"
    assert describe(synopsis_chain(temperature=0.1)) != first


def test_the_same_index_is_described_the_same_every_time():
    """Two builds of one LlamaIndex query engine get identical descriptions (no generated index id)."""
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.embeddings import MockEmbedding

    from llamaindex_tracer.architecture import describe as describe_index
    from llamaindex_tracer.testing import ScriptedLLM as IndexLLM

    def engine():
        documents = [Document(text=text) for text in llamaindex_scenarios.DOCUMENTS]
        index = VectorStoreIndex.from_documents(documents, embed_model=MockEmbedding(embed_dim=8))
        return index.as_query_engine(llm=IndexLLM(), similarity_top_k=2)

    first = describe_index(engine())
    assert first == describe_index(engine())
    assert "index_id" not in json.dumps(first)


def test_flushing_the_same_chain_twice_stores_the_same_model(store_path):
    """Two sessions flushed with fresh builds of one chain store equal models (so one W&B hash)."""
    tracer = Tracer(project="wb-builders", store=store_path)
    models = []
    for name in ("first", "second"):
        chain = synopsis_chain()
        chain.invoke({"title": "Hamlet"}, config={"callbacks": [tracer]})
        info = tracer.flush_tracker(chain, name=name)
        models.append(tracer.store.session(info.id)["model"])
    assert models[0] == models[1] and models[0]["type"] == "RunnableSequence"
