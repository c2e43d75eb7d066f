"""Any value a program hands the tracer is stored: hostile payloads never lose a trace nor poison the tracer.

Hypothesis fuzzes payloads (seeded: ``derandomize=True``, the same examples every run); fixed
tests pin each value that lost traces before: a lone surrogate, ``10**5000``, a set of objects
whose repr raises, an exception whose ``__str__`` raises, numpy arrays, pandas objects.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import json
import subprocess
import sys
from collections.abc import Mapping
from types import FunctionType

import hypothesis
import numpy as np
import pandas as pd
import pydantic
import pytest
from export_contract import validate_export
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst
from langchain_core.language_models import FakeListLLM
from langchain_core.prompts import PromptTemplate
from langchain_core.runnables import RunnableLambda
from secrets_corpus import KEPT, KEYED, TEXTS

from chaintracer import Tracer as CoreTracer
from chaintracer.payloads import Converter
from chaintracer.testing import flushed, walk
from langchain_tracer import Tracer

FUZZ_SETTINGS = settings(
    derandomize=True,  # the same examples on every run and in CI
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@pytest.fixture(autouse=True, scope="module")
def hypothesis_home(tmp_path_factory):
    """Hypothesis keeps its Unicode tables under a temporary folder, not in the checkout."""
    previous = hypothesis.configuration.storage_directory()
    hypothesis.configuration.set_hypothesis_home_dir(str(tmp_path_factory.mktemp("hypothesis")))
    yield
    hypothesis.configuration.set_hypothesis_home_dir(str(previous))


# -- hostile values -----------------------------------------------------------------------


class BadRepr:
    """Its repr raises (and so does sorting a set of them by repr)."""

    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")


class BadStrError(Exception):
    """An exception whose message cannot be read."""

    def __str__(self) -> str:
        raise RuntimeError("str exploded")


class BadClass:
    """Even isinstance() on it raises."""

    @property  # type: ignore[misc]
    def __class__(self):
        raise RuntimeError("no class")


class BadGetattr:
    """Every attribute lookup raises something else than AttributeError."""

    def __getattr__(self, name: str):
        raise RuntimeError(f"no {name}")


class BadEq:
    """Comparing it raises (a value under a secret key was compared with "")."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no comparison")

    def __ne__(self, other: object) -> bool:
        raise RuntimeError("no comparison")

    __hash__ = object.__hash__


class BadList(list):
    """A list whose length raises."""

    def __len__(self) -> int:
        raise RuntimeError("no length")


class BadMapping(Mapping):
    """A mapping whose items cannot be listed."""

    def __getitem__(self, key):
        raise KeyError(key)

    def __iter__(self):
        raise RuntimeError("no iteration")

    def __len__(self) -> int:
        return 3


class BadStr(str):
    """A str subclass whose __str__ raises."""

    def __str__(self) -> str:
        raise RuntimeError("no str")


class BadDump(pydantic.BaseModel):
    """A pydantic model whose dump raises."""

    x: int = 1

    def model_dump(self, **kwargs):
        raise RuntimeError("no dump")


class Color(enum.Enum):
    RED = "red"
    BIG = 10**5000


@dataclasses.dataclass
class Point:
    x: object
    y: object = None


def nested(depth: int) -> dict:
    """A dict nested ``depth`` levels deep."""
    root: dict = {}
    node = root
    for _ in range(depth):
        node["next"] = {}
        node = node["next"]
    return root


def cycle() -> list:
    items: list = [1]
    items.append({"back": items})
    return items


# Each value that lost its trace (or every later one) before, by name; factories, as some are
# mutable or single-use.
LOST_BEFORE = {
    "lone surrogate": lambda: "\ud800",
    "lone low surrogate inside text": lambda: "a\udfffb",
    "10**5000": lambda: 10**5000,
    "set of objects whose repr raises": lambda: {BadRepr(), BadRepr()},
    "exception whose str raises": lambda: BadStrError("unreadable"),
    "object whose __class__ raises": BadClass,
    "object whose __getattr__ raises": BadGetattr,
    "list whose len raises": lambda: BadList([1, 2]),
    "str subclass whose str raises": lambda: BadStr("sub"),
    "enum with a huge value": lambda: Color.BIG,
    "dataclass of hostile fields": lambda: Point(BadRepr(), {10**5000: "\ud800"}),
    "pandas frame holding a surrogate": lambda: pd.DataFrame({"a": [1, 2, 3], "b": ["x", "\ud800", None]}),
    "secret keys over hostile values": lambda: {"token": np.array([1, 2]), "api_key": BadEq(), "pwd": BadList([1])},
}
# Odd values that were stored before too: fuzzed with the others, so they stay stored.
HOSTILE = {
    **LOST_BEFORE,
    "-10**400": lambda: -(10**400),
    "2**64": lambda: 2**64,
    "nan": lambda: float("nan"),
    "-inf": lambda: float("-inf"),
    "object whose == raises": BadEq,
    "mapping that cannot be iterated": BadMapping,
    "pydantic model whose dump raises": BadDump,
    "dict nested 3000 deep": lambda: nested(3000),
    "cycle": cycle,
    "SecretStr": lambda: pydantic.SecretStr("hunter2-fuzz"),
    "numpy 100x100 matrix": lambda: np.arange(10_000, dtype=np.float32).reshape(100, 100),
    "numpy scalar": lambda: np.int64(7),
    "numpy object array": lambda: np.array([BadRepr()], dtype=object),
    "pandas series": lambda: pd.Series([1.5, None], name="s"),
    "pandas index": lambda: pd.Index(["i", "j"]),
    "memoryview": lambda: memoryview(b"\x00\xff" * 100),
    "plain object": object,
}


HUGE_KEY = "<the key 10**5000>"  # drawn as text: hypothesis cannot print such an int
surrogate_text = st.builds(
    lambda left, lone, right: left + lone + right,
    st.text(max_size=8),
    st.characters(categories=["Cs"]),
    st.text(max_size=8),
)
texts = st.one_of(st.text(max_size=40), surrogate_text, st.sampled_from(["", "***", "api_key=sk-abc", "map:key:x"]))
keys = st.one_of(
    texts,
    st.sampled_from([*KEYED, *KEPT]),
    st.integers(),
    st.sampled_from([HUGE_KEY, 1.5, float("nan"), None, True, Color.RED, (1, "t")]),
)
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    texts,
    st.binary(max_size=32),
    st.datetimes(),
    st.uuids(),
    st.decimals(),
    st.sampled_from(list(HOSTILE.values())),  # a factory: made in the test (hypothesis cannot look at them)
    npst.arrays(
        dtype=st.sampled_from([np.int8, np.float64, np.bool_, np.dtype("U3"), np.complex64]),
        shape=npst.array_shapes(min_dims=0, max_dims=3, max_side=4),
    ),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(keys, inner, max_size=4),
        st.frozensets(st.one_of(st.integers(), texts), max_size=4),
        st.builds(Point, inner, inner),
    ),
    max_leaves=12,
)


_FACTORIES = set(HOSTILE.values())


def materialize(drawn):
    """The drawn structure with each hostile factory replaced by a fresh value of it."""
    if type(drawn) in (FunctionType, type) and drawn in _FACTORIES:
        return drawn()
    if type(drawn) in (list, tuple):
        return type(drawn)(materialize(item) for item in drawn)
    if type(drawn) is dict:
        return {10**5000 if key == HUGE_KEY else key: materialize(item) for key, item in drawn.items()}
    if type(drawn) is Point:
        return Point(materialize(drawn.x), materialize(drawn.y))
    return drawn


def strict_json(document) -> object:
    """The document through strict JSON in UTF-8 (no NaN, no lone surrogates), parsed back."""
    return json.loads(json.dumps(document, ensure_ascii=False, allow_nan=False).encode("utf-8"))


def record(tracer, span_id: str, name: str, inputs, outputs=None, attributes=None, error=None) -> None:
    """One finished single-span trace through the recorder, the path adapters use."""
    tracer.recorder.start(span_id, None, "chain", name, inputs=inputs, attributes=attributes)
    if error is None:
        tracer.recorder.end(span_id, outputs=outputs)
    else:
        tracer.recorder.fail(span_id, error)


# -- fuzzing ------------------------------------------------------------------------------


def test_fuzzed_payloads_are_stored_and_never_touch_later_traces(store_path):
    """600 fuzzed inputs, outputs, attributes and errors: each trace and the clean one after it are stored."""
    tracer = CoreTracer(store=store_path, max_payload_bytes=4096)
    counter = itertools.count()
    session_ids = []

    @settings(FUZZ_SETTINGS, max_examples=600)
    @given(inputs=values, outputs=values, attributes=values, fails=st.sampled_from([None, "bad-str", "value"]))
    def check(inputs, outputs, attributes, fails):
        n = next(counter)
        inputs, outputs, attributes = materialize(inputs), materialize(outputs), materialize(attributes)
        error = {None: None, "bad-str": BadStrError("x"), "value": ValueError(outputs)}[fails]
        record(tracer, f"hostile-{n}", f"hostile {n}", inputs, outputs, {"extra": attributes}, error)
        record(tracer, f"clean-{n}", f"clean {n}", {"n": n}, "ok")
        doc = flushed(tracer, name=f"fuzz-{n}")
        session_ids.append(doc["session"]["id"])

        assert validate_export(doc) == []
        assert strict_json(doc) == doc
        assert [trace["name"] for trace in doc["traces"]] == [f"hostile {n}", f"clean {n}"]
        assert doc["traces"][0]["status"] == ("ok" if error is None else "error")
        assert doc["traces"][1]["inputs"] == {"n": n}
        assert doc["session"]["summary"]["tracer_errors"] == 0

    check()
    assert len(session_ids) >= 600
    # The command line reads what the fuzzing wrote, as a user would.
    for session_id in (session_ids[0], session_ids[len(session_ids) // 2], session_ids[-1]):
        result = subprocess.run(
            [sys.executable, "-m", "chaintracer.cli", "export", session_id, "--store", store_path],
            capture_output=True,
        )
        assert result.returncode == 0, result.stderr
        assert len(json.loads(result.stdout.decode("utf-8"))["traces"]) == 2


# -- the values that lost traces before ----------------------------------------------------


# Longer texts with a secret inside, as a retrieved context or a prompt carries them.
long_texts = st.builds(
    lambda pieces, planted, repeat: (" ".join(pieces) + " ") * repeat + planted,
    st.lists(texts, max_size=4),
    st.sampled_from([planted.text for planted in TEXTS]),
    st.integers(1, 80),
)


@FUZZ_SETTINGS
@given(
    seen=st.lists(st.one_of(texts, long_texts), min_size=1, max_size=6), limit=st.sampled_from([64, 200, 1024, 65536])
)
def test_a_converter_that_has_seen_a_text_converts_it_as_a_fresh_one_would(seen, limit):
    """The masked texts a converter keeps (short and long) give what a fresh converter gives, notes included."""
    warm = Converter(limit)
    for text in seen:
        warm.convert(text)
    # The texts, and each cut where the converter cuts an over-long text before masking it.
    for text in [*seen, *(text[: limit + 256] for text in seen), *(text[:limit] for text in seen)]:
        warm_notes: set[str] = set()
        fresh_notes: set[str] = set()
        assert warm.convert(text, warm_notes) == Converter(limit).convert(text, fresh_notes)
        assert warm_notes == fresh_notes


@pytest.mark.parametrize("make", LOST_BEFORE.values(), ids=LOST_BEFORE.keys())
def test_hostile_value_is_stored_and_the_next_30_traces_too(store_path, make):
    """A hostile value as input, output and attribute is stored (marked), and so are the 30 clean traces after it."""
    tracer = CoreTracer(store=store_path)
    record(tracer, "hostile", "hostile", {"value": make()}, make(), {"value": make()})
    for n in range(30):
        record(tracer, f"clean-{n}", f"clean {n}", {"n": n}, "ok")
    doc = flushed(tracer, name="hostile")

    assert validate_export(doc) == []
    assert strict_json(doc) == doc
    assert [trace["name"] for trace in doc["traces"]] == ["hostile", *(f"clean {n}" for n in range(30))]
    assert doc["session"]["summary"]["tracer_errors"] == 0


def test_lone_surrogate_is_replaced_and_noted(store_path):
    """A lone surrogate becomes U+FFFD and the span says why; later flushes of the tracer still work."""
    tracer = CoreTracer(store=store_path)
    record(tracer, "s", "s", {"text": "caf\ud800"}, "ok")
    first = flushed(tracer, name="first")
    record(tracer, "t", "t", {"text": "fine"}, "ok")
    second = flushed(tracer, name="second")

    span = first["traces"][0]
    assert span["inputs"] == {"text": "caf\ufffd"}
    assert span["attributes"]["encoding_notes"] == ["invalid Unicode (lone surrogates) replaced by U+FFFD"]
    assert second["traces"][0]["inputs"] == {"text": "fine"}


def test_unreadable_values_are_described_by_type(store_path):
    """Huge ints become text, unreadable objects name their type, the rest of the payload is kept as it was."""
    tracer = CoreTracer(store=store_path)
    inputs = {
        "huge": 10**5000,
        "big": 10**400,
        "objects": {BadRepr(), BadRepr()},
        "error": BadStrError("x"),
        "class": BadClass(),
        "kept": [1, "two", 3.5],
    }
    record(tracer, "r", "r", inputs, "ok")
    stored = flushed(tracer, name="described")["traces"][0]["inputs"]

    assert stored["huge"] == "<int: about 5001 digits, 1.000000000000e+5000>"
    assert stored["big"] == "1" + "0" * 400
    assert stored["objects"] == [{"_type": "BadRepr", "repr": "<BadRepr: repr failed with RuntimeError>"}] * 2
    assert stored["error"] == {"_type": "BadStrError", "message": "<BadStrError: str() failed with RuntimeError>"}
    assert stored["class"] == {"_type": "BadClass", "error": "could not be read: RuntimeError"}
    assert stored["kept"] == [1, "two", 3.5]


def test_numpy_and_pandas_values_are_summarised(store_path):
    """Arrays, scalars, series and frames are stored as shape, dtype and their first values; secrets still masked."""
    tracer = CoreTracer(store=store_path)
    inputs = {
        "token": np.array([1, 2, 3]),
        "embedding": np.arange(1536, dtype=np.float32),
        "matrix": np.arange(6).reshape(2, 3),
        "count": np.int64(7),
        "score": np.float32(0.5),
        "frame": pd.DataFrame({"q": ["a", "b", "c", "d"], "n": [1, 2, 3, 4]}),
        "series": pd.Series([0.5, 1.5], name="s"),
    }
    record(tracer, "np", "np", inputs, "ok")
    stored = flushed(tracer, name="arrays")["traces"][0]["inputs"]

    assert stored["token"] == "***"
    assert stored["embedding"] == {
        "_type": "ndarray",
        "shape": [1536],
        "dtype": "float32",
        "head": [float(n) for n in range(10)],
    }
    assert stored["matrix"]["shape"] == [2, 3] and stored["matrix"]["head"] == [0, 1, 2, 3, 4, 5]
    assert stored["count"] == 7 and stored["score"] == 0.5
    assert stored["frame"]["shape"] == [4, 2]
    assert stored["frame"]["columns"] == ["q", "n"]
    assert stored["frame"]["head"] == [{"q": "a", "n": 1}, {"q": "b", "n": 2}, {"q": "c", "n": 3}]
    assert stored["series"] == {"_type": "Series", "shape": [2], "dtype": "float64", "name": "s", "head": [0.5, 1.5]}


def test_langchain_chain_carrying_hostile_values(store_path):
    """A real chain whose inputs, steps and errors carry each hostile value: every run is stored."""
    tracer = Tracer(store=store_path)
    prompt = PromptTemplate.from_template("Echo {text}")
    chain = RunnableLambda(lambda inputs: {**inputs, "text": "\ud800 ok"}) | prompt | FakeListLLM(responses=["\udfff"])

    def explode(value):
        raise BadStrError("unreadable")

    runs = 0
    for make in HOSTILE.values():
        chain.invoke({"value": make(), "text": "x"}, config={"callbacks": [tracer]})
        RunnableLambda(lambda value: {"echo": value}).invoke(make(), config={"callbacks": [tracer]})
        with pytest.raises(BadStrError):
            RunnableLambda(explode).invoke(make(), config={"callbacks": [tracer]})
        runs += 3
    doc = flushed(tracer, name="langchain-hostile")

    assert validate_export(doc) == []
    assert strict_json(doc) == doc
    assert len(doc["traces"]) == runs
    errors = [trace["error"] for trace in doc["traces"] if trace["status"] == "error"]
    assert len(errors) == len(HOSTILE)
    assert {error["type"] for error in errors} == {"BadStrError"}
    assert errors[0]["message"] == "<BadStrError: str() failed with RuntimeError>"
    models = [span for trace in doc["traces"] for span in walk(trace) if span["kind"] == "llm"]
    assert len(models) == len(HOSTILE)
    assert models[0]["outputs"]["generations"][0][0]["text"] == "\ufffd"
