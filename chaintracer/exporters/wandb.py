"""Weights & Biases exporter: one W&B run per session, with the Trace panel, tables and the model.

Runs on the thread that flushes (or pushes). Never on the hot path. Offline first: without
credentials, or with ``WANDB_MODE=offline``, the run is written to disk and the
``wandb sync`` command is printed; with credentials it goes online. It never prompts.

An already-active ``wandb.run`` (the user's own) is left alone: each session is a separate run
created with ``reinit="create_new"``, so ``wandb.run`` still points at the user's run and is
never finished by us.
"""

from __future__ import annotations

import json
import logging
import netrc
import os
import re
import sys
import threading
from typing import Any
from urllib.parse import urlparse

from chaintracer.experiments import wandb_rows as experiment_rows
from chaintracer.exporters import wandb_rows
from chaintracer.kinds import wandb_kind
from chaintracer.settings import Settings

try:
    import wandb
    from wandb.sdk.data_types import trace_tree
except ImportError as exc:  # one guard for the feature, naming the extra
    raise ImportError(
        "backends=['wandb'] needs the wandb package; install it with: pip install 'chaintracer[wandb]'"
    ) from exc

logger = logging.getLogger("chaintracer")

# How long wandb.init may try to reach the server before the export fails (and the session
# stays in the local store). Env: CHAINTRACER_WANDB_INIT_TIMEOUT_S.
DEFAULT_INIT_TIMEOUT_S = 30.0


def init_timeout_s() -> float:
    value = os.environ.get("CHAINTRACER_WANDB_INIT_TIMEOUT_S")
    try:
        return float(value) if value else DEFAULT_INIT_TIMEOUT_S
    except ValueError:
        raise ValueError(f"CHAINTRACER_WANDB_INIT_TIMEOUT_S must be a number of seconds, not {value!r}") from None


def has_credentials() -> bool:
    """True when an API key is available without asking (environment or netrc)."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(os.environ.get("WANDB_BASE_URL") or "https://api.wandb.ai").hostname or "api.wandb.ai"
    try:
        return netrc.netrc(os.environ.get("NETRC")).authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


def run_mode() -> str:
    """``offline`` unless the environment asks otherwise and credentials exist."""
    mode = os.environ.get("WANDB_MODE", "").lower()
    if mode in ("offline", "dryrun", "disabled"):
        return "disabled" if mode == "disabled" else "offline"
    return "online" if has_credentials() else "offline"


def wb_span(span: dict[str, Any]) -> trace_tree.Span:
    """A ``trace_tree.Span`` (what the Trace panel draws) from an exported span."""
    status = span["status"]
    error = span.get("error") or {}
    message = f"{error.get('type')}: {error.get('message')}" if error else None
    if status == "incomplete":
        message = "incomplete: the span never ended (closed at flush)"
    attributes = {**(span.get("attributes") or {}), "kind": span["kind"], "status": status}
    if span.get("metrics"):
        attributes["metrics"] = span["metrics"]
    return trace_tree.Span(
        span_id=span["span_id"],
        name=span["name"],
        start_time_ms=wandb_rows.epoch_ms(span["start_time"]),
        end_time_ms=wandb_rows.epoch_ms(span["end_time"]),
        status_code=trace_tree.StatusCode.SUCCESS if status == "ok" else trace_tree.StatusCode.ERROR,
        status_message=message,
        attributes=attributes,
        results=[
            trace_tree.Result(inputs=_named(span.get("inputs"), "input"), outputs=_named(span.get("outputs"), "output"))
        ],
        child_spans=[wb_span(child) for child in span.get("children") or []],
        span_kind=trace_tree.SpanKind[wandb_kind(span["kind"])],
    )


def _named(value: Any, key: str) -> dict[str, Any] | None:
    if value is None:
        return None
    return value if isinstance(value, dict) else {key: value}


class WandbExporter:
    """Logs each session as a W&B run (see the module docstring for the threading contract)."""

    name = "wandb"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings
        self._lock = threading.Lock()  # stream() runs on the streaming worker, export() at flush
        self._run: Any = None
        self._session_id: str | None = None
        self._logged: set[str] = set()  # trace ids already in the run (streamed or exported)

    def stream(self, session: dict[str, Any], root: dict[str, Any]) -> None:
        """Logs one finished trace into the session's run as soon as it completes (stream_logs)."""
        with self._lock:
            run = self._run_for(session)
            run.log({"trace": trace_tree.WBTraceTree(wb_span(root))})
            self._logged.add(root["trace_id"])

    def export(self, document: dict[str, Any], final: bool = True) -> dict[str, Any]:
        """Logs the session's traces (those not logged yet), tables, summary and model."""
        with self._lock:
            return self._export(document, final)

    def _run_for(self, session: dict[str, Any]) -> Any:
        if self._session_id != session["id"]:
            self._close()
            self._run = self._init(session)
            self._session_id = session["id"]
            self._logged = set()
        return self._run

    def _export(self, document: dict[str, Any], final: bool) -> dict[str, Any]:
        session = document["session"]
        try:
            run = self._run_for(session)
            if run.name != session["name"]:  # streamed before the flush named the session
                run.name = session["name"]
            model = session.get("model") or {}
            for root in document["traces"]:
                if root["trace_id"] not in self._logged:
                    run.log({"trace": trace_tree.WBTraceTree(wb_span(root), model_dict=model)})
                    self._logged.add(root["trace_id"])
            self._log_tables(run, document)
            run.summary.update(wandb_rows.summary_metrics(session.get("summary") or {}))
            if session.get("model"):
                self._log_model(run, session)
            outcome = {"mode": run.settings.mode, "run_path": _run_path(run), "run_dir": os.path.dirname(run.dir)}
            if run.settings.mode == "online":
                outcome["url"] = run.url
        except BaseException:
            self._close(exit_code=1)
            raise
        if final:
            self._close()
            if outcome["mode"] == "offline":
                print(
                    f"chaintracer: W&B run for session {session['name']!r} saved offline in {outcome['run_dir']}\n"
                    f"  upload it with: wandb sync {outcome['run_dir']}",
                    file=sys.stderr,
                )
        return outcome

    def shutdown(self) -> None:
        try:
            with self._lock:
                self._close()
        except Exception:  # shutdown must not raise (exporter contract)
            logger.warning("chaintracer: finishing the W&B run failed", exc_info=True)

    def _init(self, session: dict[str, Any]) -> Any:
        config = dict(session.get("config") or {})
        config.update(experiment_rows.run_config(session))  # a variant session: its params, top level
        if session.get("model"):
            config["asset"] = session["model"]
        # chaintracer already traces the LLM calls: keep wandb from suggesting or starting Weave,
        # which would trace them a second time. Only for this call; the user's setting wins.
        previous = os.environ.get("WANDB_DISABLE_WEAVE")
        os.environ.setdefault("WANDB_DISABLE_WEAVE", "true")
        try:
            return self._init_run(session, config)
        finally:
            if previous is None:
                os.environ.pop("WANDB_DISABLE_WEAVE", None)

    def _init_run(self, session: dict[str, Any], config: dict[str, Any]) -> Any:
        return wandb.init(
            project=session["project"],
            entity=config.get("entity"),
            name=session["name"],
            tags=session.get("tags") or None,
            group=session.get("group"),
            job_type=session.get("job_type"),
            notes=session.get("notes"),
            config=config,
            mode=run_mode(),
            reinit="create_new",
            settings=wandb.Settings(silent=True, console="off", init_timeout=init_timeout_s()),
        )

    def _log_tables(self, run: Any, document: dict[str, Any]) -> None:
        artifacts = document.get("artifacts") or {}
        columns, rows, visual_names = wandb_rows.analysis_rows(document)
        visual_files: dict[str, Any] = {}
        if visual_names:
            first_visual = len(columns) - len(visual_names)
            for row in rows:
                for index in range(first_visual, len(columns)):
                    ref = row[index]
                    if ref in artifacts:
                        # The table shows the view; the same HTML is logged as a media file of
                        # its own so it can be read back from the run folder (FACTS.md).
                        visual_files[ref.removesuffix(".html")] = wandb.Html(artifacts[ref], inject=False)
                        row[index] = wandb.Html(artifacts[ref], inject=False)
        run.log(
            {
                "traces": wandb.Table(columns=wandb_rows.TRACE_COLUMNS, data=wandb_rows.trace_rows(document)),
                "action_records": wandb.Table(columns=wandb_rows.ACTION_COLUMNS, data=wandb_rows.action_rows(document)),
                "session_analysis": wandb.Table(columns=columns, data=rows),
            }
        )
        if visual_files:
            run.log({"visualizations": visual_files})
        evaluation = experiment_rows.evaluation_table(document)  # an experiment session: one row per example
        if evaluation is not None:
            run.log({"evaluation": wandb.Table(columns=evaluation[0], data=evaluation[1])})

    def _log_model(self, run: Any, session: dict[str, Any]) -> None:
        artifact = wandb.Artifact(
            name=_artifact_name(session),
            type="model",
            description=f"Architecture of the asset flushed with session {session['name']!r}",
            metadata={"session_id": session["id"], "type": session["model"].get("type")},
        )
        with artifact.new_file("model.json") as handle:
            handle.write(json.dumps(session["model"], indent=2, ensure_ascii=False))
        run.log_artifact(artifact)

    def _close(self, exit_code: int = 0) -> None:
        run, self._run, self._session_id = self._run, None, None
        if run is not None:
            run.finish(exit_code=exit_code)


def _artifact_name(session: dict[str, Any]) -> str:
    # Artifact names allow letters, digits, dashes, underscores and dots.
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(session["name"])).strip("-") or "session"
    return f"{base}-model"


def _run_path(run: Any) -> str:
    return "/".join(part for part in (run.entity, run.project, run.id) if part)
