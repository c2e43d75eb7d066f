"""Metrics and visualisations never touch the network: sockets blocked, nltk.download observed."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from metrics_helpers import KNOWN_TEXTS, clear_textstat_caches

from chaintracer.metrics import complexity, offline_cmudict, visualize
from chaintracer.metrics.complexity import METRIC_NAMES
from chaintracer.metrics.textstat_0_7_13 import syllables
from chaintracer.metrics.textstat_engine import TextstatEngine
from chaintracer.testing import flushed, walk
from demo.scripted import ScriptedChatModel, ScriptedLLM

REPO = Path(__file__).resolve().parents[2]
TRACING_ENV = ("LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING", "LANGCHAIN_TRACING", "LANGSMITH_TRACING_V2")


@pytest.fixture
def offline(monkeypatch):
    """Blocks every socket connection and DNS lookup in this process; records attempts and nltk.download calls."""
    import nltk
    from nltk.corpus.reader import CMUDictCorpusReader
    from nltk.corpus.util import LazyCorpusLoader

    record = {"network": [], "downloads": []}

    def refuse(name):
        def blocked(*args, **kwargs):
            record["network"].append(name)
            raise OSError(f"network access blocked by the test ({name})")

        return blocked

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("socket.getaddrinfo"))
    original_download = nltk.download

    def recording_download(*args, **kwargs):
        record["downloads"].append(args)
        return original_download(*args, **kwargs)

    monkeypatch.setattr(nltk, "download", recording_download)
    for name in TRACING_ENV:
        monkeypatch.delenv(name, raising=False)
    # Start from nothing loaded: the cmudict data and engines are built under the block.
    monkeypatch.setattr(syllables, "_table", None)
    monkeypatch.setattr(offline_cmudict, "_pronunciations", None)
    monkeypatch.setattr(complexity, "_engines", {})
    monkeypatch.setattr(visualize, "_warned_models", set())
    # textstat reads nltk.corpus.cmudict: a fresh loader, as in a process that never found the data.
    monkeypatch.setattr(nltk.corpus, "cmudict", LazyCorpusLoader("cmudict", CMUDictCorpusReader, ["cmudict"]))
    clear_textstat_caches()
    yield record
    clear_textstat_caches()


def run_chains(tracer):
    """A completion chain and a chat chain, three invokes each."""
    llm_chain = (
        PromptTemplate.from_template("Explain {topic} to a child.")
        | ScriptedLLM(responses=["Bees make honey from nectar. They live in hives!", "Rain falls from clouds."])
        | StrOutputParser()
    )
    chat_chain = ChatPromptTemplate.from_messages([("human", "Tell me about {topic}, please.")]) | ScriptedChatModel()
    for topic in ("bees", "rain", "photosynthesis"):
        llm_chain.invoke({"topic": topic}, config={"callbacks": [tracer]})
        chat_chain.invoke({"topic": topic}, config={"callbacks": [tracer]})


def test_metrics_and_fallback_visuals_need_no_network(offline, store_path):
    """With sockets blocked, every model span gets metrics and views; nltk.download is never called."""
    from langchain_tracer import Tracer

    with pytest.warns(visualize.PipelineNotInstalledWarning):
        tracer = Tracer(
            store=store_path,
            complexity_metrics=True,
            visualize=True,
            analyze_prompts=True,
            spacy_model="en_core_web_sm",
        )
    run_chains(tracer)
    doc = flushed(tracer)
    models = [span for trace in doc["traces"] for span in walk(trace) if span["kind"] in ("llm", "chat_model")]
    assert len(models) == 6
    for span in models:
        assert set(METRIC_NAMES) <= set(span["metrics"])
        assert {f"prompt_{name}" for name in METRIC_NAMES} <= set(span["metrics"])
        assert set(span["attributes"]["visualizations"]) == {"dependency", "entities", "prompt_output"}
    assert offline["downloads"] == []
    assert offline["network"] == []


@pytest.mark.parametrize("lang", ["en_US", "es"])
def test_textstat_called_itself_needs_no_network(offline, lang):
    """The path for other textstat versions, on a process without NLTK data: values, and no download."""
    engine = TextstatEngine(lang)
    for text in KNOWN_TEXTS:
        assert list(engine.metrics(text)) == list(METRIC_NAMES)
    assert offline["downloads"] == []
    assert offline["network"] == []


def test_the_block_catches_textstats_own_download(offline):
    """Control: textstat called directly (no NLTK data) tries nltk.download, and the block stops it."""
    from textstat.textstat import textstatistics

    with contextlib.suppress(LookupError):  # NLTK's cmudict is absent and could not be fetched
        textstatistics().flesch_reading_ease("The cat sat on the mat.")
    assert offline["downloads"] == [("cmudict",)]
    assert offline["network"], "nltk.download reached the network unblocked"


SCRIPT = textwrap.dedent(
    """
    import json, os, socket, sys, warnings
    attempts, downloads = [], []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:2]))
        raise OSError("network access blocked")

    socket.socket.connect = socket.socket.connect_ex = refuse
    socket.create_connection = socket.getaddrinfo = refuse
    import nltk

    original = nltk.download
    nltk.download = lambda *a, **k: (downloads.append(a), original(*a, **k))[1]
    warnings.simplefilter("ignore")
    from langchain_core.language_models import FakeListLLM
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import PromptTemplate
    from langchain_tracer import Tracer
    from chaintracer.testing import flushed, walk

    from chaintracer.metrics import complexity

    if sys.argv[2] == "textstat":  # as with any textstat version but the mirrored one
        complexity.uses_mirror = lambda: False
    tracer = Tracer(store=sys.argv[1], complexity_metrics=True, visualize=True, analyze_prompts=True)
    llm = FakeListLLM(responses=["Paris is lovely in May."])
    chain = PromptTemplate.from_template("Say {x}.") | llm | StrOutputParser()
    chain.invoke({"x": "something"}, config={"callbacks": [tracer]})
    doc = flushed(tracer)
    spans = [s for t in doc["traces"] for s in walk(t) if s["kind"] == "llm"]
    print(json.dumps({
        "attempts": attempts,
        "downloads": downloads,
        "metrics": sorted(spans[0]["metrics"]),
        "views": sorted(spans[0]["attributes"]["visualizations"]),
        "loaded": [m for m in ("textstat", "cmudict", "spacy") if m in sys.modules],
        "engine": type(complexity.engine_for("en_US")).__name__,
    }))
    """
)


@pytest.mark.parametrize(
    ("path", "engine"),
    [
        ("as installed", "ReadabilityEngine" if complexity.uses_mirror() else "TextstatEngine"),
        ("textstat", "TextstatEngine"),
    ],
)
def test_fresh_process_with_network_blocked_from_the_start(tmp_path, path, engine):
    """In a new interpreter whose sockets are blocked before any import, tracing with metrics works offline."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CHAINTRACER_RAISE_INTERNAL_ERRORS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "t.db"), path],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["attempts"] == []
    assert report["downloads"] == []
    assert set(METRIC_NAMES) <= set(report["metrics"])
    assert report["views"] == ["dependency", "entities", "prompt_output"]
    assert report["loaded"] == ["textstat", "cmudict", "spacy"]
    assert report["engine"] == engine
