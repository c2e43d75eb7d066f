"""The local store: the source of truth for every flushed session."""

from chaintracer.store.errors import AmbiguousReference, SessionNotFound, StoreError
from chaintracer.store.experiments import ExperimentNotFound
from chaintracer.store.sqlite import Store

__all__ = ["AmbiguousReference", "ExperimentNotFound", "SessionNotFound", "Store", "StoreError"]
