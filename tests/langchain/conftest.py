"""Fixtures for LangChain tests: a tracer writing into the test's own store."""

from __future__ import annotations

import pytest

from langchain_tracer import Tracer


@pytest.fixture
def tracer(store_path):
    """A LangChain tracer with its own temporary store."""
    return Tracer(project="tests", store=store_path)
