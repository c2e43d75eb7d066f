"""Fixtures for the experiment tests: a configurable LangChain chain and a small dataset."""

from __future__ import annotations

import pytest
from experiment_fixtures import CAPITALS, capitals_chain


@pytest.fixture
def chain():
    """A fresh configurable capitals chain."""
    return capitals_chain()


@pytest.fixture
def data():
    """Three capital questions with ids and expected answers."""
    return [dict(example) for example in CAPITALS]
