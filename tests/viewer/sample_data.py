"""A store for the viewer tests: real LangChain sessions, a prompt iteration pair, and hostile text.

* the demo's three LangChain scenarios (``simple_sequential``, ``synopsis_chain``, ``agent`` whose
  third trace fails in a tool), traced by ``langchain_tracer.Tracer`` with scripted models;
* ``prompt-v1`` / ``prompt-v2``: the same four questions through two prompt versions (different
  template, temperature and answers; one v2 trace fails), for the comparison;
* ``LONG_NAME``: a session whose agent recovered from a tool error (a handled error: a warning,
  not a failed trace), with retrieved documents, readability metrics on its model call, a
  multi-line question and a long name; ``format-failure``: a trace that failed inside
  langchain_core (a real traceback through library frames);
* ``empty-run``: a session flushed before any trace finished;
* two experiments: ``capitals`` (three temperatures; scores fall as it rises) and ``XSS_EXPERIMENT``
  (hostile experiment, variant and score names, and outputs);
* ``XSS_NAME``: a session whose name, tags, group, config, inputs, outputs, error, model
  architecture and visualisation HTML all carry script-injection payloads, written through the
  core encoder. Nothing of it may execute in the viewer or the report.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from chaintracer.encoding import TraceEncoder
from chaintracer.payloads import Converter
from chaintracer.session import Session
from chaintracer.settings import resolve
from chaintracer.spans import Span
from chaintracer.store import Store

# Each payload would set window.__xss (or create #xss-marker) if it were parsed as HTML.
P_SCRIPT = '<script>window.__xss = "script"</script>'
P_IMG = "<img src=x onerror=\"window.__xss='img'\">"
P_SVG = '"><svg onload="window.__xss=\'svg\'"></svg>'
P_MARKER = '<b id="xss-marker">bold?</b>'
XSS_NAME = "xss <img src=x onerror=\"window.__xss='name'\">"
XSS_TEXT = f"answer {P_SCRIPT} {P_IMG} {P_MARKER}"
XSS_ERROR = f"tool failed {P_SVG} {P_IMG}"
VIZ_HTML = (
    '<div class="entities" style="line-height:2.5">Paris <mark style="background:#7aecec;padding:0.2em">'
    'Paris<span style="font-size:0.8em;font-weight:bold">GPE</span></mark> is the capital.</div>'
    "<script>parent.__xss = 'viz-script'; window.top.__xss = 'viz-script'</script>"
    "<img src=x onerror=\"parent.__xss='viz-img'\">"
)

LONG_NAME = (
    "a session with a very long name that keeps going so that the pages must wrap it instead of cutting it:"
    " the recovered agent"
)
MULTILINE_QUESTION = "First line of the question\nSecond line: where is the Eiffel tower?"
METRICS = {"flesch_reading_ease": 65.73333333, "gunning_fog": 9.876543, "smog_index": 11.23456}
DOCUMENTS = [
    {"page_content": "The Eiffel tower stands in Paris, on the Champ de Mars.", "metadata": {"source": "kb/paris.md"}},
    {"page_content": "Lyon is known for its cuisine.", "metadata": {"source": "kb/lyon.md", "score": 0.4211}},
]
XSS_EXPERIMENT = f"xss-experiment {P_IMG}"
XSS_VARIANTS = (f"plain {P_MARKER}", f"other {P_SVG}")
CAPITALS = {"France": "Paris", "Spain": "Madrid", "Italy": "Rome", "Germany": "Berlin", "Norway": "Oslo"}
# The capitals experiment's answers drift from the capital as the temperature rises.
DRIFTS = {0.0: set(), 0.5: {"Spain"}, 1.0: {"Spain", "Italy", "Norway"}}

QUESTIONS = [
    "What is the capital of France?",
    "Who wrote Hamlet?",
    "How fast is light?",
    "What is the boiling point of water?",
]


def build(path: str) -> dict[str, str]:
    """Fills the store at ``path``; returns session ids by name."""
    from demo import langchain_scenarios

    langchain_scenarios.run(path)
    _prompt_iteration(path)
    _recovered(path)
    _empty(path)
    _experiments(path)
    _hostile(path)
    store = Store(path, create=False)
    try:
        return {session["name"]: session["id"] for session in store.sessions()}
    finally:
        store.close()


def _prompt_iteration(path: str) -> None:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import PromptTemplate
    from langchain_core.runnables import RunnableLambda

    from demo.scripted import ScriptedLLM
    from langchain_tracer import Tracer

    answers = {
        "v1": ["Paris.", "Shakespeare.", "Fast.", "100 degrees."],
        "v2": ["The capital of France is Paris.", "William Shakespeare wrote Hamlet.", "", "Water boils at 100 °C."],
    }
    templates = {
        "v1": "Answer briefly: {question}",
        "v2": "You are a careful assistant. Answer in one full sentence.\nQuestion: {question}",
    }
    for version, temperature in (("v1", 0.7), ("v2", 0.1)):
        tracer = Tracer(project="prompt-iteration", tags=["prompt", version], group=f"prompt-{version}", store=path)
        llm = ScriptedLLM(responses=answers[version], temperature=temperature)

        def check(text: str) -> str:
            if not text.strip():
                raise ValueError("empty answer from the model")
            return text

        chain = (
            PromptTemplate.from_template(templates[version]) | llm | StrOutputParser() | RunnableLambda(check)
        ).with_config(run_name="qa_chain")
        for question in QUESTIONS:
            with contextlib.suppress(ValueError):  # the failing v2 answer: its trace keeps the error
                chain.invoke({"question": question}, config={"callbacks": [tracer]})
        tracer.flush_tracker(chain, name=f"prompt-{version}", finish=True)


def _recovered(path: str) -> None:
    """An agent run that handled a tool error and looked documents up; then a run that failed for real."""
    from chaintracer import Tracer

    tracer = Tracer(project="recovery", tags=["handled"], store=path)
    ms = 1_000_000
    now = time.time_ns()
    root = Span(name="recovering_agent", span_kind="agent")
    root.start_ns = now
    root.inputs = {"question": MULTILINE_QUESTION}
    tool = Span(name="flaky_search", span_kind="tool")
    tool.start_ns, tool.end_ns = now + 1 * ms, now + 3 * ms
    tool.inputs = {"query": "eiffel tower"}
    tool.status = "error"
    tool.error = {"type": "TimeoutError", "message": "search timed out", "traceback": None}
    root.add_child_span(tool)
    retriever = Span(name="kb_retriever", span_kind="retriever")
    retriever.start_ns, retriever.end_ns = now + 4 * ms, now + 6 * ms
    retriever.inputs = {"query": "eiffel tower"}
    retriever.outputs = {"documents": DOCUMENTS}
    root.add_child_span(retriever)
    llm = Span(name="answer_llm", span_kind="llm", attributes={"model": "scripted-answerer"})
    llm.start_ns, llm.end_ns = now + 7 * ms, now + 9 * ms
    llm.attributes["tokens"] = {"prompt": 20, "completion": 8, "total": 28}
    llm.inputs, llm.outputs = "Where is the Eiffel tower?", "The Eiffel tower is in Paris."
    llm.metrics = dict(METRICS)
    root.add_child_span(llm)
    root.outputs = {"answer": "The Eiffel tower is in Paris."}
    root.end_ns = now + 10 * ms
    tracer.log_trace(root)
    tracer.flush_tracker(name=LONG_NAME)

    failing = Span(name="formatting_chain", span_kind="chain")
    failing.start_ns = now + 20 * ms
    failing.inputs = {"template": "{missing}"}
    try:
        _format_with_langchain()
    except KeyError as exc:
        failing.status = "error"
        failing.error = exc
    failing.end_ns = now + 22 * ms
    tracer.log_trace(failing)
    tracer.flush_tracker(name="format-failure", finish=True)


def _format_with_langchain() -> str:
    """Raises inside langchain_core (library frames) below this file's own frame."""
    from langchain_core.prompts import PromptTemplate

    return PromptTemplate.from_template("{missing}").format()


def _empty(path: str) -> None:
    from chaintracer import Tracer

    Tracer(project="recovery", store=path).flush_tracker(name="empty-run", finish=True)


def _experiments(path: str) -> None:
    import chaintracer
    from chaintracer import scorers

    def answer(inputs: dict[str, Any], temperature: float) -> str:
        country = inputs["country"]
        return f"{country}: Lyon" if country in DRIFTS[temperature] else f"{country}: {CAPITALS[country]}"

    data = [{"inputs": {"country": c}, "expected": city, "id": c} for c, city in CAPITALS.items()]
    chaintracer.evaluate(
        answer,
        data,
        scorers=[scorers.contains],
        variants={"cold": {"temperature": 0.0}, "warm": {"temperature": 0.5}, "hot": {"temperature": 1.0}},
        name="capitals",
        project="experiments",
        store=path,
        progress=False,
    )

    def hostile(inputs: dict[str, Any], flavour: str) -> str:
        return f"{flavour} {P_SCRIPT} {P_IMG}"

    def xss_scores(output: str) -> dict[str, float]:
        return {f"score {P_IMG}": 1.0, "length": float(len(output))}

    chaintracer.evaluate(
        hostile,
        data[:2],
        scorers=[xss_scores],
        variants={XSS_VARIANTS[0]: {"flavour": P_MARKER}, XSS_VARIANTS[1]: {"flavour": P_SVG}},
        name=XSS_EXPERIMENT,
        project="security",
        store=path,
        progress=False,
    )


def _hostile(path: str) -> None:
    settings = resolve(project="security", tags=[P_SCRIPT, "xss"], group=P_IMG, notes=P_MARKER, store=path)
    session = Session(settings)
    encoder = TraceEncoder(Converter(65536), _add_visualization)
    now = time.time_ns()
    for index in range(3):
        session.add(encoder.encode(_hostile_trace(now + index * 50_000_000, failing=index == 1)))
    model = {
        "type": f"Chain{P_IMG}",
        "name": XSS_NAME,
        "nodes": [
            {
                "id": "a",
                "name": f"prompt {P_SCRIPT}",
                "type": "PromptTemplate",
                "kind": "prompt",
                "params": {"template": P_MARKER},
            },
            {"id": "b", "name": "llm", "type": "ScriptedLLM", "kind": "llm", "params": {"stop": P_SVG}},
        ],
        "edges": [{"source": "a", "target": "b", "conditional": False}],
        "models": [{"type": "ScriptedLLM", "kind": "llm", "params": {"system": P_IMG}}],
    }
    record = session.record(XSS_NAME, {}, {"system_prompt": P_SCRIPT}, model)
    store = Store(path)
    try:
        store.write_session(record, session.pending())
    finally:
        store.close()


def _hostile_trace(start_ns: int, failing: bool) -> Span:
    ms = 1_000_000
    root = Span(name=f"chain {P_SCRIPT}", span_kind="chain")
    root.start_ns = start_ns
    root.add_named_result({"question": f"q {P_IMG} {P_MARKER}"}, {"answer": XSS_TEXT})
    llm = Span(
        name=f"llm {P_IMG}",
        span_kind="llm",
        attributes={"model": P_SCRIPT, "tokens": {"prompt": 5, "completion": 7, "total": 12}},
    )
    llm.start_ns, llm.end_ns = start_ns + 2 * ms, start_ns + 20 * ms
    llm.inputs, llm.outputs = f"prompt {P_SVG}", XSS_TEXT
    root.add_child_span(llm)
    tool = Span(name=f"tool {P_MARKER}", span_kind="tool")
    tool.start_ns, tool.end_ns = start_ns + 22 * ms, start_ns + 30 * ms
    tool.inputs = {"query": P_SCRIPT}
    if failing:
        tool.status = "error"
        tool.error = {"type": "ValueError", "message": XSS_ERROR, "traceback": f"Traceback:\n  {P_SCRIPT}\nValueError"}
        root.status = "error"
        root.error = {"type": "ValueError", "message": XSS_ERROR, "traceback": None}
    else:
        tool.outputs = {"result": P_IMG}
    root.add_child_span(tool)
    stuck = Span(name="never ended", span_kind="retriever")
    stuck.start_ns = start_ns + 31 * ms  # no end: encoded as incomplete
    root.add_child_span(stuck)
    root.end_ns = start_ns + 40 * ms
    return root


def _add_visualization(span: Any, encoded: dict[str, Any], artifacts: dict[str, tuple[str, str]]) -> None:
    ref = f"ent-{hashlib.sha1(VIZ_HTML.encode()).hexdigest()[:16]}.html"
    artifacts[ref] = ("text/html", VIZ_HTML)
    encoded["attributes"]["visualizations"] = {"ent": ref}


# -- an HTTP client for the API tests ------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """urllib against a running viewer."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def request(self, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> Response:
        request = urllib.request.Request(self.base + path, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def json(self, path: str) -> Any:
        response = self.request(path)
        assert response.status == 200, (path, response.status, response.body[:300])
        return response.json()
