"""``evaluate``: run each variant (and repetition) over the examples, traced, then score them.

One session per variant x repetition. In it, each example runs inside ``tracer.span`` (the
root span carries ``attributes.example``), so everything the framework does for the example
nests in one trace. When the examples have run, the session is flushed, and the scorers run
over the outputs (and, for scorers that ask for it, the stored trace); example runs and scores
are stored together, so an example counts as done only once it is scored (what ``resume``
skips). Then the session goes to the configured backends, with its scores.

An interruption (Ctrl+C) stops starting examples; what finished is flushed and scored before
the interruption goes on, so ``resume=True`` continues from there.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from chaintracer.experiments.dataset import Example, dataset_hash, load_examples
from chaintracer.experiments.experiment import Experiment
from chaintracer.experiments.progress import Progress
from chaintracer.experiments.resume import Done, prior_runs, recount_summary
from chaintracer.experiments.scoring import BoundScorer, score_example
from chaintracer.experiments.targets import Target, adapt
from chaintracer.exporters import build_exporters, run_exporters
from chaintracer.payloads import Converter, safe_str
from chaintracer.session import SessionInfo
from chaintracer.settings import resolve
from chaintracer.store import Store

DEFAULT_VARIANT = "default"


@dataclass
class ExampleRun:
    """What one example's run produced."""

    example: Example
    trace_id: str
    output: Any
    error: BaseException | None


@dataclass
class Plan:
    """Everything ``evaluate`` validated, shared by its sessions."""

    experiment_id: str
    name: str
    examples: list[Example]
    scorers: list[BoundScorer]
    targets: dict[str, Target]
    params: dict[str, dict[str, Any]]
    repetitions: int
    dataset_hash: str
    tracer_settings: dict[str, Any]
    max_concurrency: int
    # What leaves the process is masked like any trace: experiment and variant names (at plan
    # time, so sessions, rows and resume agree), params, scorer names, errors and score details.
    converter: Converter
    stored_params: dict[str, Any]

    def scorer_names(self) -> list[str]:
        """The scorers' names as stored (masked)."""
        return [self.converter.label(scorer.name) for scorer in self.scorers]


def evaluate(
    target: Any,
    data: Any,
    scorers: Sequence[Callable[..., Any]] = (),
    variants: dict[str, Any] | None = None,
    repetitions: int = 1,
    name: str | None = None,
    project: str | None = None,
    tags: list[str] | tuple[str, ...] | None = None,
    store: str | None = None,
    max_concurrency: int = 1,
    backends: list[str] | tuple[str, ...] | None = None,
    resume: bool = False,
    framework: str | None = None,
    progress: bool | None = None,
    mask: Callable[[str], str] | None = None,
) -> Experiment:
    """Runs ``target`` over ``data`` for each variant and repetition, scores every answer, stores it all.

    Args:
        target: A LangChain runnable, a LlamaIndex query/chat engine or workflow agent, or a
            callable ``target(inputs, **params)``.
        data: Examples ``{"inputs": {...}, "expected": ..., "id": ...}``, or a ``.jsonl``/``.csv`` path.
        scorers: Functions of ``output``, ``expected``, ``inputs``, ``trace`` (see ``chaintracer.scorers``).
        variants: Variant name -> params (LangChain ``configurable`` values, or keyword arguments of
            a callable), or -> a whole other target. Default: one variant, ``"default"``.
        repetitions: Runs of every example per variant (for noisy targets).
        name: The experiment's name (``resume`` finds the last experiment of that name).
        project, tags, store, backends: As for ``chaintracer.Tracer``; backends receive each
            session after it is scored.
        max_concurrency: Examples run at once (each in its own trace).
        resume: Continue the last experiment called ``name``, skipping examples already scored.
        framework: For a callable target, which framework's runs to trace inside it
            ("langchain", "llamaindex" or "none"; default: the one imported).
        progress: Show a progress bar (default: in Jupyter and in a terminal).
        mask: As for ``chaintracer.Tracer``: run after the built-in secret rules on every text
            stored (traces, names, params, target errors, scorer errors and reasoning).

    Returns:
        The ``Experiment``: ``.sessions``, ``.summary()``, ``.compare(baseline, candidate)``.
    """
    plan, settings = _plan(
        target,
        data,
        scorers,
        variants,
        repetitions,
        name,
        project,
        tags,
        store,
        backends,
        max_concurrency,
        framework,
        mask,
    )
    if not isinstance(resume, bool):
        raise TypeError(f"resume must be True or False, not {resume!r}")
    exporters = build_exporters(settings)  # a backend whose package is missing fails here, before any run
    database = Store(settings.store)
    done = _start(database, plan, settings.project, resume)
    plan.experiment_id = done.experiment_id
    todo = sum(len(plan.examples) - len(done.indices(v, r)) for v in plan.targets for r in range(plan.repetitions))
    bar = Progress(todo, f"experiment {plan.name!r}", progress)
    sessions: list[SessionInfo] = []
    try:
        for variant in plan.targets:
            for repetition in range(plan.repetitions):
                sessions.append(_run_session(plan, variant, repetition, done, database, exporters, bar))
    except BaseException:
        database.set_experiment_status(plan.experiment_id, "interrupted")
        raise
    finally:
        bar.close()
        for exporter in exporters:
            exporter.shutdown()
    database.set_experiment_status(plan.experiment_id, "done")
    return Experiment(database, plan.experiment_id, sessions)


def _plan(
    target: Any,
    data: Any,
    scorers: Sequence[Callable[..., Any]],
    variants: dict[str, Any] | None,
    repetitions: int,
    name: str | None,
    project: str | None,
    tags: Any,
    store: str | None,
    backends: Any,
    max_concurrency: int,
    framework: str | None,
    mask: Callable[[str], str] | None,
) -> tuple[Plan, Any]:
    if name is None:
        name = "experiment"
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string, not {name!r}")
    for label, value in (("repetitions", repetitions), ("max_concurrency", max_concurrency)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{label} must be a whole number of at least 1, not {value!r}")
    if isinstance(scorers, (str, bytes)) or not isinstance(scorers, Iterable):
        raise TypeError(f"scorers must be a list of functions, not {type(scorers).__name__}")
    bound = [BoundScorer(scorer) for scorer in scorers]
    names = [scorer.name for scorer in bound]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ValueError(f"two scorers are named {clashes}; scores are named by their scorers")
    examples = load_examples(data)
    settings = resolve(project=project, tags=tags, store=store, backends=backends, mask=mask)
    converter = Converter(settings.max_payload_bytes, mask=settings.mask)
    params, targets = _variants(target, variants, converter)
    adapted = {variant: adapt(targets[variant], params[variant], framework) for variant in targets}
    plan = Plan(
        experiment_id="",
        name=converter.label(name),
        examples=examples,
        scorers=bound,
        targets=adapted,
        params=params,
        repetitions=repetitions,
        dataset_hash=dataset_hash(examples),
        tracer_settings={
            "project": settings.project,
            "tags": list(settings.tags),
            "store": str(settings.store),
            "mask": settings.mask,
        },
        max_concurrency=max_concurrency,
        converter=converter,
        stored_params=converter.convert(params),
    )
    return plan, settings


def _variants(
    target: Any, variants: dict[str, Any] | None, converter: Converter
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Params and target per variant, keyed by the variant's name as stored (masked)."""
    if variants is None:
        return {DEFAULT_VARIANT: {}}, {DEFAULT_VARIANT: target}
    if not isinstance(variants, dict) or not variants:
        raise TypeError(f"variants must be a non-empty dict of name -> params (or target), not {variants!r:.80}")
    params: dict[str, dict[str, Any]] = {}
    targets: dict[str, Any] = {}
    for variant, spec in variants.items():
        if not isinstance(variant, str) or not variant.strip() or ":" in variant:
            raise ValueError(f"variant names must be non-empty strings without ':', not {variant!r}")
        stored = converter.label(variant)
        if stored in params:
            raise ValueError(f"variant names {variant!r} and another are the same once their secrets are masked")
        if isinstance(spec, dict):
            for key in spec:
                if not isinstance(key, str):
                    raise TypeError(f"variant {variant!r}: param names must be strings, not {key!r}")
            params[stored], targets[stored] = dict(spec), target
        else:
            params[stored], targets[stored] = {}, spec
    return params, targets


def _start(database: Store, plan: Plan, project: str, resume: bool) -> Done:
    """Writes (or, resuming, checks) the experiment's row; returns what is already done."""
    if resume:
        done = prior_runs(database, plan)
        if done is not None:
            database.set_experiment_status(done.experiment_id, "running")
            return done
    experiment_id = uuid.uuid4().hex
    database.write_experiment(
        {
            "id": experiment_id,
            "name": plan.name,
            "project": project,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
            "status": "running",
            "dataset_hash": plan.dataset_hash,
            "examples": len(plan.examples),
            "repetitions": plan.repetitions,
            "variants": plan.stored_params,
            "scorers": plan.scorer_names(),
        }
    )
    return Done(experiment_id, {})


def _session_name(plan: Plan, variant: str, repetition: int) -> str:
    suffix = f"#{repetition}" if plan.repetitions > 1 else ""
    return f"{plan.name}:{variant}{suffix}"


def _tracer(framework: str, settings: dict[str, Any], group: str) -> Any:
    arguments = {**settings, "group": group, "job_type": "evaluation", "backends": ["local"]}
    if framework == "langchain":
        from langchain_tracer import Tracer as LangChainTracer

        return LangChainTracer(**arguments)
    if framework == "llamaindex":
        from llamaindex_tracer import Tracer as LlamaIndexTracer

        return LlamaIndexTracer(**arguments).instrument()
    from chaintracer.tracer import Tracer

    return Tracer(**arguments)


def _run_session(
    plan: Plan,
    variant: str,
    repetition: int,
    done: Done,
    database: Store,
    exporters: list[Any],
    bar: Progress,
) -> SessionInfo:
    """Runs one variant x repetition (the examples not done yet), scores it, stores and exports it."""
    prior = done.sessions(variant, repetition)
    skip = done.indices(variant, repetition)
    examples = [example for example in plan.examples if example.index not in skip]
    if len(prior) == 1 and not examples:
        return Experiment.session_info(database, prior[0])
    target = plan.targets[variant]
    tracer = _tracer(target.framework, plan.tracer_settings, f"{plan.name}-{plan.experiment_id[:8]}")
    name = _session_name(plan, variant, repetition)
    label = f"{variant}" + (f" #{repetition}" if plan.repetitions > 1 else "")
    runs: list[ExampleRun] = []
    with ThreadPoolExecutor(plan.max_concurrency, thread_name_prefix="chaintracer-evaluate") as pool:
        try:
            _run_examples(pool, plan, tracer, target, examples, runs, lambda: bar.update(label))
        finally:
            # Also when interrupted: what finished is flushed and scored, so resume skips it.
            experiment = {
                "id": plan.experiment_id,
                "name": plan.name,
                "variant": variant,
                "repetition": repetition,
                "dataset_hash": plan.dataset_hash,
                "params": plan.params[variant],
            }
            info = tracer.flush_tracker(target.architecture_source, name=name, finish=True, experiment=experiment)
            assert info is not None
            _score_and_store(pool, plan, variant, repetition, info.id, runs, database)
    if prior:
        summary = recount_summary(database, info.id, prior)
        for session_id in prior:
            database.absorb_session(info.id, session_id, summary)
    exports = run_exporters(exporters, database, info.id) if exporters else {}
    return Experiment.session_info(database, info.id, exports)


def _run_examples(
    pool: ThreadPoolExecutor,
    plan: Plan,
    tracer: Any,
    target: Target,
    examples: list[Example],
    runs: list[ExampleRun],
    advance: Callable[[], None],
) -> None:
    """Runs the examples, at most ``max_concurrency`` at once; stops starting new ones on an interruption."""
    pending: set[Future[ExampleRun]] = set()
    queue = list(reversed(examples))
    try:
        while queue or pending:
            while queue and len(pending) < plan.max_concurrency:
                example = queue.pop()
                context = contextvars.copy_context()  # each example its own context: traces stay apart
                pending.add(pool.submit(context.run, _run_example, plan.name, tracer, target, example))
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                runs.append(future.result())  # re-raises an interruption (KeyboardInterrupt...) of the target
                advance()
    finally:
        for future in pending:
            future.cancel()
        for future in pending:
            if not future.cancelled():
                # Examples already running finish and are kept; a second interruption among them is
                # the same interruption, already on its way up.
                with contextlib.suppress(BaseException):
                    runs.append(future.result())


def _run_example(root_name: str, tracer: Any, target: Target, example: Example) -> ExampleRun:
    output: Any = None
    error: BaseException | None = None
    trace_id = ""
    try:
        with tracer.span(root_name, "chain", example.inputs, {"example": example.attribute()}) as scope:
            trace_id = scope.trace_id
            output = target.run(tracer, example.inputs)
            scope.set_outputs(output)
    except Exception as exc:  # the target failed on this example: recorded, scored, and the experiment goes on
        error = exc
    return ExampleRun(example, trace_id, output, error)


def _score_and_store(
    pool: ThreadPoolExecutor,
    plan: Plan,
    variant: str,
    repetition: int,
    session_id: str,
    runs: list[ExampleRun],
    database: Store,
) -> None:
    if not runs:
        return
    converter = plan.converter
    trees: dict[str, Any] = {}
    if any(scorer.needs_trace for scorer in plan.scorers):
        trees = {tree["trace_id"]: tree for tree in database.trees(session_id)}

    def score(run: ExampleRun) -> dict[str, Any]:
        arguments = {
            "output": run.output,
            "expected": run.example.expected,
            "inputs": run.example.inputs,
            "trace": trees.get(run.trace_id),
        }
        scores = score_example(plan.scorers, arguments)
        error = None if run.error is None else f"{type(run.error).__name__}: {safe_str(run.error)}"
        return {
            "trace_id": run.trace_id,
            "experiment_id": plan.experiment_id,
            "variant": variant,
            "repetition": repetition,
            "index": run.example.index,
            "id": converter.convert(run.example.id),
            "error": None if error is None else converter.string(error[:2000]),
            "scores": {converter.label(name): converter.convert(detail) for name, detail in scores.items()},
        }

    results = list(pool.map(score, runs))
    database.write_example_results(session_id, results)
