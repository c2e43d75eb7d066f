"""The CLI is one package: no import cycles, no upward imports from the core, help for every option."""

from __future__ import annotations

import argparse
import ast
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run_cli

import chaintracer
from chaintracer.cli import build_parser
from chaintracer.exporters import EXPORTERS

PACKAGE = Path(chaintracer.__file__).parent
CLI = PACKAGE / "cli"


def _imports(path: Path) -> set[str]:
    """The chaintracer modules a file imports, anywhere in it (functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chaintracer"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("chaintracer"))
    return found


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_the_cli_modules_import_each_other_without_cycles():
    """Inside chaintracer/cli the imports form a tree: main imports the command modules, they import common."""
    graph = {
        _module(path): {name for name in _imports(path) if name.startswith("chaintracer.cli.")}
        for path in CLI.glob("*.py")
    }
    graph = {module: {dep for dep in deps if dep in graph and dep != module} for module, deps in graph.items()}

    def reaches(start: str, target: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(dep == target or (dep not in seen and reaches(dep, target, seen | {dep})) for dep in graph[start])

    assert not [module for module in graph if reaches(module, module)]
    assert graph["chaintracer.cli.common"] == set()


def test_nothing_outside_the_cli_imports_it_and_the_core_never_imports_the_viewer():
    """Commands are not registered from other packages, and core modules do not reach up into the viewer."""
    for path in PACKAGE.rglob("*.py"):
        if CLI in path.parents:
            continue
        imported = _imports(path)
        assert not any(name.startswith("chaintracer.cli") for name in imported), path
        if PACKAGE / "viewer" not in path.parents:
            assert not any(name.startswith("chaintracer.viewer") for name in imported), path


def test_a_jupyter_view_of_a_session_loads_no_viewer(tmp_path):
    """`SessionInfo._repr_html_` renders from the store alone: the viewer package is never imported."""
    code = (
        "import sys\n"
        "from chaintracer import Span, Tracer\n"
        f"tracer = Tracer(store={str(tmp_path / 't.db')!r})\n"
        "span = Span('answer', 'llm')\n"
        "span.add_named_result({'prompt': 'hi'}, {'text': 'hello'})\n"
        "tracer.log_trace(span)\n"
        "html = tracer.flush_tracker(name='nb', finish=True)._repr_html_()\n"
        "assert 'hello' in html, html\n"
        "print(sorted(m for m in sys.modules if m.startswith('chaintracer.viewer')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_listing_sessions_loads_neither_the_viewer_nor_a_backend(tmp_path):
    """`chaintracer sessions` imports no viewer, exporter backend, statistics or framework (they load per command)."""
    code = (
        "import sys\n"
        "from chaintracer.cli import main\n"
        f"main(['sessions', '--store', {str(tmp_path / 'none.db')!r}])\n"
        "heavy = ('chaintracer.viewer', 'chaintracer.exporters.wandb', 'chaintracer.exporters.otlp', 'wandb',\n"
        "         'opentelemetry', 'chaintracer.experiments', 'langchain_core', 'llama_index', 'scipy')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_command_and_option_has_help():
    """`chaintracer COMMAND --help` explains every argument and option of every command."""
    commands = _subcommands(build_parser())
    assert set(commands) == {
        "sessions",
        "show",
        "export",
        "push",
        "ui",
        "report",
        "experiments",
        "compare",
        "feedback",
        "rm",
        "prune",
    }
    for name, parser in commands.items():
        assert parser.description, name
        for action in parser._actions:
            assert action.help and action.help != argparse.SUPPRESS, f"{name} {action.option_strings or action.dest}"


def test_push_offers_the_backends_of_the_exporter_table():
    """`push --to` takes exactly the backends the tracer's exporter table builds."""
    (to,) = [a for a in _subcommands(build_parser())["push"]._actions if "--to" in a.option_strings]
    assert tuple(to.choices) == tuple(EXPORTERS)


def test_console_script_and_module_run_the_same_command(tmp_path):
    """`chaintracer` and `python -m chaintracer.cli` both work and print the same help."""
    script = shutil.which("chaintracer", path=str(Path(sys.executable).parent))
    assert script, f"the chaintracer console script is not installed next to {sys.executable}"
    by_script = subprocess.run([script, "--help"], capture_output=True, text=True, check=False, cwd=tmp_path)
    by_module = run_cli("--help", cwd=tmp_path)
    assert by_script.returncode == by_module.returncode == 0
    assert by_script.stdout == by_module.stdout
    assert "prune" in by_module.stdout
    version = run_cli("--version", cwd=tmp_path)
    assert version.stdout.strip() == f"chaintracer {chaintracer.__version__}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "x", "--max-traces", "-1"], "--max-traces: must be 0 or more, not -1"),
        (["ui", "--port", "70000"], "--port: must be between 0 and 65535, not 70000"),
        (["sessions", "--limit", "0"], "--limit: must be 1 or more, not 0"),
        (["prune", "--older-than", "thirty"], "--older-than: must be a positive count with a unit"),
        (["prune", "--older-than", "0d"], "--older-than: must be a positive count with a unit"),
    ],
)
def test_bad_numbers_and_durations_are_usage_errors(tmp_path, args, message):
    """Every number and duration option refuses bad values with a message and exit code 2."""
    result = run_cli(*args, "--store", str(tmp_path / "none.db"), cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


def _on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """What a command prints when its stdout is a terminal (a pseudo-terminal)."""
    controller, terminal = pty.openpty()
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    environment.update(env)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "chaintracer.cli", *args], stdout=terminal, stderr=terminal, cwd=cwd, env=environment
        )
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the command is done
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    finally:
        os.close(controller)
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_colour_unless_no_color_is_set(scenarios, tmp_path):
    """On a terminal `show` paints errors red; with NO_COLOR set it prints plain text (no-color.org)."""
    args = ["show", "agent", "--store", scenarios.store]
    assert "\x1b[31m" in _on_a_terminal(args, {}, tmp_path)
    plain = _on_a_terminal(args, {"NO_COLOR": "1"}, tmp_path)
    assert "ValueError" in plain and "\x1b[" not in plain
