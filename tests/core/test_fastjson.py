"""The orjson fast path writes and reads the same JSON as the stdlib, hostile values included.

``chaintracer.fastjson`` serialises every encoded tree and re-reads it for the full-text index;
orjson differs from the stdlib at the edges (ints beyond 64 bits, lone surrogates, NaN, deep
nesting), so every value here is compared with what ``json`` makes of it. Hypothesis is seeded
(``derandomize=True``): the same examples every run.
"""

from __future__ import annotations

import json
import math

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaintracer import fastjson
from chaintracer.payloads import Converter

pytest.importorskip("orjson")

SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(autouse=True, scope="module")
def hypothesis_home(tmp_path_factory):
    """Hypothesis keeps its Unicode tables under a temporary folder, not in the checkout."""
    previous = hypothesis.configuration.storage_directory()
    hypothesis.configuration.set_hypothesis_home_dir(str(tmp_path_factory.mktemp("hypothesis")))
    yield
    hypothesis.configuration.set_hypothesis_home_dir(str(previous))


# Texts of any code point, lone surrogates included; ints far beyond 64 bits.
TEXTS = st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=30)
INTS = st.one_of(
    st.integers(), st.integers(min_value=-(10**40), max_value=10**40), st.just(2**64), st.just(-(2**63) - 1)
)
SCALARS = st.one_of(st.none(), st.booleans(), INTS, st.floats(), TEXTS)
KEYS = st.one_of(TEXTS, st.integers(), st.booleans(), st.none())
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=40,
)


def stdlib_dumps(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def deep(depth: int):
    value: object = "bottom"
    for _ in range(depth):
        value = {"child": [value]}
    return value


@SETTINGS
@given(VALUES)
def test_converted_values_serialise_as_the_stdlib_does(value):
    """Whatever a program hands the tracer, once converted, is written as the same JSON by both paths."""
    converted = Converter(1_000_000).convert(value)
    text = fastjson.dumps(converted)
    assert json.loads(text) == json.loads(stdlib_dumps(converted))
    assert fastjson.loads(text) == json.loads(text)


@SETTINGS
@given(VALUES.filter(lambda v: "nan" not in repr(v) and "inf" not in repr(v)))
def test_raw_values_serialise_as_the_stdlib_does(value):
    """Values orjson refuses (huge ints, surrogates, non-text keys) still come out as the stdlib writes them."""
    assert json.loads(fastjson.dumps(value)) == json.loads(stdlib_dumps(value))


@pytest.mark.parametrize(
    "value",
    [
        "\ud800 lone surrogate",
        {"\udfff": ["x"]},
        2**64,
        -(2**63) - 1,
        10**299,
        {1: "int key", None: "none key", False: "bool key"},
        deep(300),
        ["é", "日本", "😀", "\x00\x1f", "\u2028"],
    ],
    ids=["surrogate", "surrogate-key", "u64-overflow", "i64-underflow", "huge-int", "keys", "deep", "unicode"],
)
def test_hostile_values_round_trip_like_the_stdlib(value):
    """Each value orjson handles differently is written and read back exactly as the stdlib does."""
    text = fastjson.dumps(value)
    assert json.loads(text) == json.loads(stdlib_dumps(value))
    assert fastjson.loads(text) == json.loads(text)


def test_non_finite_floats_become_null_instead_of_failing_the_trace():
    """A NaN or infinity that slipped past conversion gives valid JSON (null), not an exception."""
    text = fastjson.dumps({"cost": math.inf, "score": math.nan})
    assert json.loads(text) == {"cost": None, "score": None}


@pytest.mark.parametrize(
    "text",
    [
        "[NaN, Infinity, -Infinity]",
        "[1e400]",
        '"\\ud800"',
        "[123456789012345678901234567890]",
        "[-9223372036854775809]",
    ],
)
def test_texts_orjson_reads_differently_are_read_by_the_stdlib(text):
    """Stored JSON with NaN, huge numbers or escaped surrogates reads back exactly as ``json.loads`` reads it."""
    ours, theirs = fastjson.loads(text), json.loads(text)
    assert repr(ours) == repr(theirs)


def test_not_json_raises_value_error():
    """A text that is not JSON raises ValueError, as the stdlib does (the index skips such a tree)."""
    with pytest.raises(ValueError):
        fastjson.loads("{not json")


def test_stdlib_path_gives_the_same_text(monkeypatch):
    """Without orjson (a platform with no wheel) the stdlib writes the same compact text."""
    value = {"a": [1, 2.5, None, True, "é"], "b": {"c": "d"}}
    fast = fastjson.dumps(value)
    monkeypatch.setattr(fastjson, "STDLIB", True)
    assert fastjson.dumps(value) == fast == stdlib_dumps(value)
    assert fastjson.loads(fast) == value
