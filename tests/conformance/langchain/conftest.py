"""Fixtures of the LangChain conformance suite: both tracers on one program."""

from __future__ import annotations

import logging

import pytest

# Readable diffs from the comparison helper's asserts.
pytest.register_assert_rewrite("lc_conformance")

from lc_conformance import Conformance  # noqa: E402

from langchain_tracer import Tracer  # noqa: E402


@pytest.fixture
def conformance(store_path, caplog):
    """chaintracer's handler and LangChain's own tracer, ready to run one program."""
    caplog.set_level(logging.WARNING)
    return Conformance(Tracer(project="conformance", store=store_path), caplog)


@pytest.fixture
def tracer(store_path):
    """chaintracer's LangChain handler alone, with its own temporary store."""
    return Tracer(project="conformance", store=store_path)
