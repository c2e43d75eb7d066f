"""Tables derived from each trace tree as it is written: a full-text index of every span, model usage.

- ``span_search`` (SQLite FTS5): one row per span with its name, inputs, outputs, error and
  attributes as text, so that a search finds a word anywhere in a session, not only in the
  table's previews. Its rowid is ``key << SPAN_BITS | span's position in the tree``, where
  ``key`` is the trace's row in ``search_traces``: a trace's spans are one rowid range, which a
  delete removes and a search restricts to without a scan (FTS5 rows have no other index).
- ``model_usage``: calls, tokens and cost per model per trace, for the session's charts.

Both are filled by ``index_traces`` inside the writer's transaction, kept in step with
``traces`` by triggers (a deleted trace leaves no rows behind; a trace moved to another
session, as a resumed experiment does, moves with it), and filled for the traces already
stored when a store is upgraded to ``schema.SEARCH_SCHEMA`` (``index_all``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from chaintracer import fastjson
from chaintracer.kinds import MODEL_KINDS
from chaintracer.spantree import walk

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a dependency; fastjson.STDLIB covers its absence
    _orjson = None

SPAN_BITS = 20  # up to 1,048,576 spans per trace in the index (a larger trace keeps its first ones)
SPAN_MASK = (1 << SPAN_BITS) - 1
# The highlight markers ``snippet`` puts around a match: control characters no indexed text keeps.
MARK_START, MARK_END = "\x02", "\x03"
COLUMNS = ("name", "inputs", "outputs", "error", "attributes")
_COLUMN_CHARS = 200_000  # payloads are already cut by max_payload_bytes; this bounds odd attributes
_VECTOR_LENGTH = 8  # a longer list of numbers is an embedding or a score vector: nothing to search
_EXACT_LIMIT = 2.0**63  # orjson reads integers up to 64 bits exactly, larger ones as floats
_STRIP = str.maketrans({MARK_START: " ", MARK_END: " "})

TABLES = {
    # One key per stored trace (an INTEGER PRIMARY KEY: VACUUM keeps it, unlike an implicit rowid).
    "search_traces": """
    key         INTEGER PRIMARY KEY,
    session_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    UNIQUE (session_id, seq)
""",
    "model_usage": """
    key         INTEGER NOT NULL,   -- search_traces.key of the trace
    model       TEXT NOT NULL,      -- attributes.model of the model spans ('' when absent)
    calls       INTEGER NOT NULL,
    prompt      INTEGER NOT NULL,
    completion  INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    cost        REAL,               -- sum of attributes.cost.total; NULL when a call's cost is unknown
    PRIMARY KEY (key, model)
""",
}
FTS_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS {schema}span_search USING fts5("
    + ", ".join(COLUMNS)
    + ", span_id UNINDEXED, kind UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')"
)
_KEY_OF_OLD = "(SELECT key FROM search_traces WHERE session_id = old.session_id AND seq = old.seq)"
TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS traces_unindex AFTER DELETE ON traces BEGIN
    DELETE FROM span_search WHERE rowid BETWEEN {_KEY_OF_OLD} << {SPAN_BITS}
        AND ({_KEY_OF_OLD} << {SPAN_BITS}) + {SPAN_MASK};
    DELETE FROM model_usage WHERE key = {_KEY_OF_OLD};
    DELETE FROM search_traces WHERE session_id = old.session_id AND seq = old.seq;
END""",
    """CREATE TRIGGER IF NOT EXISTS traces_rekey AFTER UPDATE OF session_id, seq ON traces BEGIN
    UPDATE search_traces SET session_id = new.session_id, seq = new.seq
        WHERE session_id = old.session_id AND seq = old.seq;
END""",
)


def ddl() -> list[str]:
    """The full-text index and the triggers that keep the derived tables in step (after ``TABLES``)."""
    return [FTS_TABLE.format(schema=""), *TRIGGERS]


def has_index(conn: sqlite3.Connection) -> bool:
    """Whether the store behind ``conn`` has the full-text index (stores before ``SEARCH_SCHEMA`` do not)."""
    return conn.execute("SELECT 1 FROM main.sqlite_master WHERE name = 'span_search'").fetchone() is not None


def index_traces(conn: sqlite3.Connection, session_id: str, traces: Iterable[tuple[int, str | bytes]]) -> None:
    """Indexes ``(seq, tree JSON)`` traces of a session just written (inside the writer's transaction).

    One ``executemany`` per table for the whole batch: the per-statement overhead of sqlite3 is
    paid once per write, not once per trace.
    """
    search_rows: list[tuple[Any, ...]] = []
    usage_rows: list[tuple[Any, ...]] = []
    add_key = "INSERT INTO search_traces (session_id, seq) VALUES (?, ?)"
    for seq, tree_json in traces:
        tree = _parse(tree_json)
        if tree is None:
            continue  # a tree that is not JSON has nothing to index; the trace itself is kept
        try:
            rows = list(span_rows(tree, exact=False))
        except _Inexact:  # a number beyond 64 bits: orjson read it as a float, the stdlib reads it exactly
            tree = json.loads(tree_json)
            rows = list(span_rows(tree, exact=True))
        key = conn.execute(add_key, (session_id, seq)).lastrowid
        assert key is not None
        first = key << SPAN_BITS
        del rows[SPAN_MASK + 1 :]
        search_rows.extend((first + position, *row) for position, row in enumerate(rows))
        usage_rows.extend((key, *usage) for usage in model_usage(tree))
    conn.executemany(
        "INSERT INTO span_search (rowid, name, inputs, outputs, error, attributes, span_id, kind)"
        " VALUES (?,?,?,?,?,?,?,?)",
        search_rows,
    )
    conn.executemany(
        "INSERT INTO model_usage (key, model, calls, prompt, completion, total, cost) VALUES (?,?,?,?,?,?,?)",
        usage_rows,
    )


def _parse(tree_json: str | bytes) -> dict[str, Any] | None:
    """The tree of a stored JSON text; None when it is not a JSON object.

    orjson without ``fastjson``'s check for long digit runs (a regular expression that costs more
    than the parse): the one value orjson reads differently, an integer beyond 64 bits, comes
    back as a float of that size, which ``span_rows`` notices (``_Inexact``).
    """
    try:
        tree = _orjson.loads(tree_json) if _orjson is not None and not fastjson.STDLIB else json.loads(tree_json)
    except ValueError:  # orjson.JSONDecodeError is a ValueError; NaN and lone surrogates: the stdlib
        try:
            tree = json.loads(tree_json)
        except ValueError:
            return None
    return tree if isinstance(tree, dict) else None


def index_all(conn: sqlite3.Connection) -> None:
    """Indexes every stored trace afresh (the upgrade of an older store; inside its transaction)."""
    for table in ("span_search", "model_usage", "search_traces"):
        conn.execute(f"DELETE FROM {table}")
    sessions = [row[0] for row in conn.execute("SELECT DISTINCT session_id FROM traces")]
    for session_id in sessions:
        rows = conn.execute("SELECT seq, tree FROM traces WHERE session_id = ? ORDER BY seq", (session_id,))
        index_traces(conn, session_id, rows.fetchall())


class _Inexact(Exception):
    """A float beyond 64-bit integers in a tree read by orjson: it may have been an exact integer."""


def span_rows(tree: dict[str, Any], exact: bool = True) -> Iterator[tuple[str, str, str, str, str, str, str]]:
    """``(name, inputs, outputs, error, attributes, span_id, kind)`` texts of each span, tree order.

    ``exact=False`` raises ``_Inexact`` at a float of 2**63 or more (see ``_parse``).
    """
    for span in walk(tree):
        error = span.get("error")
        attributes = span.get("attributes")
        if isinstance(attributes, dict) and "visualizations" in attributes:
            attributes = {key: value for key, value in attributes.items() if key != "visualizations"}
        name = span.get("name")
        yield (
            _clean(name) if type(name) is str else _clean(str(name or "")),
            as_search_text(span.get("inputs"), exact),
            as_search_text(span.get("outputs"), exact),
            as_search_text(error, exact) if error else "",
            as_search_text(attributes, exact),
            str(span.get("span_id") or ""),
            str(span.get("kind") or ""),
        )


def as_search_text(value: Any, exact: bool = True) -> str:
    """The words of a JSON value, one ``key: value`` per line (keys kept: "temperature" is worth finding).

    ``exact=False`` raises ``_Inexact`` at a float of 2**63 or more (see ``_parse``).
    """
    if type(value) is str:  # most inputs and outputs: no walk
        return _clean(value)
    if value is None or (not value and isinstance(value, (dict, list))):
        return ""
    lines: list[str] = []
    _collect(value, "", lines, 0, exact)
    return _clean("\n".join(lines))


def _collect(value: Any, key: str, lines: list[str], depth: int, exact: bool) -> None:
    kind = type(value)
    if kind is str:
        if value:
            lines.append(f"{key}: {value}" if key else value)
    elif kind is dict and depth < 32:
        for name, item in value.items():
            _collect(item, name, lines, depth + 1, exact)
    elif kind is list and depth < 32:
        if len(value) > _VECTOR_LENGTH and all(isinstance(x, (int, float)) for x in value):
            return
        for item in value:
            _collect(item, key, lines, depth + 1, exact)
    elif value is None:
        return
    else:
        if not exact and kind is float and not -_EXACT_LIMIT < value < _EXACT_LIMIT:
            raise _Inexact
        lines.append(f"{key}: {value}" if key else str(value))


def _clean(text: str) -> str:
    if len(text) > _COLUMN_CHARS:
        text = text[:_COLUMN_CHARS]
    return text.translate(_STRIP) if MARK_START in text or MARK_END in text else text


def model_usage(tree: dict[str, Any]) -> list[tuple[str, int, int, int, int, float | None]]:
    """``(model, calls, prompt, completion, total, cost)`` per model over a tree's model spans."""
    usage: dict[str, list[Any]] = {}
    for span in walk(tree):
        if span.get("kind") not in MODEL_KINDS:
            continue
        attributes = span.get("attributes") or {}
        model = attributes.get("model")
        entry = usage.setdefault(model if isinstance(model, str) else "", [0, 0, 0, 0, 0.0])
        entry[0] += 1
        tokens = attributes.get("tokens")
        if isinstance(tokens, dict):
            for slot, name in ((1, "prompt"), (2, "completion"), (3, "total")):
                count = tokens.get(name)
                if type(count) is int:
                    entry[slot] += count
        cost = attributes.get("cost")
        amount = cost.get("total") if isinstance(cost, dict) else None
        if isinstance(amount, (int, float)) and not isinstance(amount, bool) and entry[4] is not None:
            entry[4] += amount
        else:
            entry[4] = None  # one call of unknown cost makes the model's cost unknown, never 0
    return [(model, *entry) for model, entry in sorted(usage.items())]
