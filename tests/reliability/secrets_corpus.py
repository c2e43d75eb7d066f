"""Planted secrets, one or more per masking rule, and field names that must stay readable.

Reusable by any test that greps written bytes (store and WAL, exports, reports, logs, W&B run
folders): plant ``KEYED`` as mapping entries and ``TEXTS`` inside strings, then check with
``leaks(data)`` that no ``needle`` appears. Every needle is unique, so a leak names its rule.

    from secrets_corpus import KEYED, TEXTS, leaks
    assert leaks(exported_bytes) == []
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Planted:
    """One secret: the rule that must mask it, the text planted and the secret part (``needle``)."""

    rule: str
    text: str
    needle: str


# Mapping entries ``{key: needle}``: each key names a credential.
KEYED = {
    "api_key": "kv01apikeyQ7x",
    "openai_api_key": "kv02openaiQ7x",
    "OPENAI_API_KEY": "kv03envkeyQ7x",
    "apiKey": "kv04camelkeyQ7x",
    "x-api-key": "kv05headerkeyQ7x",
    "hf_token": "kv06hftokenQ7x",
    "HUGGINGFACEHUB_API_TOKEN": "kv07hubtokenQ7x",
    "access_token": "kv08accessQ7x",
    "refresh_token": "kv09refreshQ7x",
    "id_token": "kv10idtokenQ7x",
    "token": "kv11tokenQ7x",
    "auth": "kv12authQ7x",
    "Authorization": "kv13authorizationQ7x",
    "client_secret": "kv14clientsecretQ7x",
    "password": "kv15passwordQ7x",
    "passwd": "kv16passwdQ7x",
    "db_pwd": "kv17pwdQ7x",
    "credentials": "kv18credentialsQ7x",
    "private_key": "kv19privatekeyQ7x",
    "cookie": "kv20cookieQ7x",
    "Set-Cookie": "kv21setcookieQ7x",
    "session_id": "kv22sessionidQ7x",
    "wandb_api_key": "kv23wandbQ7x",
    "aws_secret_access_key": "kv24awssecretQ7x",
    "openai_key": "kv25openaikeyQ7x",
    "key": "kv26keyQ7x",
    "auth_header": "kv27authheaderQ7x",
    "x-auth-token": "kv28xauthQ7x",
    "secretKey": "kv29secretkeyQ7x",
    "jwt": "kv30jwtQ7x",
}

# Texts holding a secret, planted inside strings, reprs, messages, tags, notes, outputs.
TEXTS = [
    Planted("key=value", "export OPENAI_API_KEY=tx01envQ7xyz", "tx01envQ7xyz"),
    Planted("key=value in a repr", "Client(api_key='tx02reprQ7xyz', timeout=30)", "tx02reprQ7xyz"),
    Planted("key: value", "password: tx03colonQ7xyz", "tx03colonQ7xyz"),
    Planted('"key": "value"', '{"client_secret": "tx04jsonQ7xyz", "model": "gpt"}', "tx04jsonQ7xyz"),
    Planted("key: value header", "X-Api-Key: tx05headerQ7xyz", "tx05headerQ7xyz"),
    Planted("hf_token= in a URL query", "GET /models?hf_token=tx06queryQ7xyz&x=1", "tx06queryQ7xyz"),
    Planted("Bearer", "Authorization: Bearer tx07bearerQ7xyz", "tx07bearerQ7xyz"),
    Planted("bearer in lowercase", "sent with bearer tx08lowerQ7xyz today", "tx08lowerQ7xyz"),
    Planted("BEARER in capitals", "BEARER tx09upperQ7xyz", "tx09upperQ7xyz"),
    Planted("URL userinfo", "https://alice:tx10urlQ7xyz@api.example.com/v1", "tx10urlQ7xyz"),
    Planted("URL userinfo", "postgresql://admin:tx11dbQ7xyz@db.internal:5432/app", "tx11dbQ7xyz"),
    Planted("sk- provider key", "key sk-proj-tx12openaiQ7xyzABCDEFGHIJ0123", "sk-proj-tx12openaiQ7xyzABCDEFGHIJ0123"),
    Planted("sk-ant- provider key", "sk-ant-api03-tx13anthropicQ7xyzABCDEF", "sk-ant-api03-tx13anthropicQ7xyzABCDEF"),
    Planted("hf_ provider key", "use hf_tx14huggingfaceQ7xyzABCDEFGHIJ", "hf_tx14huggingfaceQ7xyzABCDEFGHIJ"),
    Planted("ghp_ provider key", "ghp_tx15githubQ7xyzABCDEFGHIJKLMNOPQRS", "ghp_tx15githubQ7xyzABCDEFGHIJKLMNOPQRS"),
    Planted("github_pat_ key", "github_pat_tx16patQ7xyzABCDEFGHIJKLMN", "github_pat_tx16patQ7xyzABCDEFGHIJKLMN"),
    Planted("Slack token", "xoxb-1234567890-tx17slackQ7xyz", "xoxb-1234567890-tx17slackQ7xyz"),
    Planted("AWS access key id", "aws id AKIATX18AWSQ7XYZ0123 here", "AKIATX18AWSQ7XYZ0123"),
    Planted("Google API key", "AIzaTx19googleQ7xyzABCDEFGHIJKLMNOPQRSTU", "AIzaTx19googleQ7xyzABCDEFGHIJKLMNOPQRSTU"),
    Planted("Google OAuth token", "ya29.tx20oauthQ7xyzABCDEFGHIJ", "ya29.tx20oauthQ7xyzABCDEFGHIJ"),
    Planted("GitLab token", "glpat-tx21gitlabQ7xyzABCDE", "glpat-tx21gitlabQ7xyzABCDE"),
    Planted("Groq key", "gsk_tx22groqQ7xyzABCDEFGHIJK", "gsk_tx22groqQ7xyzABCDEFGHIJK"),
    Planted("LangSmith key", "lsv2_pt_tx23langsmithQ7xyzABCDEF", "lsv2_pt_tx23langsmithQ7xyzABCDEF"),
    Planted(
        "JWT",
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0eDI0and0UTd4eXoifQ.tx24jwtsigQ7xyzABC",
        "eyJzdWIiOiJ0eDI0and0UTd4eXoifQ",
    ),
    Planted(
        "PEM private key",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEtx25pemQ7xyz\n-----END RSA PRIVATE KEY-----",
        "MIIEtx25pemQ7xyz",
    ),
]

# Field names of LangChain, LlamaIndex, W&B and our own export that look like secrets but are
# not: their values (unique markers) must survive masking.
KEPT = {
    "max_tokens": 256,
    "total_tokens": 1201,
    "prompt_tokens": 1202,
    "completion_tokens": 1203,
    "max_new_tokens": 1204,
    "input_tokens": 1205,
    "output_tokens": 1206,
    "reasoning_tokens": 1207,
    "token_usage": {"total_tokens": 1208},
    "token_count": 1209,
    "max_token_limit": 1210,
    "total_llm_token_count": 1211,
    "num_tokens": 1212,
    "tokenizer": "kept-tokenizer-name",
    "eos_token": "</s>",
    "token_type_ids": [0, 0, 1],
    "input_key": "kept-input-key",
    "output_key": "kept-output-key",
    "memory_key": "kept-memory-key",
    "input_messages_key": "kept-input-messages-key",
    "history_messages_key": "kept-history-key",
    "text_key": "kept-text-key",
    "id_key": "kept-id-key",
    "excluded_llm_metadata_keys": ["kept-excluded-key"],
    "author": "kept-author",
    "authors": ["kept-authors"],
    "keywords": ["kept-keyword"],
    "primary_key": "kept-primary-key",
    "public_key": "kept-public-key",
    "thread_id": "kept-thread-id",
    "run_id": "kept-run-id",
    "model_hash": "kept-model-hash",
    "is_authenticated": True,
    "monkey": "kept-monkey",
    "passage": "kept-passage",
    "logprobs": {"content": [{"token": "kept-logprob-token", "logprob": -0.25}]},
}

# Texts that look like key: value or provider keys but hold nothing secret.
KEPT_TEXTS = [
    "map:key:length",  # LangChain's tags for RunnableParallel branches
    "seq:step:2",
    "max_tokens=256, total_tokens: 1201",
    "the bearer of good news",
    "task-force-meeting-notes-2024",
    "api_key=None",
    "https://docs.example.com:8443/path?q=1",
]

NEEDLES = [*KEYED.values(), *(planted.needle for planted in TEXTS)]


def all_texts() -> str:
    """Every planted text, one per line (for a single string, message or output)."""
    return "\n".join(planted.text for planted in TEXTS)


def leaks(data: str | bytes) -> list[str]:
    """The rules whose needle appears in ``data`` (empty when nothing leaked)."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    found = [f"key name {key!r}: {needle}" for key, needle in KEYED.items() if needle in text]
    return found + [f"{planted.rule}: {planted.needle}" for planted in TEXTS if planted.needle in text]


_READ_FILES = """
import os, sys
for root in sys.argv[1:]:
    paths = [root] if os.path.isfile(root) else [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
    for path in sorted(paths):
        with open(path, "rb") as handle:
            sys.stdout.buffer.write(handle.read())
"""


def bytes_on_disk(*paths: str | os.PathLike[str]) -> bytes:
    """The bytes of the given files (and of every file under given folders), read by a child process.

    Never read a live SQLite store (or its -wal) from the process that has it open: closing any
    descriptor of the file drops SQLite's POSIX locks on it (sqlite.org/howtocorrupt.html 2.2).
    """
    existing = [str(path) for path in paths if os.path.exists(path)]
    result = subprocess.run([sys.executable, "-c", _READ_FILES, *existing], capture_output=True, check=True)
    return result.stdout


def store_files(store: str | os.PathLike[str]) -> list[str]:
    """A SQLite store and its companions (-wal, -journal, -shm)."""
    return [str(store), *(f"{store}{suffix}" for suffix in ("-wal", "-journal", "-shm"))]


_DUMP_STORE = """
import sqlite3, sys
connection = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
sys.stdout.buffer.write("\\n".join(connection.iterdump()).encode("utf-8", "surrogateescape"))
"""


def store_dump(store: str | os.PathLike[str]) -> str:
    """Every row of a store as SQL text, read by a child process.

    The raw bytes may split a long value across SQLite pages (a needle would go unseen there);
    the dump holds each value whole.
    """
    result = subprocess.run([sys.executable, "-c", _DUMP_STORE, str(store)], capture_output=True, check=True)
    return result.stdout.decode("utf-8", "replace")


def planted_tracer_settings() -> dict[str, object]:
    """Tracer arguments carrying secrets in every session field (name, tags, group, job type, notes)."""
    texts = [planted.text for planted in TEXTS]
    return {
        "name": f"session {texts[0]}",
        "tags": texts[:8],
        "group": texts[8],
        "job_type": texts[9],
        "notes": all_texts(),
    }


def run_planted_session(tracer: Any, name: str = "planted") -> Any:
    """Runs LangChain work with every secret planted everywhere into ``tracer``; returns ``flush_tracker``'s info.

    ``tracer`` is a ``langchain_tracer.Tracer`` (made with ``planted_tracer_settings()``, and
    ``complexity_metrics=True, visualize=True`` to cover metrics and views). Planted: chain
    inputs, config tags and metadata, an SDK client's repr, prompts and model outputs, a step's
    name, its error message and traceback, a manual span's attributes and results, the flush's
    notes, tags and config, and an asset whose description fails (logged as an internal error
    when ``CHAINTRACER_RAISE_INTERNAL_ERRORS`` is unset; under the test suite it raises).
    """
    from langchain_core.language_models import FakeListLLM
    from langchain_core.prompts import PromptTemplate
    from langchain_core.runnables import RunnableLambda

    from chaintracer import Span

    secrets_text = all_texts()
    config = {"callbacks": [tracer], "tags": [TEXTS[10].text], "metadata": {**KEYED, "note": TEXTS[11].text}}
    chain = (
        RunnableLambda(lambda inputs: {**inputs, "client": _Client(KEYED["api_key"])}, name=f"prepare {TEXTS[12].text}")
        | PromptTemplate.from_template("Answer {question} for {client}")
        | FakeListLLM(responses=[f"Acme says: {secrets_text}"])
    )
    chain.invoke({"question": secrets_text, **KEYED}, config=config)

    def fail(value: Any) -> Any:
        raise PermissionError(f"rejected: {secrets_text}")

    with contextlib.suppress(PermissionError):
        RunnableLambda(fail, name=f"call {TEXTS[13].text}").invoke({"password": KEYED["password"]}, config=config)
    span = Span(name=f"manual {TEXTS[14].text}", span_kind="tool", status_code="error", status_message=secrets_text)
    span.add_named_result({**KEYED, "query": secrets_text}, {"answer": secrets_text})
    span.add_attribute("headers", {"Authorization": f"Bearer {KEYED['Authorization']}", **KEYED})
    tracer.log_trace(span)
    flush_texts = [planted.text for planted in TEXTS[15:]]
    return tracer.flush_tracker(
        _FailingAsset(secrets_text), name=name, notes=secrets_text, tags=flush_texts, llm={"model": "m", **KEYED}
    )


class _Client:
    """An SDK client whose repr shows its key, as many do."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key

    def __repr__(self) -> str:
        return f"Client(api_key={self.api_key!r})"


class _FailingAsset:
    """An asset whose architecture cannot be read: the error quotes secrets."""

    def __init__(self, detail: str) -> None:
        self.detail = detail

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # what isinstance() reads
        raise RuntimeError(f"cannot describe: {self.detail}")


def cli(*args: str) -> str:
    """The output of the ``chaintracer`` command, run in a child process."""
    result = subprocess.run(
        [sys.executable, "-m", "chaintracer.cli", *args], capture_output=True, text=True, encoding="utf-8"
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def written(store: str) -> str:
    """Everything the store holds on disk: its files' bytes and every row, read by a child process."""
    return bytes_on_disk(*store_files(store)).decode("utf-8", "replace") + store_dump(store)
