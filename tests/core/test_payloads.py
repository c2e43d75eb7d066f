"""Inputs and outputs through a flushed session: anything is stored safely, secrets never are."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pydantic

from chaintracer import Span, Tracer
from chaintracer.testing import flushed

# -- helpers ----------------------------------------------------------------------------


def _record(tracer: Tracer, inputs, outputs=None, *, kind="chain", name="step", attributes=None) -> None:
    """One finished single-span trace through the recorder, with payloads of any shape."""
    span_id = f"{name}-{id(inputs)}"
    tracer.recorder.start(span_id, None, kind, name, inputs=inputs, attributes=attributes)
    tracer.recorder.end(span_id, outputs=outputs)


def _only_span(tracer: Tracer, name: str = "payloads") -> dict:
    doc = flushed(tracer, name=name)
    assert len(doc["traces"]) == 1
    return doc["traces"][0]


def _store_bytes(store_path: str) -> bytes:
    """The store file and its WAL (where fresh commits live until a checkpoint)."""
    path = Path(store_path)
    data = b""
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-journal")):
        if candidate.exists():
            data += candidate.read_bytes()
    assert data, "the store was not written"
    return data


def _assert_absent(secret: str, text: str | bytes, where: str) -> None:
    """Fails with a short excerpt around the leak instead of dumping the whole document."""
    needle = secret.encode() if isinstance(text, bytes) else secret
    index = text.find(needle)
    assert index < 0, f"{secret!r} leaked into {where}: ...{text[max(0, index - 80) : index + 60]!r}..."


def _strict_json(value) -> str:
    """JSON text of ``value``; fails on NaN/Infinity, which strict JSON parsers reject."""
    return json.dumps(value, allow_nan=False)


# -- shapes that cannot be encoded as they are ------------------------------------------


def test_cycles_are_stored_with_a_marker(store_path):
    """Self-referencing dicts and lists are stored with their acyclic content and a visible cycle marker."""
    looped: dict = {"a": 1}
    looped["self"] = looped
    items: list = [1, 2]
    items.append(items)
    tracer = Tracer(store=store_path)
    _record(tracer, {"looped": looped, "items": items})
    inputs = _only_span(tracer)["inputs"]

    assert inputs["looped"]["a"] == 1
    assert "cycle" in str(inputs["looped"]["self"]).lower()
    assert inputs["items"][:2] == [1, 2]
    assert "cycle" in str(inputs["items"][2]).lower()


def test_bytes_are_described(store_path):
    """Bytes are stored as a JSON-safe description that says they were bytes and how many."""
    raw = bytes(range(256)) * 4
    tracer = Tracer(store=store_path)
    _record(tracer, {"blob": raw})
    stored = _only_span(tracer)["inputs"]["blob"]
    text = _strict_json(stored)
    assert "bytes" in text.lower()
    assert "1024" in text


def test_nan_and_infinity_are_kept_as_strict_json(store_path):
    """NaN and ±infinity are stored as visible, strictly JSON-valid values rather than dropped."""
    tracer = Tracer(store=store_path)
    _record(tracer, {"nan": math.nan, "inf": math.inf, "ninf": -math.inf, "fine": 0.5})
    doc = flushed(tracer, name="floats")
    _strict_json(doc)
    inputs = doc["traces"][0]["inputs"]
    assert "nan" in str(inputs["nan"]).lower()
    assert "inf" in str(inputs["inf"]).lower()
    assert str(inputs["ninf"]).startswith("-")
    assert inputs["fine"] == 0.5


def test_huge_strings_are_truncated_with_a_marker(store_path):
    """With `max_payload_bytes`, oversized inputs and outputs are cut to about that size with a visible marker."""
    limit = 1000
    tracer = Tracer(store=store_path, max_payload_bytes=limit)
    _record(tracer, {"text": "x" * 20_000}, "y" * 20_000)
    span = _only_span(tracer)

    for value in (span["inputs"], span["outputs"]):
        text = _strict_json(value)
        assert "truncated" in text.lower()
        assert len(text.encode("utf-8")) <= limit + 300
    assert span["outputs"].startswith("y" * 500)


def test_truncation_limit_counts_bytes_not_characters(store_path):
    """`max_payload_bytes` bounds the stored UTF-8 size even for multi-byte text."""
    limit = 1000
    tracer = Tracer(store=store_path, max_payload_bytes=limit)
    _record(tracer, {"q": "short"}, "日本語テキスト" * 3000)
    output = _only_span(tracer)["outputs"]
    assert "truncated" in output.lower()
    stored_bytes = len(output.encode("utf-8"))
    assert stored_bytes <= limit + 300, f"{stored_bytes} bytes stored for max_payload_bytes={limit}"


class _Opaque:
    def __init__(self) -> None:
        self.value = 42


class _BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr exploded")


def test_arbitrary_objects_are_described(store_path):
    """An object with no JSON form is stored as a description naming its class."""
    tracer = Tracer(store=store_path)
    _record(tracer, {"thing": _Opaque()}, _Opaque())
    span = _only_span(tracer)
    assert "_Opaque" in _strict_json(span["inputs"]["thing"])
    assert "_Opaque" in _strict_json(span["outputs"])


def test_object_whose_repr_raises_is_described(store_path):
    """An object whose `__repr__` raises does not break the flush and is stored naming its class."""
    tracer = Tracer(store=store_path)
    _record(tracer, {"broken": _BrokenRepr(), "ok": "kept"})
    inputs = _only_span(tracer)["inputs"]
    assert inputs["ok"] == "kept"
    assert "_BrokenRepr" in _strict_json(inputs["broken"])


@dataclasses.dataclass
class _Point:
    x: int
    label: str
    tags: set = dataclasses.field(default_factory=set)


class _Query(pydantic.BaseModel):
    text: str
    top_k: int = 3


def test_dataclasses_and_pydantic_models_become_fields(store_path):
    """Dataclasses and pydantic models are stored as their fields."""
    tracer = Tracer(store=store_path)
    _record(tracer, {"point": _Point(1, "p", {"b", "a"}), "query": _Query(text="hi")})
    inputs = _only_span(tracer)["inputs"]
    assert inputs["point"]["x"] == 1
    assert inputs["point"]["label"] == "p"
    assert sorted(inputs["point"]["tags"]) == ["a", "b"]
    assert inputs["query"] == {"text": "hi", "top_k": 3}


def test_sets_and_tuples_become_lists(store_path):
    """Sets, frozensets and tuples are stored as lists of their elements."""
    tracer = Tracer(store=store_path)
    _record(tracer, {"s": {3, 1, 2}, "f": frozenset({"z"}), "t": (1, "two")})
    inputs = _only_span(tracer)["inputs"]
    assert sorted(inputs["s"]) == [1, 2, 3]
    assert inputs["f"] == ["z"]
    assert inputs["t"] == [1, "two"]


def test_deeply_nested_values_are_cut_not_fatal(store_path):
    """A structure nested thousands of levels deep is stored (cut with a marker) without a RecursionError."""
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["next"] = {}
        node = node["next"]
    tracer = Tracer(store=store_path)
    _record(tracer, {"deep": deep})
    text = _strict_json(_only_span(tracer)["inputs"])
    assert text.count('"next"') >= 10
    assert "deep" in text.lower()


def test_non_dict_payloads_are_kept_as_given(store_path):
    """Bare strings, lists and numbers handed to the recorder are stored as those JSON values."""
    tracer = Tracer(store=store_path)
    _record(tracer, ["a", 1, None, True], 3.25)
    span = _only_span(tracer)
    assert span["inputs"] == ["a", 1, None, True]
    assert span["outputs"] == 3.25


# -- secrets ----------------------------------------------------------------------------

KEYED = {
    "api_key": "kv-api-1A2B3C4D5E",
    "openai_api_key": "kv-openai-6F7G8H9I0J",
    "password": "kv-hunter2-KLMNOPQ",
    "access_token": "kv-token-RSTUVWXYZ",
}
AUTH_HEADER = "Bearer kv-auth-abcdefghij"
PROVIDER_KEY = "sk-" + "A1b2C3d4" * 5
SECRET_STR = "kv-secretstr-ZYXWVUT"


class _Client(pydantic.BaseModel):
    endpoint: str
    blob: pydantic.SecretStr


def _all_secrets() -> list[str]:
    return [*KEYED.values(), AUTH_HEADER, PROVIDER_KEY, SECRET_STR]


def test_secrets_never_reach_the_store_or_the_export(store_path):
    """Credentials (by key name, by provider-key shape, SecretStr) appear nowhere in the store file nor the export."""
    tracer = Tracer(store=store_path)
    inputs = {
        **KEYED,
        "headers": {"Authorization": AUTH_HEADER, "Content-Type": "application/json"},
        "note": PROVIDER_KEY,
        "keys": [PROVIDER_KEY],
        "blob": pydantic.SecretStr(SECRET_STR),
        "client": _Client(endpoint="https://example.invalid", blob=SECRET_STR),
        "nested": [{"password": KEYED["password"]}],
    }
    root = Span(name="secretive", span_kind="llm")
    root.add_named_result(inputs, {"echo": PROVIDER_KEY, "access_token": KEYED["access_token"]})
    root.add_attribute("invocation_params", {"openai_api_key": KEYED["openai_api_key"], "temperature": 0.1})
    root.add_attribute("api_key", KEYED["api_key"])
    tracer.log_trace(root)
    doc = flushed(tracer, name="secrets")

    exported = json.dumps(doc, ensure_ascii=False)
    stored = _store_bytes(store_path)
    for secret in _all_secrets():
        _assert_absent(secret, exported, "the export")
        _assert_absent(secret, stored, "the store file")

    span = doc["traces"][0]
    # The keys stay visible (masked), and non-secret neighbours are kept.
    assert set(KEYED) <= set(span["inputs"])
    assert span["inputs"]["headers"]["Content-Type"] == "application/json"
    assert span["inputs"]["client"]["endpoint"] == "https://example.invalid"
    assert span["attributes"]["invocation_params"]["temperature"] == 0.1


def test_a_value_handed_from_step_to_step_is_masked_and_noted_in_every_span(store_path):
    """LangChain hands a step's output to the next step as its input, the same object: each span shows it masked."""
    from langchain_core.runnables import RunnableLambda

    from chaintracer.payloads import SURROGATES_NOTE
    from chaintracer.spantree import walk
    from langchain_tracer import Tracer as LangChainTracer

    shared = {"api_key": KEYED["api_key"], "note": PROVIDER_KEY, "text": "caf\udce9"}
    make = RunnableLambda(lambda _: shared).with_config(run_name="make")
    keep = RunnableLambda(lambda value: value).with_config(run_name="keep")
    tracer = LangChainTracer(store=store_path)
    (make | keep).invoke("go", config={"callbacks": [tracer]})
    doc = flushed(tracer, name="shared")

    holders = [
        (span, field)
        for span in walk(doc["traces"][0])
        for field in ("inputs", "outputs")
        if isinstance(span[field], dict) and "text" in span[field]
    ]
    # make's output, keep's input and output, the sequence's output: one object, four places.
    assert sorted((span["name"], field) for span, field in holders) == [
        ("RunnableSequence", "outputs"),
        ("keep", "inputs"),
        ("keep", "outputs"),
        ("make", "outputs"),
    ]
    for span, field in holders:
        value = span[field]
        assert value["api_key"] == "***" and PROVIDER_KEY not in value["note"], (span["name"], field)
        assert value["text"] == "caf\ufffd"
        assert SURROGATES_NOTE in span["attributes"]["encoding_notes"], span["name"]


def test_token_counts_are_not_masked(store_path):
    """Token counts (max_tokens, total_tokens, token_usage...) are kept although their names contain "token"."""
    tracer = Tracer(store=store_path)
    usage = {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
    _record(
        tracer,
        {"prompt": "hi", "max_tokens": 256, "max_new_tokens": 64},
        {"text": "hello", "total_tokens": 12},
        kind="llm",
        attributes={"token_usage": usage, "tokens": {"prompt": 5, "completion": 7, "total": 12}},
    )
    span = _only_span(tracer)
    assert span["inputs"]["max_tokens"] == 256
    assert span["inputs"]["max_new_tokens"] == 64
    assert span["outputs"]["total_tokens"] == 12
    assert span["attributes"]["token_usage"] == usage


def test_secret_in_exception_is_masked_everywhere(store_path):
    """A provider key quoted in an exception message is masked in the stored message and traceback alike."""
    tracer = Tracer(store=store_path)
    tracer.recorder.start("tool-1", None, "tool", "lookup", inputs={"q": "x"})
    try:
        raise PermissionError(f"Incorrect API key provided: {PROVIDER_KEY}")
    except PermissionError as exc:
        tracer.recorder.fail("tool-1", exc)
    doc = flushed(tracer, name="secret-error")

    error = doc["traces"][0]["error"]
    assert error["type"] == "PermissionError"
    assert "Incorrect API key provided" in error["message"]
    assert "PermissionError" in error["traceback"]
    _assert_absent(PROVIDER_KEY, json.dumps(doc), "the export")
    _assert_absent(PROVIDER_KEY, _store_bytes(store_path), "the store file")


def test_secret_in_manual_status_message_is_masked(store_path):
    """A provider key in a manual span's `status_message` is masked like any other text."""
    tracer = Tracer(store=store_path)
    tracer.log_trace(Span(name="call", span_kind="llm", status_code="ERROR", status_message=f"rejected {PROVIDER_KEY}"))
    doc = flushed(tracer, name="secret-status")

    assert doc["traces"][0]["error"]["message"].startswith("rejected")
    _assert_absent(PROVIDER_KEY, json.dumps(doc), "the export")
    _assert_absent(PROVIDER_KEY, _store_bytes(store_path), "the store file")


def test_secret_in_run_overrides_is_masked(store_path):
    """Secrets passed to `flush_tracker` as run overrides are masked in the stored session config."""
    tracer = Tracer(store=store_path)
    tracer.log_trace(Span(name="root"))
    doc = flushed(tracer, name="secret-config", llm={"model": "gpt-x", "openai_api_key": KEYED["openai_api_key"]})

    assert doc["session"]["config"]["llm"]["model"] == "gpt-x"
    _assert_absent(KEYED["openai_api_key"], json.dumps(doc), "the export")
    _assert_absent(KEYED["openai_api_key"], _store_bytes(store_path), "the store file")
