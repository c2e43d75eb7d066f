"""Searching the full-text index (``derived.span_search``): matching spans, matching traces, snippets.

A user's search is words, not FTS5 syntax: ``match_expression`` keeps the words (letters and
digits, in any script) and asks for spans holding every one of them, each as a word or the
start of one, so that quotes, ``*``, ``NEAR`` or ``-`` typed by a user are never operators and
never a syntax error. Text without a word (``+``, ``%``) has no expression; callers fall back
to a plain substring match of the table's previews.

A store from before ``schema.SEARCH_SCHEMA`` that no writer has opened since has no index:
``fallback_hits`` then reads the trees and matches the words in Python (slower, same answers).
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from chaintracer.store.derived import COLUMNS, MARK_END, MARK_START, SPAN_BITS, SPAN_MASK, span_rows

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 16
SNIPPET_TOKENS = 14
# The column a hit is shown from when several match: what a person looks for first.
_PREFERENCE = (2, 1, 3, 0, 4)  # outputs, inputs, error, name, attributes
_SNIPPETS = ", ".join(
    f"snippet(span_search, {i}, '{MARK_START}', '{MARK_END}', '…', {SNIPPET_TOKENS})" for i in range(len(COLUMNS))
)
_HIT_SELECT = (
    f"SELECT t.session_id, t.seq, f.rowid & {SPAN_MASK}, f.span_id, f.kind, f.name, {_SNIPPETS}"
    f" FROM span_search f CROSS JOIN search_traces t ON t.key = f.rowid >> {SPAN_BITS}"
)


def words(text: str) -> list[str]:
    """The words of a search (at most ``MAX_WORDS``), lowercased."""
    return [word.lower() for word in _WORD.findall(text)][:MAX_WORDS]


def match_expression(text: str) -> str | None:
    """An FTS5 query matching spans that hold every word of ``text`` (as a word or a word's start)."""
    found = words(text)
    if not found:
        return None
    return " AND ".join(f'"{word}"*' for word in found)


def count_hits(conn: sqlite3.Connection, expression: str, session_id: str | None) -> int:
    """How many spans match (in one session, or in the whole store)."""
    sql = f"SELECT count(*) FROM span_search f CROSS JOIN search_traces t ON t.key = f.rowid >> {SPAN_BITS}"
    where, params = _where(expression, session_id)
    return conn.execute(f"{sql} WHERE {where}", params).fetchone()[0]


def hits(
    conn: sqlite3.Connection, expression: str, session_id: str | None, offset: int, limit: int
) -> list[dict[str, Any]]:
    """A page of matching spans: in trace order for one session, best matches first for the store."""
    where, params = _where(expression, session_id)
    order = "t.seq, f.rowid" if session_id is not None else "bm25(span_search), f.rowid"
    rows = conn.execute(f"{_HIT_SELECT} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?", [*params, limit, offset])
    return [_hit(row) for row in rows]


def matching_seqs_sql(session_id_param: str = "?") -> str:
    """A subquery (parameters: expression, session id) of the seqs of a session's traces with a matching span."""
    return (
        f"SELECT t.seq FROM span_search f CROSS JOIN search_traces t ON t.key = f.rowid >> {SPAN_BITS}"
        f" WHERE span_search MATCH ? AND t.session_id = {session_id_param}"
    )


def first_hits(
    conn: sqlite3.Connection, expression: str, session_id: str, seqs: list[int]
) -> dict[int, dict[str, Any]]:
    """The first matching span of each of the given traces of a session (for the trace table's rows)."""
    found: dict[int, dict[str, Any]] = {}
    for seq in seqs:
        key = conn.execute("SELECT key FROM search_traces WHERE session_id = ? AND seq = ?", (session_id, seq))
        row = key.fetchone()
        if row is None:
            continue
        first = row[0] << SPAN_BITS
        match = conn.execute(
            f"{_HIT_SELECT} WHERE span_search MATCH ? AND f.rowid BETWEEN ? AND ? ORDER BY f.rowid LIMIT 1",
            (expression, first, first + SPAN_MASK),
        ).fetchone()
        if match is not None:
            found[seq] = _hit(match)
    return found


def _where(expression: str, session_id: str | None) -> tuple[str, list[Any]]:
    if session_id is None:
        return "span_search MATCH ?", [expression]
    return "span_search MATCH ? AND t.session_id = ?", [expression, session_id]


def _hit(row: tuple[Any, ...]) -> dict[str, Any]:
    session_id, seq, position, span_id, kind, name, *snippets = row
    matched = [COLUMNS[i] for i in _PREFERENCE if MARK_START in snippets[i]]
    shown = next((i for i in _PREFERENCE if MARK_START in snippets[i]), 0)
    return {
        "session_id": session_id,
        "seq": seq,
        "span_id": span_id,
        "span_position": position,
        "span_name": name,
        "kind": kind,
        "fields": matched,
        "field": COLUMNS[shown],
        "snippet": snippets[shown],
    }


# -- stores without the index ------------------------------------------------------------------


def fallback_hits(
    conn: sqlite3.Connection, text: str, session_id: str | None, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """``(hits, total)`` found by reading the trees of a store without the index (an older one)."""
    wanted = words(text)
    if not wanted:
        return [], 0
    sql = "SELECT session_id, seq, tree FROM traces WHERE tree LIKE ? ESCAPE '\\'"
    params: list[Any] = ["%" + wanted[0].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"]
    if session_id is not None:
        sql += " AND session_id = ?"
        params.append(session_id)
    found: list[dict[str, Any]] = []
    for sid, seq, tree_json in conn.execute(sql + " ORDER BY session_id, seq", params):
        try:
            tree = json.loads(tree_json)
        except ValueError:
            continue
        for position, row in enumerate(span_rows(tree)):
            texts = row[:5]
            if all(any(_has_word(text, word) for text in texts) for word in wanted):
                matched = [COLUMNS[i] for i in _PREFERENCE if any(_has_word(texts[i], w) for w in wanted)]
                shown = COLUMNS.index(matched[0])
                found.append(
                    {
                        "session_id": sid,
                        "seq": seq,
                        "span_id": row[5],
                        "span_position": position,
                        "span_name": row[0],
                        "kind": row[6],
                        "fields": matched,
                        "field": matched[0],
                        "snippet": _mark(texts[shown], wanted),
                    }
                )
    return found[:limit], len(found)


def _has_word(text: str, word: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(word), text, re.IGNORECASE) is not None


def _mark(text: str, wanted: list[str]) -> str:
    """About ``SNIPPET_TOKENS`` words around the first match, matches between the markers."""
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in wanted) + r")\w*", re.IGNORECASE)
    first = pattern.search(text)
    start = 0 if first is None else max(0, first.start() - 60)
    window = text[start : start + 160]
    marked = pattern.sub(lambda m: MARK_START + m.group(0) + MARK_END, window)
    return ("…" if start else "") + marked + ("…" if start + 160 < len(text) else "")
