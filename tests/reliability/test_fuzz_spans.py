"""Manual span trees of any shape are stored: fuzzed trees through the public ``chaintracer.Span`` API.

Hypothesis (seeded: ``derandomize=True``) builds trees with odd names, kinds, statuses, times,
attributes, results and nesting down to 700 levels; what the API refuses it refuses with a
``TypeError``/``ValueError`` naming the value, and everything it accepts is stored and exported.
"""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys
from dataclasses import dataclass, field

import hypothesis
import pytest
from export_contract import validate_export
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaintracer import Result, Span, SpanKind, Status, Tracer
from chaintracer.testing import flushed, walk

T0 = 1_700_000_000_000  # 2023-11-14T22:13:20Z, in milliseconds
# Spans deeper than this hang under their ancestor at this depth (chaintracer.encoding's cap,
# written again here: a test reading the product's constant could not notice it change).
MAX_SPAN_DEPTH = 64
FUZZ_SETTINGS = settings(
    derandomize=True,  # the same examples on every run and in CI
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(autouse=True, scope="module")
def hypothesis_home(tmp_path_factory):
    """Hypothesis keeps its Unicode tables under a temporary folder, not in the checkout."""
    previous = hypothesis.configuration.storage_directory()
    hypothesis.configuration.set_hypothesis_home_dir(str(tmp_path_factory.mktemp("hypothesis")))
    yield
    hypothesis.configuration.set_hypothesis_home_dir(str(previous))


@dataclass
class Plan:
    """What to build for one span, drawn by hypothesis."""

    name: str | None
    kind: object
    status: object
    message: str | None
    start_ms: int
    duration_ms: int | None
    attributes: dict
    results: list
    children_in_constructor: bool
    children: list = field(default_factory=list)


surrogate_text = st.builds(
    lambda left, lone, right: left + lone + right,
    st.text(max_size=6),
    st.characters(categories=["Cs"]),
    st.text(max_size=6),
)
texts = st.one_of(st.text(max_size=30), surrogate_text, st.sampled_from(["", "password: hunter2-span", "***"]))
small_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=6,
)
payloads = st.dictionaries(texts, small_values, max_size=2)
kinds = st.one_of(
    st.none(),
    st.sampled_from(list(SpanKind)),
    st.sampled_from([kind.value.upper() for kind in SpanKind]),
    st.sampled_from([kind.value for kind in SpanKind]),
)
statuses = st.one_of(st.none(), st.sampled_from(list(Status)), st.sampled_from(["ok", "ERROR", "success", "SUCCESS"]))
# Durations may be negative: a span that says it ended before it started.
durations = st.one_of(st.none(), st.integers(min_value=-1000, max_value=10**7))


# One tree in four gets a chain hung below it, up to 700 levels deep.
depths = st.sampled_from([0, 0, 0, None]).flatmap(lambda d: st.just(0) if d == 0 else st.integers(0, 700))


def plans(children: st.SearchStrategy) -> st.SearchStrategy[Plan]:
    return st.builds(
        Plan,
        name=st.one_of(st.none(), texts),
        kind=kinds,
        status=statuses,
        message=st.one_of(st.none(), texts),
        start_ms=st.integers(min_value=0, max_value=10**7),
        duration_ms=durations,
        attributes=st.dictionaries(texts, small_values, max_size=3),
        results=st.lists(st.tuples(payloads, payloads), max_size=2),
        children_in_constructor=st.booleans(),
        children=children,
    )


trees = st.recursive(plans(st.just([])), lambda inner: plans(st.lists(inner, max_size=4)), max_leaves=20)


def build(plan: Plan) -> Span:
    """The span of a plan (and its subtree) through the public API only."""
    children = [build(child) for child in plan.children]
    start = T0 + plan.start_ms
    span = Span(
        name=plan.name,
        span_kind=plan.kind,
        status_code=plan.status,
        status_message=plan.message,
        start_time_ms=start,
        end_time_ms=None if plan.duration_ms is None else start + plan.duration_ms,
        attributes=plan.attributes,
        results=[Result(inputs, outputs) for inputs, outputs in plan.results],
        child_spans=children if plan.children_in_constructor else None,
    )
    if not plan.children_in_constructor:
        for child in children:
            span.add_child_span(child)
    return span


def chain_below(span: Span, depth: int) -> None:
    """Hangs a linear chain ``depth`` spans deep under ``span`` (a recursive agent gone wild)."""
    node = span
    for level in range(depth):
        child = Span(name=f"level {level + 1}", span_kind="agent" if level % 2 else "tool")
        child.add_named_result({"level": level}, None)
        node.add_child_span(child)
        node = child


def count(span: Span) -> int:
    total, stack = 0, [span]
    while stack:
        node = stack.pop()
        total += 1
        stack.extend(node.children)
    return total


def depth_of(exported: dict) -> int:
    deepest, stack = 0, [(exported, 0)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in node["children"])
    return deepest


def strict_json(document) -> object:
    """The document through strict JSON in UTF-8 (no NaN, no lone surrogates), parsed back."""
    return json.loads(json.dumps(document, ensure_ascii=False, allow_nan=False).encode("utf-8"))


def test_fuzzed_span_trees_are_stored_whole(store_path):
    """400 fuzzed trees, some 700 levels deep: every span is stored, nesting capped and marked, the export valid."""
    tracer = Tracer(store=store_path)
    counter = itertools.count()
    deep_sessions = []

    @settings(FUZZ_SETTINGS, max_examples=400)
    @given(plan=trees, deep=depths)
    def check(plan, deep):
        n = next(counter)
        root = build(plan)
        chain_below(root, deep)
        built = count(root)
        tracer.log_trace(root)
        tracer.log_trace(Span(name=f"clean {n}"))
        doc = flushed(tracer, name=f"spans-{n}")

        assert validate_export(doc) == []
        assert strict_json(doc) == doc
        hostile, clean = sorted(doc["traces"], key=lambda trace: trace["name"] != f"clean {n}", reverse=True)
        assert clean["name"] == f"clean {n}"
        spans = list(walk(hostile))
        assert len(spans) == built
        assert depth_of(hostile) <= MAX_SPAN_DEPTH
        capped = [span for span in spans if "depth_capped" in span["attributes"]]
        assert len(capped) == max(0, built - count_within_cap(root))
        assert all(span["attributes"]["depth_capped"]["depth"] >= MAX_SPAN_DEPTH for span in capped)
        if capped:
            deep_sessions.append(doc["session"]["id"])

    check()
    assert next(counter) >= 400
    assert deep_sessions, "no fuzzed tree went below the depth cap"
    # The command line parses the deepest trees, as a user would.
    result = subprocess.run(
        [sys.executable, "-m", "chaintracer.cli", "export", deep_sessions[-1], "--store", store_path],
        capture_output=True,
    )
    assert result.returncode == 0, result.stderr
    assert validate_export(json.loads(result.stdout.decode("utf-8"))) == []


def count_within_cap(root: Span) -> int:
    """How many spans of a tree are less than MAX_SPAN_DEPTH levels below its root."""
    total, stack = 0, [(root, 0)]
    while stack:
        node, level = stack.pop()
        if level < MAX_SPAN_DEPTH:
            total += 1
            stack.extend((child, level + 1) for child in node.children)
    return total


def test_tree_500_levels_deep_is_stored_and_exported(store_path):
    """A manual tree 500 levels deep is stored with every span; the CLI export parses."""
    tracer = Tracer(store=store_path)
    root = Span(name="root", span_kind="agent")
    chain_below(root, 500)
    tracer.log_trace(root)
    info = tracer.flush_tracker(name="deep")

    result = subprocess.run(
        [sys.executable, "-m", "chaintracer.cli", "export", info.id, "--store", store_path], capture_output=True
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout.decode("utf-8"))
    assert validate_export(doc) == []
    spans = list(walk(doc["traces"][0]))
    assert len(spans) == 501
    assert depth_of(doc["traces"][0]) == MAX_SPAN_DEPTH
    deepest = [span for span in spans if span["name"] == "level 500"]
    assert deepest[0]["attributes"]["depth_capped"]["depth"] == 500
    assert deepest[0]["inputs"] == {"level": 499}


# Times that once made a trace unreadable later (tests/core/test_spans.py pins the other refusals).
BAD_CALLS = {
    "start time NaN": (lambda: Span(start_time_ms=math.nan), "nan"),
    "start time infinite": (lambda: Span(start_time_ms=math.inf), "inf"),
    "end time past year 9999": (lambda: Span(end_time_ms=10**20), "100000000000000000000"),
    "start time before year 1": (lambda: Span(start_time_ms=-(10**14)), "-100000000000000"),
    "end time set to NaN": (lambda: setattr(Span(), "end_time_ms", math.nan), "nan"),
    "start time set past year 9999": (lambda: setattr(Span(), "start_time_ms", 1e300), "1e+300"),
    "end_ns not an int": (lambda: Span().end(1.5), "1.5"),
    "end_ns past year 9999": (lambda: Span().end(10**30), "1000000000000000000000000000000"),
}


@pytest.mark.parametrize("call, named", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_the_span_api_refuses_times_no_date_can_show(call, named):
    """A time that is not a number of a date between years 1 and 9999 raises ValueError naming it."""
    with pytest.raises(ValueError) as raised:
        call()
    assert named in str(raised.value)


def test_a_cycle_made_by_hand_is_stored_once(store_path):
    """A child list edited by hand into a cycle does not hang the tracer: each span is stored once."""
    tracer = Tracer(store=store_path)
    root = Span(name="root")
    child = Span(name="child")
    root.add_child_span(child)
    child.children.append(root)  # bypasses add_child_span's cycle check
    tracer.log_trace(root)
    doc = flushed(tracer, name="cycle")

    assert [span["name"] for span in walk(doc["traces"][0])] == ["root", "child"]
