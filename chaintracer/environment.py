"""What a session ran in: Python, the platform, the versions of the packages that matter, the git commit.

Recorded into the session's config (``config.environment``) when it is written, so that a
result can be tied to the code and libraries that produced it. Computed once per process and
working directory, from files only: no subprocess (``git`` may be absent), nothing that can
raise into the user's program.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

# The distributions whose versions explain a trace: ours, the frameworks, the model SDKs, the backends.
PACKAGES = (
    "chaintracer",
    "langchain-core",
    "langchain",
    "langgraph",
    "langchain-community",
    "langchain-openai",
    "langchain-anthropic",
    "llama-index-core",
    "llama-index-llms-openai",
    "openai",
    "anthropic",
    "pydantic",
    "wandb",
    "opentelemetry-sdk",
    "textstat",
    "spacy",
)


def environment() -> dict[str, Any]:
    """``{"python", "implementation", "platform", "packages": {name: version}, "git": {...} | None}``."""
    return _environment(os.getcwd())


@functools.lru_cache(maxsize=8)
def _environment(cwd: str) -> dict[str, Any]:
    packages = {}
    for name in PACKAGES:
        with contextlib.suppress(Exception):
            packages[name] = metadata.version(name)
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(terse=True),
        "packages": packages,
        "git": git_commit(Path(cwd)),
    }


def git_commit(start: Path) -> dict[str, str] | None:
    """``{"commit", "branch"}`` of the git working directory holding ``start``, or None (read from ``.git``)."""
    try:
        for folder in (start, *start.parents):
            dot_git = folder / ".git"
            if dot_git.is_dir():
                return _head(dot_git)
            if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
                text = dot_git.read_text(encoding="utf-8").strip()
                if text.startswith("gitdir:"):
                    return _head((folder / text[len("gitdir:") :].strip()).resolve())
                return None
    except (OSError, ValueError):
        return None
    return None


def _head(git_dir: Path) -> dict[str, str] | None:
    head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    if not head.startswith("ref:"):
        return {"commit": head} if len(head) >= 40 else None
    ref = head[len("ref:") :].strip()
    common = git_dir
    if (git_dir / "commondir").is_file():  # a worktree keeps its branches in the main repository
        common = (git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()).resolve()
    branch = ref.removeprefix("refs/heads/")
    for folder in (git_dir, common):
        loose = folder / ref
        if loose.is_file():
            return {"commit": loose.read_text(encoding="utf-8").strip(), "branch": branch}
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return {"commit": sha, "branch": branch}
    return {"commit": "", "branch": branch}  # a branch with no commit yet
