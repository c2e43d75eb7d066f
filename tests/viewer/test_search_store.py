"""The store's full-text index (schema 5): filled on write, upgraded in place, kept in step, read by old readers."""

from __future__ import annotations

import sqlite3

from chaintracer import Span, Tracer
from chaintracer.store import Store
from chaintracer.store.derived import has_index
from chaintracer.store.schema import SCHEMA_VERSION, SEARCH_SCHEMA

_DERIVED = ("traces_unindex", "traces_rekey", "span_search", "model_usage", "search_traces")


def _session(path: str, name: str, answers: list[str]) -> str:
    """A flushed session whose traces answer ``answers`` inside a child model span."""
    tracer = Tracer(project="search", store=path)
    for number, answer in enumerate(answers):
        root = Span("qa", "chain")
        root.inputs = {"question": f"question {number}"}
        llm = Span("model", "llm", attributes={"model": "m1", "tokens": {"prompt": 3, "completion": 2, "total": 5}})
        llm.inputs, llm.outputs = "prompt", f"The answer is {answer}."
        root.add_child_span(llm)
        root.outputs = "done"  # the answer is only inside the child: previews do not hold it
        tracer.log_trace(root)
    return tracer.flush_tracker(name=name, finish=True).id


def _as_schema_4(path: str) -> None:
    """Rewrites a store as schema 4 laid it out: no index, no usage table, no triggers, no trace cost."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for name in _DERIVED:
            kind = "TRIGGER" if name.startswith("traces_") else "TABLE"
            conn.execute(f"DROP {kind} {name}")
        conn.execute("ALTER TABLE traces DROP COLUMN cost")  # schema 5 added it with the index
        conn.execute("PRAGMA user_version = 4")
    finally:
        conn.close()


def _hits(store: Store, text: str, session_id: str | None = None) -> list[tuple[str, int, str, str]]:
    found = store.search(text, session_id)["hits"]
    return sorted((hit["session_id"], hit["number"], hit["span_name"], hit["field"]) for hit in found)


def test_words_inside_child_spans_are_found(store_path):
    """A word only in a child span's output finds that span, its trace and the field."""
    sid = _session(store_path, "s", ["Paris", "Rome"])
    store = Store(store_path, create=False)
    try:
        assert _hits(store, "paris") == [(sid, 1, "model", "outputs")]
        rows, total = store.trace_page(sid, search="rome")
        assert total == 1 and rows[0]["number"] == 2 and rows[0]["match"]["span_name"] == "model"
        assert store.search("answer", sid)["total"] == 2
        assert store.usage_by_model(sid) == [
            {"model": "m1", "calls": 2, "prompt": 6, "completion": 4, "total": 10, "cost": None}
        ]
    finally:
        store.close()


def test_schema_4_store_is_indexed_when_a_writer_opens_it(tmp_path):
    """Readers of an old store still find words (from the trees); the next writer builds the index."""
    path = str(tmp_path / "old.db")
    first = _session(path, "old", ["Paris", "Lisbon"])
    _as_schema_4(path)

    reader = Store(path, create=False)
    try:
        before = _hits(reader, "lisbon")
        assert before == [(first, 2, "model", "outputs")]
        assert reader.usage_by_model(first)[0]["calls"] == 2  # summed from the trees
        rows, total = reader.trace_page(first, search="lisbon")
        assert total == 1 and rows[0]["number"] == 2
        with reader._transaction(writing=False) as conn:
            assert not has_index(conn)
    finally:
        reader.close()

    second = _session(path, "new", ["Lisbon"])  # a writer: upgrades, indexes the old traces, then writes
    store = Store(path, create=False)
    try:
        with store._transaction(writing=False) as conn:
            assert has_index(conn)
            assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= SEARCH_SCHEMA
        assert _hits(store, "lisbon") == sorted([*before, (second, 1, "model", "outputs")])
        assert store.usage_by_model(first)[0]["calls"] == 2
    finally:
        store.close()


def test_deleting_a_session_removes_its_index_rows(store_path):
    """The index follows the traces: a deleted session (cascade) leaves no hit and no usage behind."""
    gone = _session(store_path, "gone", ["Paris"])
    kept = _session(store_path, "kept", ["Paris"])
    conn = sqlite3.connect(store_path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM sessions WHERE id = ?", (gone,))
        assert conn.execute("SELECT count(*) FROM span_search").fetchone()[0] == 2  # kept's root and child
        assert conn.execute("SELECT count(*) FROM model_usage").fetchone()[0] == 1
    finally:
        conn.close()
    store = Store(store_path, create=False)
    try:
        assert [hit[0] for hit in _hits(store, "paris")] == [kept]
    finally:
        store.close()


def test_a_trace_moved_to_another_session_is_found_there(store_path):
    """A resumed experiment moves traces between sessions: their index rows move with them."""
    target = _session(store_path, "target", ["Paris"])
    source = _session(store_path, "source", ["Oslo"])
    conn = sqlite3.connect(store_path, isolation_level=None)
    try:
        conn.execute("UPDATE traces SET session_id = ?, seq = 7 WHERE session_id = ?", (target, source))
    finally:
        conn.close()
    store = Store(store_path, create=False)
    try:
        assert _hits(store, "oslo") == [(target, 2, "model", "outputs")]
        assert store.search("oslo", source)["total"] == 0
    finally:
        store.close()


def test_index_stays_out_of_previews_and_vectors(store_path):
    """Embedding vectors are not indexed (no hit on a number of a long vector); short number lists are."""
    tracer = Tracer(store=store_path)
    span = Span("embed", "embedding")
    span.outputs = {"vector": [0.123456, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.1, 0.2, 0.3], "shape": [1, 42]}
    tracer.log_trace(span)
    sid = tracer.flush_tracker(name="vectors", finish=True).id
    store = Store(store_path, create=False)
    try:
        assert store.search("0.123456", sid)["total"] == 0 and store.search("123456", sid)["total"] == 0
        assert store.search("42", sid)["total"] == 1
    finally:
        store.close()
