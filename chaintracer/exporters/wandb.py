"""Weights & Biases exporter: one W&B run per session, with the Trace panel, tables and the model.

Runs on the thread that flushes (or pushes). Never on the hot path. Offline first: without
credentials, or with ``WANDB_MODE=offline``, the run is written to disk and the
``wandb sync`` command is printed; with credentials it goes online. It never prompts.

An already-active ``wandb.run`` (the user's own) is left alone: each session is a separate run
created with ``reinit="create_new"``, so ``wandb.run`` still points at the user's run and is
never finished by us.
"""

from __future__ import annotations

import atexit
import json
import logging
import netrc
import os
import re
import threading
from typing import Any, Literal
from urllib.parse import urlparse

from chaintracer.exporters import wandb_eval, wandb_rows, wandb_tree
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
# How long the exit hook waits for a trace being logged before it gives up.
SHUTDOWN_TIMEOUT_S = 5.0
_told_offline = threading.Event()


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


def run_mode() -> Literal["online", "offline", "disabled"]:
    """``offline`` unless the environment asks otherwise and credentials exist."""
    mode = os.environ.get("WANDB_MODE", "").lower()
    if mode in ("offline", "dryrun", "disabled"):
        return "disabled" if mode == "disabled" else "offline"
    return "online" if has_credentials() else "offline"


def wb_span(fields: dict[str, Any]) -> trace_tree.Span:
    """A ``trace_tree.Span`` (what the Trace panel draws) from ``wandb_tree.span_fields``."""
    return trace_tree.Span(
        span_id=fields["span_id"],
        name=fields["name"],
        start_time_ms=fields["start_time_ms"],
        end_time_ms=fields["end_time_ms"],
        status_code=trace_tree.StatusCode[fields["status_code"]],
        status_message=fields["status_message"],
        attributes=fields["attributes"],
        results=[trace_tree.Result(inputs=r["inputs"], outputs=r["outputs"]) for r in fields["results"]],
        child_spans=[wb_span(child) for child in fields["child_spans"]],
        span_kind=trace_tree.SpanKind[fields["span_kind"]],
    )


def trace_of(root: dict[str, Any], model: dict[str, Any] | None) -> trace_tree.WBTraceTree:
    """One trace for the Trace panel; ``model`` is ``wandb_tree.model_dict`` (None: no asset)."""
    return trace_tree.WBTraceTree(wb_span(wandb_tree.span_fields(root)), model_dict=model)


def _html(content: str) -> Any:
    return wandb.Html(content, inject=False)


class WandbExporter:
    """Logs each session as a W&B run (see the module docstring for the threading contract).

    History: one row per trace (key ``trace``); the session's last trace shares its row with the
    ``traces``, ``action_records`` and ``session_analysis`` tables, so the Trace panel, which
    opens on the last row, opens on a trace. With ``stream_logs`` a finished trace is logged when
    the next one finishes, and the last one at flush, with the model architecture and tables.
    """

    name = "wandb"

    def __init__(self, settings: Settings | None = None) -> None:
        # chaintracer already traces the LLM calls: keep wandb.init from suggesting or starting Weave,
        # which would trace them a second time. wandb reads only this variable (no Settings field).
        # Set here, on the thread that builds the tracer, because a worker thread changing the
        # environment races with other threads reading it; the user's own value wins.
        os.environ.setdefault("WANDB_DISABLE_WEAVE", "true")
        self.settings = settings
        self._lock = threading.Lock()  # stream() runs on the streaming worker, export() at flush
        self._run: Any = None
        self._session_id: str | None = None
        self._logged: set[str] = set()  # trace ids already in the run (streamed or exported)
        self._held: dict[str, Any] | None = None  # the last streamed trace, waiting for a row
        self._tables_logged = False
        self._model_logged: str | None = None  # the model JSON already logged as an artifact
        self._exit_hook = False

    def stream(self, session: dict[str, Any], root: dict[str, Any]) -> None:
        """Logs the previous streamed trace and holds this one back (stream_logs).

        The latest trace waits so that the flush can put the model architecture and the tables
        on its row: the last history row then carries a trace.
        """
        with self._lock:
            run = self._run_for(session)
            self._log_held(run)
            self._held = root
            if not self._exit_hook:
                # Registered after wandb.init, so it runs before wandb's own exit hook finishes
                # the run: a program that streams and never flushes still gets its last trace.
                atexit.register(self.shutdown)
                self._exit_hook = True

    def export(self, document: dict[str, Any], final: bool = True) -> dict[str, Any]:
        """Logs the session's traces (those not logged yet), tables, summary and model."""
        with self._lock:
            return self._export(document, final)

    def _run_for(self, session: dict[str, Any]) -> Any:
        if self._session_id != session["id"]:
            self._close()
            self._run = self._init(session)
            self._session_id = session["id"]
            self._logged, self._held, self._tables_logged, self._model_logged = set(), None, False, None
        return self._run

    def _log_held(self, run: Any) -> None:
        held, self._held = self._held, None
        if held is not None and held["trace_id"] not in self._logged:
            run.log({"trace": trace_of(held, None)})
            self._logged.add(held["trace_id"])

    def _export(self, document: dict[str, Any], final: bool) -> dict[str, Any]:
        session = document["session"]
        try:
            run = self._run_for(session)
            if run.name != session["name"]:  # streamed before the flush named the session
                run.name = session["name"]
            if session.get("model") and run.config.get("asset") != session["model"]:
                run.config.update({"asset": session["model"]}, allow_val_change=True)
            self._held = None  # the document has it: it is logged below, with the model
            self._log_history(run, document, wandb_tree.model_dict(session.get("model")))
            run.summary.update(wandb_rows.summary_metrics(session.get("summary") or {}))
            if session.get("model"):
                self._log_model(run, session["model"])
            outcome = {"mode": run.settings.mode, "run_path": _run_path(run), "run_dir": os.path.dirname(run.dir)}
            if run.settings.mode == "online":
                outcome["url"] = run.url
        except BaseException:
            self._close(exit_code=1)
            raise
        if final:
            self._close()
            if outcome["mode"] == "offline":
                # Once per process as a warning (where did my run go?), then at info level.
                level = logging.INFO if _told_offline.is_set() else logging.WARNING
                _told_offline.set()
                logger.log(
                    level,
                    "chaintracer: W&B run for session %r saved offline in %s; upload it with: wandb sync %s",
                    session["name"],
                    outcome["run_dir"],
                    outcome["run_dir"],
                )
        return outcome

    def _log_history(self, run: Any, document: dict[str, Any], model: dict[str, Any] | None) -> None:
        pending = [root for root in document["traces"] if root["trace_id"] not in self._logged]
        if not pending and self._tables_logged:
            return  # nothing new: the tables logged before are still the session's
        for root in pending[:-1]:
            run.log({"trace": trace_of(root, model)})
        row: dict[str, Any] = {"trace": trace_of(pending[-1], model)} if pending else {}
        for key, table in wandb_rows.tables(document, _html).items():
            row[key] = wandb.Table(columns=list[Any](table.columns), data=list[Any](table.rows), allow_mixed_types=True)
        run.log(row)
        self._logged.update(root["trace_id"] for root in pending)
        self._tables_logged = True

    def shutdown(self) -> None:
        """Finishes the run; a streamed trace still held for a flush that never came is logged first.

        The tracer calls it at ``finish=True``; streaming registers it to run at exit too.
        """
        try:
            if not self._lock.acquire(timeout=SHUTDOWN_TIMEOUT_S):  # a worker may hold it at exit
                return
            try:
                if self._run is not None:
                    self._log_held(self._run)
                self._close()
            finally:
                self._lock.release()
        except Exception:  # shutdown must not raise (exporter contract)
            logger.warning("chaintracer: finishing the W&B run failed", exc_info=True)

    def _init(self, session: dict[str, Any]) -> Any:
        config = dict(session.get("config") or {})
        if session.get("model"):
            config["asset"] = session["model"]
        config.update(wandb_eval.run_config(session))  # an experiment's variant: its params, top level
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

    def _log_model(self, run: Any, model: dict[str, Any]) -> None:
        """The asset as a version of the artifact named after it: ``model.json``, and as metadata.

        W&B versions an artifact by its content: the same architecture flushed again is the
        same version, a changed one the next version of the same artifact.
        """
        text = json.dumps(model, indent=2, ensure_ascii=False)
        if text == self._model_logged:
            return
        artifact = wandb.Artifact(
            name=artifact_name(model),
            type="model",
            description="Architecture of a flushed asset, as chaintracer describes it (model.json).",
            metadata=model,
        )
        with artifact.new_file("model.json") as handle:
            handle.write(text)
        run.log_artifact(artifact)
        self._model_logged = text

    def _close(self, exit_code: int = 0) -> None:
        run, self._run, self._session_id = self._run, None, None
        if run is None:
            return
        try:
            if exit_code == 0:
                self._log_held(run)  # a streamed trace no flush picked up
        finally:
            run.finish(exit_code=exit_code)


def artifact_name(model: dict[str, Any]) -> str:
    """The model artifact's name: the asset's name, else its class (W&B's allowed characters)."""
    base = str(model.get("name") or model.get("type") or "model")
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", base).strip("-.")[:128] or "model"


def _run_path(run: Any) -> str:
    return "/".join(part for part in (run.entity, run.project, run.id) if part)
