"""Each corpus program, in each tracing mode, is recorded as LlamaIndex records itself (modulo folds)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import li_corpus_agents  # noqa: F401 - registers programs
import li_corpus_rag  # noqa: F401 - registers programs
import pytest
from li_compare import differences, expected
from li_corpus import MODES, PROGRAMS

from llamaindex_tracer.folds import FOLDS

# LlamaIndex's workflow classes trip pydantic's and their own deprecation warnings; not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# Eight or more numbers in a row, in a string ("[0.5, 0.5, ...") or a list: an embedding vector.
VECTOR_TEXT = re.compile(r"\[\s*-?\d+(?:\.\d+)?(?:e-?\d+)?(?:\s*,\s*-?\d+(?:\.\d+)?(?:e-?\d+)?){7,}")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("program", PROGRAMS, ids=[p.name for p in PROGRAMS])
def test_program_is_recorded_as_llamaindex_records_it(program, mode, run_program):
    """Same spans, parents, names, kinds, errors and times as LlamaIndex's record; calls and tokens once."""
    outcome = run_program(program.run, mode)
    want = expected(mode, outcome.legacy, outcome.dispatcher)

    problems = differences(want, outcome.exported)
    assert not problems, "\n".join(problems)
    summary = outcome.exported["session"]["summary"]
    assert summary["tracer_errors"] == 0
    assert summary["llm_calls"] == outcome.run.model_requests
    assert summary["tool_calls"] == (0 if mode == "legacy" else outcome.run.tool_calls)
    assert summary["tokens"] == outcome.run.tokens
    assert [record.getMessage() for record in outcome.warnings] == []
    assert raw_vectors(outcome.exported) == []


def raw_vectors(value, path="$"):
    """Where an exported document holds something that looks like an embedding vector."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += raw_vectors(item, f"{path}.{key}")
    elif isinstance(value, list):
        if len(value) >= 8 and all(isinstance(item, float) for item in value):
            found.append(path)
        else:
            for n, item in enumerate(value):
                found += raw_vectors(item, f"{path}[{n}]")
    elif isinstance(value, str) and VECTOR_TEXT.search(value):
        found.append(f"{path}: {VECTOR_TEXT.search(value).group()[:40]}...")
    return found


# A run of the corpus in which each rule of the fold table changes what chaintracer records.
WITNESSES = {
    "private-method": ("rag_query", "instrumentation"),
    "call-wrapper": ("function_tool_calls", "instrumentation"),
    "same-request-model": ("custom_llm_chat_calls_complete", "instrumentation"),
    "structured-llm": ("structured_llm_complete", "instrumentation"),
    "nested-llm-event": ("custom_llm_chat_calls_complete", "legacy"),
    "trace-window": ("chat_context", "legacy"),
    "single-event-window": ("rag_query", "legacy"),
    "stream-work": ("rag_streaming", "legacy"),
    "legacy-only-event": ("tree_index_build_and_query", "both"),
    "stream-end": ("rag_streaming", "instrumentation"),
}


@pytest.mark.parametrize("fold", FOLDS, ids=[fold.name for fold in FOLDS])
def test_every_fold_in_the_table_is_exercised_by_the_corpus(fold, run_program):
    """Each documented fold has a corpus run where it applies: the table and the suite cannot drift apart."""
    name, mode = WITNESSES[fold.name]
    (program,) = [p for p in PROGRAMS if p.name == name]
    assert mode in fold.modes
    outcome = run_program(program.run, mode)
    applied: set[str] = set()
    want = expected(mode, outcome.legacy, outcome.dispatcher, applied)
    assert fold.name in applied
    assert differences(want, outcome.exported) == []


def test_corpus_has_at_least_25_programs_each_with_a_source_page():
    """The corpus is broad enough to mean something, and every program says where it came from."""
    assert len(PROGRAMS) >= 25
    assert len({p.name for p in PROGRAMS}) == len(PROGRAMS)
    assert all(p.source.startswith("https://developers.llamaindex.ai/python/") for p in PROGRAMS)


def test_raw_vector_check_finds_vectors_in_text_and_lists():
    """The vector check itself: it finds a list of floats and a node's repr, not a short list of numbers."""
    document = {"a": [0.5] * 8, "b": "TextNode(embedding=[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])", "c": [1, 2, 3]}
    assert raw_vectors(json.loads(json.dumps(document))) == [
        "$.a",
        "$.b: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5...",
    ]


def test_docs_list_every_fold_and_every_program():
    """docs/llamaindex-fidelity.md shows the fold table and the corpus as they are in the code."""
    text = (Path(__file__).parents[3] / "docs" / "llamaindex-fidelity.md").read_text()
    documented = set(re.findall(r"^\| `([a-z-]+)` \| [a-z, ]+ \| [a-z]+ \|", text, re.MULTILINE))
    assert documented == {fold.name for fold in FOLDS}
    listed = set(re.findall(r"^\| `([a-z_]+)` \| python/", text, re.MULTILINE))
    assert listed == {p.name for p in PROGRAMS}
    assert f"runs {len(PROGRAMS)} programs" in text
