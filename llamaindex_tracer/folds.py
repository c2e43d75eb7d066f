"""Where chaintracer records LlamaIndex differently from LlamaIndex's own record, and why.

LlamaIndex keeps two records of a run: ``LlamaDebugHandler`` on the callback manager (legacy
events) and span handlers such as ``SimpleSpanHandler`` on the root dispatcher. chaintracer
follows them span for span except for the rules in ``FOLDS``: a few framework spans are merged
into the span that stands for the same operation (``fold``), moved under the span they belong
to (``nest``), grouped under one root per query or chat turn (``group``), or given a kind other
than their class suggests (``kind``), and a few spans end later than LlamaIndex says (``time``).

The table is read by the tracer (``instrumentation.Bridge`` calls ``dispatcher_fold`` for every
dispatcher span) and by the conformance suite (``tests/conformance/llamaindex``), which applies
the same rules to LlamaIndex's own record before comparing: a rule that is not here is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaintracer.kinds import MODEL_KINDS


@dataclass(frozen=True)
class Fold:
    """One deliberate difference from LlamaIndex's own record."""

    name: str
    # Where it applies: "legacy" (the tracer in the callback manager), "instrumentation"
    # (``tracer.instrument()``), "both" (the two together).
    modes: tuple[str, ...]
    effect: str  # "fold", "nest", "group", "kind" or "time"
    rule: str
    reason: str


FOLDS: tuple[Fold, ...] = (
    Fold(
        "private-method",
        ("instrumentation", "both"),
        "fold",
        "A private method (`_query`, `_retrieve`, `_get_text_embedding`) under a method of the same instance "
        "is folded into it.",
        "It is how the public method is implemented, not a second operation.",
    ),
    Fold(
        "call-wrapper",
        ("instrumentation", "both"),
        "fold",
        "A public method directly under `__call__` of the same instance (`FunctionTool.__call__` -> `call`, "
        "`BaseEmbedding.__call__` -> `get_text_embedding_batch`) is folded into it.",
        "`__call__` only delegates: one tool call is one tool span, one embedding step one embedding span.",
    ),
    Fold(
        "same-request-model",
        ("instrumentation", "both"),
        "fold",
        "A model call directly under a model call of the same instance (`CustomLLM.chat` -> `complete`, "
        "`achat` -> `chat`) is folded into it; its token usage is recorded on the outer span.",
        "One request to the model is one model span, counted once in `llm_calls` and in the token totals.",
    ),
    Fold(
        "structured-llm",
        ("instrumentation", "both"),
        "kind",
        "`StructuredLLM` methods are `chain` spans; the model call is the wrapped LLM's own span inside.",
        "`as_structured_llm(...).complete()` is one request to the wrapped model, not two.",
    ),
    Fold(
        "nested-llm-event",
        ("legacy",),
        "fold",
        "An LLM event that starts while another LLM event's call is running in the same task or thread "
        "(`CustomLLM.chat` -> `complete`, `StructuredLLM` -> its LLM) is folded into the outer one.",
        "LLM events are leaves on LlamaIndex's event stack, so the inner call looks like a sibling; "
        "it is the same request.",
    ),
    Fold(
        "trace-window",
        ("legacy", "both"),
        "group",
        "The events of one trace window (`start_trace`/`end_trace`: a query, a chat turn, an index "
        "construction) nest under one root named after it (`query`, `chat`, `index_construction`); "
        "with both paths on, dispatcher spans without a parent started in the window nest there too.",
        "LlamaIndex tracks these windows per task and thread; `LlamaDebugHandler` prints one tree per window.",
    ),
    Fold(
        "single-event-window",
        ("legacy", "both"),
        "fold",
        "A trace window whose only top-level span is one span gets no root of its own: that span is the root.",
        "The window would only repeat its single span (`query` above `query`).",
    ),
    Fold(
        "stream-work",
        ("legacy",),
        "nest",
        "Events LlamaIndex starts while the caller iterates a streamed response (the templating and LLM "
        "events of `query(...)` with `streaming=True`) nest under the span that returned the stream.",
        "LlamaIndex starts them after the query ended, outside any trace window and without a parent.",
    ),
    Fold(
        "legacy-only-event",
        ("both",),
        "nest",
        "With both paths on, only `templating` and `tree` legacy events are recorded (every other event has "
        "a dispatcher span); they nest under the dispatcher span they fire in, and dispatcher spans started "
        "inside them nest under them.",
        "One operation is recorded once, in the place it happened.",
    ),
    Fold(
        "stream-end",
        ("legacy", "instrumentation", "both"),
        "time",
        "A span that returns a stream (a model stream, a `StreamingResponse`) ends when its stream is "
        "exhausted, not when it returns.",
        "Its output, token usage and the work done while streaming belong to it.",
    ),
)

FOLD = {fold.name: fold for fold in FOLDS}

# The role of a dispatcher method in the fold rules, decided once per (class, method).
PUBLIC, PRIVATE, CALL = 0, 1, 2


def method_role(method: str) -> int:
    """``PRIVATE`` for ``_name``, ``CALL`` for ``__call__``, else ``PUBLIC`` (other dunders included)."""
    if method == "__call__":
        return CALL
    if method.startswith("_") and not method.startswith("__"):
        return PRIVATE
    return PUBLIC


def dispatcher_fold(role: int, kind: str, parent_role: int, parent_kind: str, direct: bool) -> str | None:
    """The fold rule that merges a dispatcher span into its parent span of the same instance, if any.

    ``role``/``kind`` describe the span, ``parent_role``/``parent_kind`` the span standing for its
    parent (after earlier folds); ``direct`` is False when the framework's parent was itself folded.
    Callers check first that both spans belong to the same instance.
    """
    if role == PRIVATE:
        return "private-method"
    if direct and parent_role == CALL and role == PUBLIC:
        return "call-wrapper"
    if kind in MODEL_KINDS and parent_kind in MODEL_KINDS:
        return "same-request-model"
    return None
