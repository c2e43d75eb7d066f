"""The local store: the source of truth for every flushed session."""

from chaintracer.store.experiments import ExperimentNotFound
from chaintracer.store.sqlite import SessionNotFound, Store, StoreError

__all__ = ["ExperimentNotFound", "SessionNotFound", "Store", "StoreError"]
