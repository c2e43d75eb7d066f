"""Each corpus program, in each tracing mode, is recorded as LlamaIndex records itself (modulo folds)."""

from __future__ import annotations

import json
import re

import li_corpus_agents  # noqa: F401 - registers programs
import li_corpus_rag  # noqa: F401 - registers programs
import pytest
from li_compare import differences, expected
from li_corpus import MODES, PROGRAMS

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
