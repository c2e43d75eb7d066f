"""One comparison: LlamaIndex's own record, projected through the fold table, against the export.

``expected(mode, legacy, dispatcher)`` turns the reference record into the spans chaintracer
should store for a mode (``legacy``: callback manager only; ``instrumentation``; ``both``),
applying exactly the rules of ``llamaindex_tracer.folds.FOLDS`` and nothing else.
``differences(expected, exported)`` normalises the exported trees the same way and lists every
span that is missing, extra, or differs in parent, name, kind, status, error message or time.
Span ids are LlamaIndex's own (event ids, dispatcher span ids), so spans are matched by id; the
roots chaintracer adds for trace windows are matched by the spans they hold.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from li_reference import DispatcherRecord, LegacyRecord, local_time
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.llms.base import BaseLLM
from llama_index.core.callbacks.schema import CBEventType, EventPayload
from llama_index.core.llms.structured_llm import StructuredLLM
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.prompts.base import BasePromptTemplate
from llama_index.core.schema import TransformComponent
from llama_index.core.tools.types import BaseTool
from llama_index.core.workflow import Workflow

from chaintracer.spantree import walk
from llamaindex_tracer.folds import FOLD, dispatcher_fold, method_role

# Generous: both records take their clock in the same handler call; this catches spans ended
# at flush or at the wrong event, not scheduling noise on a loaded machine.
TOLERANCE = timedelta(milliseconds=500)
ABANDONED = (GeneratorExit, asyncio.CancelledError)

# The kind of a span, from LlamaIndex's event type or the class of the span's instance: the
# contract of chaintracer's kinds, written out independently of the tracer's code.
EVENT_KINDS = {
    CBEventType.LLM: "llm",
    CBEventType.EMBEDDING: "embedding",
    CBEventType.RETRIEVE: "retriever",
    CBEventType.RERANKING: "reranker",
    CBEventType.TEMPLATING: "prompt",
    CBEventType.FUNCTION_CALL: "tool",
    CBEventType.AGENT_STEP: "agent",
    CBEventType.CHUNKING: "parser",
    CBEventType.NODE_PARSING: "parser",
}
LEGACY_ONLY = (CBEventType.TEMPLATING, CBEventType.TREE)
CHAT = {"chat", "achat", "stream_chat", "astream_chat"}
COMPLETE = {"complete", "acomplete", "stream_complete", "astream_complete"}
CLASS_KINDS: tuple[tuple[type, str], ...] = (
    (BaseEmbedding, "embedding"),
    (BaseRetriever, "retriever"),
    (BaseNodePostprocessor, "reranker"),
    (BaseTool, "tool"),
    (Workflow, "agent"),
    (TransformComponent, "parser"),
    (BasePromptTemplate, "prompt"),
)


@dataclass
class Node:
    """A span as it should be (expected) or as it was stored (actual)."""

    id: str
    parent: str | None
    name: str
    kind: str
    status: str
    error: str | None
    start: datetime | None
    end: datetime | None
    late_end_ok: bool = False  # the "stream-end" rule: may end after LlamaIndex says
    cause: Any = None  # the exception object (expected side), to follow it through its parents
    children: list[str] = field(default_factory=list)
    window_members: frozenset[str] = frozenset()


# -- LlamaIndex's record as nodes ---------------------------------------------------------


def legacy_nodes(record: LegacyRecord) -> dict[str, Node]:
    """Every legacy event but EXCEPTION markers, with its parent, kind, name, status and times."""
    nodes: dict[str, Node] = {}
    for event_id, events in record.events_pairs_by_id.items():
        begin = events[0]
        if begin.event_type == CBEventType.EXCEPTION:
            continue
        end = events[1] if len(events) > 1 else None
        payload = begin.payload or {}
        kind = EVENT_KINDS.get(begin.event_type, "chain")
        name = begin.event_type.value
        if begin.event_type in (CBEventType.LLM, CBEventType.EMBEDDING):
            name = (payload.get(EventPayload.SERIALIZED) or {}).get("class_name") or name
            if EventPayload.MESSAGES in payload:
                kind = "chat_model"
        elif begin.event_type == CBEventType.FUNCTION_CALL:
            name = getattr(payload.get(EventPayload.TOOL), "name", None) or name
        nodes[event_id] = Node(
            event_id,
            record.facts[event_id].parent,
            name,
            kind,
            "ok" if end is not None else "incomplete",
            None,
            local_time(begin.time),
            local_time(end.time) if end is not None else None,
        )
    # Errors, children first: an event failed if its end reported an exception, an EXCEPTION
    # event marked it, or it ended without a payload while a child's exception went through it.
    for event_id in reversed(list(nodes)):
        events = record.events_pairs_by_id[event_id]
        end_payload = events[1].payload if len(events) > 1 else None
        facts = record.facts[event_id]
        cause = (end_payload or {}).get(EventPayload.EXCEPTION) or facts.marked
        propagated = cause is None and len(events) > 1 and not end_payload and facts.in_flight is not None
        if propagated and any(child.cause is facts.in_flight for child in nodes.values() if child.parent == event_id):
            cause = facts.in_flight
        if cause is not None:
            _fail(nodes[event_id], cause)
    return nodes


def dispatcher_nodes(record: DispatcherRecord, applied: set[str]) -> dict[str, Node]:
    """Every dispatcher span, with its parent, kind (from its class), name, status and times."""
    spans = [*record.completed_spans, *record.dropped_spans, *record.open_spans.values()]
    nodes: dict[str, Node] = {}
    for span in sorted(spans, key=lambda s: s.start_time):
        facts = record.facts[span.id_]
        name = span.id_[:-37]
        instance = facts.instance
        if isinstance(instance, BaseTool):
            name = instance.metadata.name or name
        if isinstance(instance, StructuredLLM):
            applied.add("structured-llm")
        if facts.returned_stream:
            applied.add("stream-end")
        node = Node(
            span.id_,
            span.parent_id,
            name,
            dispatcher_kind(instance, facts.method),
            "ok" if span.end_time is not None else "incomplete",
            None,
            span.start_time.astimezone(timezone.utc),
            span.end_time.astimezone(timezone.utc) if span.end_time is not None else None,
            late_end_ok=facts.returned_stream,
        )
        if facts.error is not None:
            _fail(node, facts.error)
        nodes[span.id_] = node
    return nodes


def dispatcher_kind(instance: Any, method: str) -> str:
    if instance is None:
        return "chain"  # workflow steps and plain functions
    if isinstance(instance, StructuredLLM):
        return "chain"  # FOLD["structured-llm"]
    if isinstance(instance, BaseLLM):
        return "chat_model" if method in CHAT else "llm" if method in COMPLETE else "chain"
    return next((kind for cls, kind in CLASS_KINDS if isinstance(instance, cls)), "chain")


def _fail(node: Node, cause: Any) -> None:
    node.cause = cause
    node.status = "incomplete" if isinstance(cause, ABANDONED) else "error"
    node.error = str(cause)


# -- the projection for a mode ------------------------------------------------------------


def expected(
    mode: str, legacy: LegacyRecord, dispatcher: DispatcherRecord, applied: set[str] | None = None
) -> dict[str, Node]:
    """The spans chaintracer should store for ``mode``, by LlamaIndex's record and the fold table.

    ``applied`` receives the names of the fold rules that changed something in this run.
    """
    applied = applied if applied is not None else set()
    nodes: dict[str, Node] = {}
    aliases: dict[str, str] = {}
    if mode in ("instrumentation", "both"):
        nodes.update(_fold_dispatcher(dispatcher_nodes(dispatcher, applied), dispatcher, aliases, applied))
    if mode in ("legacy", "both"):
        events = legacy_nodes(legacy)
        if mode == "both":
            events = _legacy_only(events, legacy, dispatcher, nodes, aliases, applied)
        else:
            events = _fold_nested_llm_events(events, legacy, dispatcher, applied)
            for event_id, node in events.items():  # FOLD["stream-work"]
                owner = legacy.facts[event_id].stream_owner
                if node.parent is None and owner is not None:
                    node.parent = owner
                    applied.add("stream-work")
        nodes.update(events)
        _group_windows(nodes, legacy, dispatcher, applied)
    for node in nodes.values():
        if node.parent is not None:
            nodes[node.parent].children.append(node.id)
    return nodes


def _fold_dispatcher(
    nodes: dict[str, Node], record: DispatcherRecord, aliases: dict[str, str], applied: set[str]
) -> dict[str, Node]:
    """Applies the dispatcher fold rules (``folds.dispatcher_fold``), in start order."""
    kept: dict[str, Node] = {}
    for span_id, node in nodes.items():
        raw = node.parent
        parent = aliases.get(raw, raw) if raw is not None else None
        node.parent = parent
        instance = record.facts[span_id].instance
        if parent is not None and instance is not None and parent in kept:
            parent_facts = record.facts[parent]
            if parent_facts.instance is instance:
                rule = dispatcher_fold(
                    method_role(record.facts[span_id].method),
                    node.kind,
                    method_role(parent_facts.method),
                    kept[parent].kind,
                    parent == raw,
                )
                if rule is not None:
                    assert rule in FOLD
                    applied.add(rule)
                    aliases[span_id] = parent
                    continue
        kept[span_id] = node
    return kept


def _fold_nested_llm_events(
    events: dict[str, Node], legacy: LegacyRecord, dispatcher: DispatcherRecord, applied: set[str]
) -> dict[str, Node]:
    """FOLD["nested-llm-event"]: an LLM event whose model call runs inside another LLM event's call."""
    parents = {span.id_: span.parent_id for span in [*dispatcher.completed_spans, *dispatcher.dropped_spans]}
    parents.update({span_id: span.parent_id for span_id, span in dispatcher.open_spans.items()})
    llm_by_anchor: dict[str, str] = {}
    kept: dict[str, Node] = {}
    for event_id, node in events.items():
        facts = legacy.facts[event_id]
        if node.kind in ("llm", "chat_model") and facts.anchor is not None:
            outer = None
            ancestor = parents.get(facts.anchor)
            while ancestor is not None and outer is None:
                outer = llm_by_anchor.get(ancestor)
                ancestor = parents.get(ancestor)
            if outer is not None:
                llm_by_anchor[facts.anchor] = outer
                applied.add("nested-llm-event")
                continue
            llm_by_anchor[facts.anchor] = event_id
        kept[event_id] = node
    return kept


def _legacy_only(
    events: dict[str, Node],
    legacy: LegacyRecord,
    dispatcher: DispatcherRecord,
    spans: dict[str, Node],
    aliases: dict[str, str],
    applied: set[str],
) -> dict[str, Node]:
    """FOLD["legacy-only-event"]: with both paths, only templating/tree events, nested where they fired."""
    kept = {
        event_id: node
        for event_id, node in events.items()
        if legacy.events_pairs_by_id[event_id][0].event_type in LEGACY_ONLY
    }
    if kept:
        applied.add("legacy-only-event")
    anchors: dict[str, str | None] = {}
    for event_id, node in kept.items():
        anchor = legacy.facts[event_id].anchor
        anchor = aliases.get(anchor, anchor) if anchor is not None else None
        anchors[event_id] = anchor
        if node.parent not in kept:
            node.parent = anchor if anchor in spans else None
    for span_id, node in spans.items():  # dispatcher spans started inside such an event
        top = dispatcher.facts[span_id].legacy_top
        if top in kept and anchors[top] == node.parent:
            node.parent = top
    return kept


def _group_windows(nodes: dict[str, Node], legacy: LegacyRecord, dispatcher: DispatcherRecord, applied: set) -> None:
    """FOLD["trace-window"] and FOLD["single-event-window"]: one root per window of several spans."""
    members: dict[str, list[str]] = {}
    for node_id, node in nodes.items():
        if node.parent is not None:
            continue
        facts = legacy.facts.get(node_id) or dispatcher.facts.get(node_id)
        window = getattr(facts, "window", None)
        if window is not None:
            members.setdefault(window, []).append(node_id)
    for window in legacy.windows:
        held = members.get(window.id, [])
        if len(held) == 1:
            applied.add("single-event-window")
        if len(held) < 2:
            continue
        applied.add("trace-window")
        window_id = f"window:{window.id}"
        node = Node(window_id, None, window.name, "chain", "ok", None, window.start, window.end, late_end_ok=True)
        if window.error is not None and any(nodes[m].cause is window.error for m in held):
            _fail(node, window.error)
        node.window_members = frozenset(held)
        for member in held:
            nodes[member].parent = window_id
        nodes[window_id] = node


# -- chaintracer's export as nodes, and the comparison ------------------------------------


def actual(exported: dict[str, Any]) -> dict[str, Node]:
    """The exported spans as nodes keyed by span id."""
    nodes: dict[str, Node] = {}
    for trace in exported["traces"]:
        for span in walk(trace):
            error = span["error"]
            nodes[span["span_id"]] = Node(
                span["span_id"],
                span["parent_id"],
                span["name"],
                span["kind"],
                span["status"],
                error["message"] if error else None,
                datetime.fromisoformat(span["start_time"]),
                datetime.fromisoformat(span["end_time"]) if span["end_time"] else None,
                children=[child["span_id"] for child in span["children"]],
            )
    return nodes


def differences(want: dict[str, Node], exported: dict[str, Any]) -> list[str]:
    """Every way the export differs from ``want`` (empty when they agree)."""
    got = actual(exported)
    renamed = _match_windows(want, got)
    got = {renamed.get(node_id, node_id): node for node_id, node in got.items()}
    for node in got.values():
        node.parent = renamed.get(node.parent, node.parent) if node.parent is not None else None
    problems = [f"missing {_label(want[i])}" for i in want if i not in got]
    problems += [f"extra {_label(got[i])}" for i in got if i not in want]
    for node_id in want.keys() & got.keys():
        w, g = want[node_id], got[node_id]
        for attr in ("parent", "name", "kind", "status", "error"):
            if getattr(w, attr) != getattr(g, attr):
                problems.append(f"{_label(w)}: {attr} {getattr(g, attr)!r}, LlamaIndex {getattr(w, attr)!r}")
        if w.start is not None and g.start is not None and abs(g.start - w.start) > TOLERANCE:
            problems.append(f"{_label(w)}: starts {g.start - w.start} off")
        if w.end is not None and g.end is not None:
            late = g.end - w.end
            if late < -TOLERANCE or (late > TOLERANCE and not w.late_end_ok):
                problems.append(f"{_label(w)}: ends {late} off")
    return problems


def _match_windows(want: dict[str, Node], got: dict[str, Node]) -> dict[str, str]:
    """Maps the ids of chaintracer's window roots to the expected window ids, by their members."""
    renamed: dict[str, str] = {}
    for window in (node for node in want.values() if node.window_members):
        for node in got.values():
            if node.id not in want and frozenset(node.children) == window.window_members:
                renamed[node.id] = window.id
                break
    return renamed


def _label(node: Node) -> str:
    return f"{node.kind} {node.name!r} ({node.id[:48]})"
