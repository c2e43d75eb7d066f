"""The public surface of ``chaintracer``: its names, and what importing it costs."""

from __future__ import annotations

import json
import subprocess
import sys

import chaintracer

PUBLIC_NAMES = [
    "Result",
    "SessionInfo",
    "SessionNotFound",
    "Span",
    "SpanKind",
    "Status",
    "StatusCode",
    "Store",
    "StoreError",
    "Tracer",
    "__version__",
    "evaluate",
    "scorers",
]

FRAMEWORKS = ("langchain", "langchain_core", "langgraph", "llama_index", "wandb", "spacy")


def test_all_is_pinned():
    """`chaintracer.__all__` lists exactly the documented public names, sorted."""
    assert chaintracer.__all__ == PUBLIC_NAMES
    assert sorted(chaintracer.__all__) == chaintracer.__all__


def test_every_public_name_resolves():
    """Every name in `__all__` is importable from the package and the version is a string."""
    for name in chaintracer.__all__:
        assert getattr(chaintracer, name) is not None, name
    assert isinstance(chaintracer.__version__, str)
    assert chaintracer.__version__.count(".") >= 1
    assert issubclass(chaintracer.StoreError, Exception)
    assert issubclass(chaintracer.SessionNotFound, Exception)


def test_import_does_not_pull_in_frameworks():
    """`import chaintracer` (and its CLI and test kit) loads no LangChain, LlamaIndex, W&B or spaCy module."""
    code = (
        "import json, sys\n"
        "import chaintracer, chaintracer.cli, chaintracer.testing\n"
        f"roots = {FRAMEWORKS!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in roots)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_experiments_load_lazily():
    """`import chaintracer` does not load the experiment modules; `chaintracer.evaluate` and `scorers` do."""
    code = (
        "import sys\n"
        "import chaintracer\n"
        "before = 'chaintracer.experiments' in sys.modules\n"
        "from chaintracer import scorers\n"
        "print(before, callable(chaintracer.evaluate), callable(scorers.exact_match))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["False", "True", "True"]


def test_manual_tracing_does_not_pull_in_frameworks(tmp_path):
    """Recording and flushing manual spans with the core Tracer never imports a framework."""
    code = (
        "import json, sys\n"
        "import chaintracer\n"
        f"tracer = chaintracer.Tracer(store={str(tmp_path / 'api.db')!r})\n"
        "root = chaintracer.Span(name='root', span_kind=chaintracer.SpanKind.AGENT)\n"
        "root.add_named_result({'q': 'x'}, {'a': 'y'})\n"
        "tracer.log_trace(root)\n"
        "tracer.flush_tracker(name='api')\n"
        f"roots = {FRAMEWORKS!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in roots)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
