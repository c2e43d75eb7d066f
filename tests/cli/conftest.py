"""Fixtures for the CLI tests: a store traced from real frameworks (see cli_scenarios.py)."""

from __future__ import annotations

import pytest
from cli_scenarios import build_scenarios


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    """One store holding a LangChain agent, a LangChain RAG chain and a LlamaIndex query engine session."""
    base = tmp_path_factory.mktemp("scenarios")
    return build_scenarios(base)
