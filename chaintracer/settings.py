"""Tracer settings in one table: argument > environment variable > default.

| setting            | environment variable           | default            |
|--------------------|--------------------------------|--------------------|
| project            | CHAINTRACER_PROJECT            | "default"          |
| store              | CHAINTRACER_STORE              | ./chaintracer.db   |
| max_payload_bytes  | CHAINTRACER_MAX_PAYLOAD_BYTES  | 65536              |
| max_queue          | CHAINTRACER_MAX_QUEUE          | 2048               |
| max_queue_bytes    | CHAINTRACER_MAX_QUEUE_BYTES    | 16777216 (16 MiB)  |
| backends           | CHAINTRACER_BACKENDS (a,b)     | ("local",)         |
| otlp_endpoint      | OTEL_EXPORTER_OTLP_ENDPOINT... | localhost:4318     |
| prices             | CHAINTRACER_PRICES (a file)    | chaintracer/prices.json |

The OTLP exporter reads the other OpenTelemetry variables itself (headers, timeout, resource).
``prices`` (USD per 1M input/output tokens per model) extends the shipped table and the
``CHAINTRACER_PRICES`` file rather than replacing them: see ``chaintracer.prices``.

Everything else (entity, name, tags, group, job_type, notes, complexity_metrics, visualize,
stream_logs, metrics_lang, spacy_model, analyze_prompts, mask) is an argument only. A bad value
raises ``ValueError``/``TypeError`` naming it. ``mask`` is a function ``text -> text`` run after
the built-in secret rules of ``chaintracer.redact`` on every text that leaves the process.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chaintracer.prices import parse
from chaintracer.redact import Mask, check_mask

DEFAULT_STORE = "chaintracer.db"
DEFAULT_MAX_PAYLOAD_BYTES = 65536
DEFAULT_MAX_QUEUE = 2048
DEFAULT_MAX_QUEUE_BYTES = 16 * 1024 * 1024
# Fields of a session that a flush's run overrides may replace; other overrides go to config.
SESSION_FIELDS = ("project", "entity", "name", "tags", "group", "job_type", "notes")
BACKENDS = ("local", "wandb", "otlp")


@dataclass(frozen=True)
class Settings:
    """Validated tracer settings."""

    project: str = "default"
    entity: str | None = None
    name: str | None = None
    tags: tuple[str, ...] = ()
    group: str | None = None
    job_type: str | None = None
    notes: str | None = None
    complexity_metrics: bool = False
    visualize: bool = False
    stream_logs: bool = False
    store: str = DEFAULT_STORE
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
    max_queue: int = DEFAULT_MAX_QUEUE
    max_queue_bytes: int = DEFAULT_MAX_QUEUE_BYTES
    backends: tuple[str, ...] = ("local",)
    otlp_endpoint: str | None = None
    metrics_lang: str = "en_US"
    spacy_model: str = "en_core_web_sm"
    analyze_prompts: bool = False
    mask: Mask | None = None
    # The user's own prices (model -> {"input", "output"} USD per 1M tokens), checked.
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_config(self) -> dict[str, Any]:
        """The settings as a plain dict, for a session's config."""
        config = asdict(replace(self, mask=None))  # a function is named, never copied
        config["mask"] = None if self.mask is None else _callable_name(self.mask)
        config["tags"] = list(self.tags)
        config["backends"] = list(self.backends)
        extra = config.pop("extra")
        config.update(extra)
        return config


def resolve(**arguments: Any) -> Settings:
    """Validates the constructor arguments and fills in environment and defaults."""
    env = os.environ
    project = _text("project", arguments.get("project") or env.get("CHAINTRACER_PROJECT") or "default")
    store = arguments.get("store")
    if store is None:
        store = env.get("CHAINTRACER_STORE") or DEFAULT_STORE
    if not isinstance(store, (str, os.PathLike)) or not str(store).strip():
        raise TypeError(f"store must be a file path (str or Path), not {store!r}")
    return Settings(
        project=project,
        entity=_optional_text("entity", arguments.get("entity")),
        name=_optional_text("name", arguments.get("name")),
        tags=_tags(arguments.get("tags")),
        group=_optional_text("group", arguments.get("group")),
        job_type=_optional_text("job_type", arguments.get("job_type")),
        notes=_optional_text("notes", arguments.get("notes")),
        complexity_metrics=_flag("complexity_metrics", arguments.get("complexity_metrics", False)),
        visualize=_flag("visualize", arguments.get("visualize", False)),
        stream_logs=_flag("stream_logs", arguments.get("stream_logs", False)),
        store=str(Path(store)),
        max_payload_bytes=_positive_int(
            "max_payload_bytes",
            arguments.get("max_payload_bytes"),
            "CHAINTRACER_MAX_PAYLOAD_BYTES",
            DEFAULT_MAX_PAYLOAD_BYTES,
        ),
        max_queue=_positive_int("max_queue", arguments.get("max_queue"), "CHAINTRACER_MAX_QUEUE", DEFAULT_MAX_QUEUE),
        max_queue_bytes=_positive_int(
            "max_queue_bytes", arguments.get("max_queue_bytes"), "CHAINTRACER_MAX_QUEUE_BYTES", DEFAULT_MAX_QUEUE_BYTES
        ),
        backends=_backends(arguments.get("backends")),
        otlp_endpoint=_optional_url("otlp_endpoint", arguments.get("otlp_endpoint")),
        metrics_lang=_text("metrics_lang", arguments.get("metrics_lang") or "en_US"),
        spacy_model=_text("spacy_model", arguments.get("spacy_model") or "en_core_web_sm"),
        analyze_prompts=_flag("analyze_prompts", arguments.get("analyze_prompts", False)),
        mask=check_mask(arguments.get("mask")),
        prices=_prices(arguments.get("prices")),
    )


def _callable_name(function: Any) -> str:
    module = getattr(function, "__module__", None) or ""
    name = getattr(function, "__qualname__", None) or type(function).__qualname__
    return f"{module}.{name}" if module else name


def _prices(value: Any) -> dict[str, dict[str, float]]:
    if value is None:
        return {}
    return {name: {"input": price.input, "output": price.output} for name, price in parse(value, "prices").items()}


def _backends(value: Any) -> tuple[str, ...]:
    source = "backends"
    if value is None:
        env = os.environ.get("CHAINTRACER_BACKENDS")
        if not env:
            return ("local",)
        value, source = [part.strip() for part in env.split(",") if part.strip()], "CHAINTRACER_BACKENDS"
    if isinstance(value, str):
        value = [value]
    try:
        names = list(value)
    except TypeError:
        raise TypeError(f"{source} must be a list of backend names, not {value!r}") from None
    for name in names:
        if name not in BACKENDS:
            raise ValueError(f"{source}: unknown backend {name!r}; choose from {', '.join(BACKENDS)}")
    # The local store is the source of truth: always written, always first.
    return ("local", *dict.fromkeys(n for n in names if n != "local"))


def endpoint_url(label: str, value: Any) -> str:
    """A collector's http(s) URL; credentials belong in headers (they would be stored with the session)."""
    if not isinstance(value, str):
        raise TypeError(f"{label} must be a URL string, not {type(value).__name__}: {value!r}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{label} must be an http(s) URL such as http://localhost:6006, not {value!r}")
    if parts.password is not None:
        raise ValueError(f"{label} must not carry a password; pass it in OTEL_EXPORTER_OTLP_HEADERS instead")
    return value


def _optional_url(label: str, value: Any) -> str | None:
    return None if value is None else endpoint_url(label, value)


def session_overrides(overrides: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Splits a flush's run overrides into session fields and extra config."""
    fields: dict[str, Any] = {}
    config: dict[str, Any] = {}
    for key, value in overrides.items():
        if key == "tags":
            fields[key] = list(_tags(value))
        elif key in SESSION_FIELDS:
            fields[key] = _optional_text(key, value)
        else:
            config[key] = value
    return fields, config


def _text(label: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{label} must be a non-empty string, not {value!r}")
    return value


def _optional_text(label: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{label} must be a string or None, not {type(value).__name__}: {value!r}")
    return value


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        raise TypeError(f"tags must be a list of strings, not the string {value!r} (wrap it: [{value!r}])")
    try:
        tags = tuple(value)
    except TypeError:
        raise TypeError(f"tags must be a list of strings, not {type(value).__name__}: {value!r}") from None
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"every tag must be a string; got {tag!r} in tags={value!r}")
    return tags


def _flag(label: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{label} must be True or False, not {value!r}")
    return value


def _positive_int(label: str, value: Any, env_name: str, default: int) -> int:
    source = label
    if value is None and os.environ.get(env_name):
        value, source = os.environ[env_name], env_name
        try:
            value = int(value)
        except ValueError:
            raise ValueError(f"{env_name} must be a positive integer, not {os.environ[env_name]!r}") from None
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{source} must be an int, not {type(value).__name__}: {value!r}")
    if value <= 0:
        raise ValueError(f"{source} must be a positive integer, not {value!r}")
    return value
