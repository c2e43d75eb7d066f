"""The one table of secret rules: what is masked before anything leaves the process.

Three kinds of rule, all applied by ``Redactor.text`` / ``payloads.Converter`` off the hot path
(in the encoding worker or at flush):

* **Key names** (``is_secret_key``): the value of a mapping key, or of ``key=value`` /
  ``key: value`` inside any text, whose key names a credential. Case-insensitive, on the key's
  words (``openaiApiKey`` -> openai, api, key). Token *counts* and other well-known field names
  of LangChain, LlamaIndex and W&B are kept (see ``KEPT_*`` and the tests).
* **Text shapes**: provider keys (``sk-``, ``hf_``, ``ghp_``, AWS ``AKIA``...), ``Bearer``
  tokens (any case), passwords in URLs (``https://user:***@host``), JWTs, PEM private keys.
* **Types**: pydantic ``SecretStr`` / ``SecretBytes`` (in ``payloads.Converter``).

A user's ``mask=`` callable (``Tracer(mask=fn)``, ``fn(text) -> text``) runs after the built-in
rules, on every string that leaves: payloads, attributes, names, session fields, errors,
tracebacks, the texts metrics and visualisations are computed from, and the log records
chaintracer emits.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import weakref
from collections.abc import Callable
from typing import Any

MASK = "***"
Mask = Callable[[str], str]

# -- key names ------------------------------------------------------------------------------

# Fragments of the key with separators removed and lowercased ("X-Api-Key" -> "xapikey"):
# any key containing one names a credential.
SECRET_FRAGMENTS = (
    "secret",
    "passw",  # password, passwd
    "passphrase",
    "credential",
    "cookie",
    "privatekey",
    "apikey",
    "accesskey",
    "authorization",
    "authentication",
    "sessionid",
    "sessid",  # PHPSESSID
    "jwt",
    "bearer",
)
# Whole words (anywhere in the key) that name a credential: auth, auth_header, x-auth-token...
SECRET_WORDS = frozenset({"auth", "authn", "authz", "oauth", "authkey", "authtoken"})
# The last word: db_pwd, redis_pass.
SECRET_LAST_WORDS = frozenset({"pwd", "pass"})
# "<word>_token" is a credential (access_token, hf_token, id_token, token) unless <word> says it
# is a tokenizer's special token or a position: eos_token, first_token.
KEPT_TOKEN_PREFIXES = frozenset(
    {"eos", "bos", "pad", "unk", "sep", "cls", "mask", "start", "stop", "end", "first", "last", "next", "special"}
)
# "<word>_key" is a credential (openai_key, key, secret_key) unless <word> says it names a field
# or a record: LangChain's input_key / output_key / memory_key / history_messages_key, vector
# stores' text_key / id_key, cache_key, primary_key, public_key...
KEPT_KEY_PREFIXES = frozenset(
    """input output memory messages message history text content page metadata embedding vector id
    doc document node index search query question answer response result return prompt context cache
    sort primary partition routing group foreign unique hash lookup row column field label source target
    state thread run step example reference prediction score dict map join shard image public chat tool
    task config event entity name value""".split()  # noqa: SIM905 (a word list reads better as text)
)
# Words after "token" that still mean the token itself: token_value, token_secret.
TOKEN_VALUE_WORDS = frozenset({"value", "string", "str", "header"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def key_words(name: str) -> list[str]:
    """The lowercase words of a key name: ``"openaiApiKey"`` -> ``["openai", "api", "key"]``."""
    return [word for word in _NON_WORD.split(_CAMEL.sub("_", name).lower()) if word]


@functools.lru_cache(maxsize=4096)
def is_secret_key(name: str) -> bool:
    """True when a mapping key (or the key of ``key=value`` text) names a credential."""
    words = key_words(name)
    if not words:
        return False
    compact = "".join(words)
    if any(fragment in compact for fragment in SECRET_FRAGMENTS):
        return True
    if any(word in SECRET_WORDS for word in words) or words[-1] in SECRET_LAST_WORDS:
        return True
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else None
        previous = words[index - 1] if index else None
        # "token" as the last word (or followed by value/string): access_token, hf_token, token;
        # compounds too (accesstoken, hftoken). Not max_tokens, token_usage, tokenizer.
        if (
            word.endswith("token")
            and (following is None or following in TOKEN_VALUE_WORDS)
            and (word != "token" or previous not in KEPT_TOKEN_PREFIXES)
        ):
            return True
        if word == "key" and following is None and previous not in KEPT_KEY_PREFIXES:
            return True
    return False


# -- text shapes ----------------------------------------------------------------------------

# Provider key shapes (case-sensitive prefixes). Each stands alone: not preceded by a letter or
# digit, so "task-..." or "mask_..." never match.
PROVIDER_KEYS = (
    r"sk-[A-Za-z0-9_\-]{16,}",  # OpenAI, Anthropic (sk-ant-), OpenRouter, Langfuse...
    r"(?:sk|rk)_[A-Za-z0-9_]{16,}",  # Stripe-style secret and restricted keys
    r"hf_[A-Za-z0-9]{16,}",  # Hugging Face
    r"gh[pousr]_[A-Za-z0-9]{16,}",  # GitHub tokens
    r"github_pat_[A-Za-z0-9_]{16,}",
    r"xox[abposre]-[A-Za-z0-9\-]{10,}",  # Slack
    r"(?:AKIA|ASIA)[A-Z0-9]{16}",  # AWS access key ids
    r"AIza[A-Za-z0-9_\-]{30,}",  # Google API keys
    r"ya29\.[A-Za-z0-9_\-]{16,}",  # Google OAuth access tokens
    r"GOCSPX-[A-Za-z0-9_\-]{16,}",  # Google OAuth client secrets
    r"glpat-[A-Za-z0-9_\-]{16,}",  # GitLab
    r"gsk_[A-Za-z0-9]{16,}",  # Groq
    r"r8_[A-Za-z0-9]{16,}",  # Replicate
    r"tvly-[A-Za-z0-9\-]{16,}",  # Tavily
    r"lsv2_(?:pt|sk)_[A-Za-z0-9_]{16,}",  # LangSmith
    r"pplx-[A-Za-z0-9]{16,}",  # Perplexity
    r"pcsk_[A-Za-z0-9_]{16,}",  # Pinecone
    r"npm_[A-Za-z0-9]{16,}",  # npm
    r"pypi-[A-Za-z0-9_\-]{16,}",  # PyPI
    r"SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}",  # SendGrid
    r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}",  # JWT
)
_PROVIDER = re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(PROVIDER_KEYS) + ")")
# "Bearer <token>" in any case: a token of 8+ characters with a digit or symbol, or 20+ letters.
_BEARER = re.compile(
    r"(?<![A-Za-z0-9])(?P<scheme>(?i:bearer)\s+)"
    r"(?:(?=[A-Za-z]*[0-9\-._~+/])[A-Za-z0-9\-._~+/]{8,}=*|[A-Za-z]{20,})"
)
# scheme://user:password@host -> scheme://user:***@host
_URL_USERINFO = re.compile(r"(?<![A-Za-z0-9+.\-])([A-Za-z][A-Za-z0-9+.\-]{0,20}://[^\s/?#@:\"'<>]*):([^\s/?#@\"'<>]+)@")
_PEM = re.compile(r"-----BEGIN[A-Z ]*PRIVATE KEY-----(?:.*?-----END[A-Z ]*PRIVATE KEY-----|.*)", re.DOTALL)
# key=value, key => value, key: value, "key":"value", in any text or repr. Found from the
# separators (a fast scan), each key read backwards from its separator; is_secret_key decides
# (so max_tokens=5 is kept). A colon separates only before a space or a quote, or after a
# quoted key: LangChain's tags ("map:key:length") and URLs are not "key: value".
_SEPARATOR = re.compile(r"=>?|:")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_VALUE = re.compile(
    r"[ \t]{0,3}(?:(?P<quote>\\?[\"'])(?P<quoted>[^\n]{0,4000}?)(?P=quote)"
    r"|\\?[\"']?(?i:bearer[ \t]+|basic[ \t]+|token[ \t]+|digest[ \t]+|bot[ \t]+)?"
    r"(?P<bare>[^\s\"',;&<>(){}\[\]\\]+))"
)
# Values of key=value text that are not secrets and say more unmasked.
_PLAIN_VALUES = frozenset({"", "none", "null", "nil", "true", "false", MASK, "<redacted>", "[redacted]"})


def _mask_key_values(text: str) -> str:
    """``text`` with the value of every ``key=value`` / ``key: value`` whose key names a secret masked."""
    parts: list[str] = []
    done = 0  # text[:done] is in parts
    for separator in _SEPARATOR.finditer(text):
        at = separator.start()
        if at < done:
            continue  # inside a value already masked
        if separator.group() == ":" and not (
            (at and text[at - 1] in "\"'") or text[at + 1 : at + 2] in (" ", "\t", '"', "'", "\\")
        ):
            continue
        key = _key_before(text, at)
        if key is None or not is_secret_key(key):
            continue
        value = _VALUE.match(text, separator.end())
        if value is None:
            continue
        group = "quoted" if value.group("quoted") is not None else "bare"
        begin, end = value.span(group)
        if text[begin:end].lower() in _PLAIN_VALUES or (group == "bare" and text[end : end + 1] == "("):
            continue  # None / True, or a call such as api_key=get_key(): not a value
        parts.append(text[done:begin])
        parts.append(MASK)
        done = end
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def _key_before(text: str, at: int) -> str | None:
    """The key ending just before a separator (past spaces and a closing quote), if it is one."""
    end = at
    while end and text[end - 1] in " \t" and at - end < 3:
        end -= 1
    if end and text[end - 1] in "\"'":
        end -= 1
        if end and text[end - 1] == "\\":
            end -= 1
    begin = end
    while begin and text[begin - 1] in _KEY_CHARS:
        begin -= 1
        if end - begin > 64:
            return None
    return text[begin:end] or None


def mask_text(text: str) -> str:
    """``text`` with every built-in text rule applied (key=value, URLs, PEM, Bearer, provider keys)."""
    if len(text) < 5:
        return text
    # Cheap substring tests first (spelled out: a generator costs more than the tests): most
    # text holds no hint and is returned as it is.
    if "=" in text or ":" in text:
        lowered = text.lower()
        if (
            "key" in lowered
            or "tok" in lowered
            or "pass" in lowered
            or "secret" in lowered
            or "auth" in lowered
            or "pwd" in lowered
            or "cred" in lowered
            or "cookie" in lowered
            or "sess" in lowered
            or "jwt" in lowered
            or "bearer" in lowered
        ):
            text = _mask_key_values(text)
        if "@" in text and "://" in text:
            text = _URL_USERINFO.sub(r"\1:" + MASK + "@", text)
    if len(text) < 16:
        return text
    if "earer" in text or "EARER" in text:
        text = _BEARER.sub(lambda match: match.group("scheme") + MASK, text)
    if "_" in text or "-" in text:
        if "-----BEGIN" in text:
            text = _PEM.sub(MASK, text)
        if (
            "sk-" in text
            or "k_" in text
            or "hf_" in text
            or "gh" in text
            or "_pat_" in text
            or "xox" in text
            or "GOCSPX-" in text
            or "glpat-" in text
            or "r8_" in text
            or "tvly-" in text
            or "lsv2_" in text
            or "pplx-" in text
            or "npm_" in text
            or "pypi-" in text
            or _undashed_hint(text)
        ):
            text = _PROVIDER.sub(MASK, text)
    elif _undashed_hint(text):
        text = _PROVIDER.sub(MASK, text)
    return text


def _undashed_hint(text: str) -> bool:
    """Whether ``text`` may hold a provider shape without "_" or "-" (AWS, Google, SendGrid, JWT)."""
    return "IA" in text or "AIza" in text or "ya29." in text or "SG." in text or "eyJ" in text


# -- text hygiene -----------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogates(text: str) -> bool:
    """True when ``text`` holds lone surrogates, which UTF-8 (the store, JSON files) cannot encode."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def clean(text: str) -> str:
    """``text`` safe to encode as UTF-8: surrogate pairs joined, lone surrogates replaced by U+FFFD."""
    if text.isascii() or _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# -- the user's mask and the tracer's redactor -----------------------------------------------


def check_mask(mask: Any) -> Mask | None:
    """Validates a ``mask=`` setting: ``None`` or a callable taking and returning one string."""
    if mask is None:
        return None
    checked: Mask = mask  # a callable from here on, and one that returns a string once probed below
    if not callable(checked):
        raise TypeError(f"mask must be a function taking a string and returning a string, not {mask!r}")
    try:
        probe = mask("chaintracer mask check: api_key=***")
    except Exception as exc:
        raise TypeError(f"mask={mask!r} failed on a sample string: {type(exc).__name__}: {exc}") from exc
    if not isinstance(probe, str):
        raise TypeError(f"mask={mask!r} must return a string, but returned {type(probe).__name__}: {probe!r:.80}")
    return checked


logger = logging.getLogger("chaintracer")


class Redactor:
    """The built-in rules plus an optional user ``mask``; never raises.

    A failing ``mask`` (an exception, or not a string back) cannot be trusted with the text: the
    text is replaced by a marker, the first failure is logged and all are counted.
    """

    def __init__(self, mask: Mask | None = None) -> None:
        self.mask = mask
        self.failures = 0
        self._lock = threading.Lock()
        if mask is not None:
            _LIVE_MASKS.add(self)

    def text(self, value: str) -> str:
        """``value`` cleaned (valid UTF-8), masked by the built-in rules, then by the user's mask."""
        return self.mask_clean(clean(value))

    def mask_clean(self, value: str) -> str:
        """``text`` for a value already clean (no lone surrogates)."""
        value = mask_text(value)
        if self.mask is None:
            return value
        try:
            masked = self.mask(value)
        except Exception as exc:
            return self._failed(type(exc).__name__)
        if type(masked) is not str:
            return self._failed(f"returned {type(masked).__name__}")
        return clean(masked)

    def take_failures(self) -> int:
        """How many texts the user's mask failed on since the last call."""
        with self._lock:
            count, self.failures = self.failures, 0
        return count

    def _failed(self, why: str) -> str:
        with self._lock:
            self.failures += 1
            first = self.failures == 1
        if first:
            logger.warning("chaintracer: the mask= function failed (%s); the text was replaced by a marker", why)
        return f"<masked: mask= failed ({why})>"


_LIVE_MASKS: weakref.WeakSet[Redactor] = weakref.WeakSet()


def mask_everywhere(text: str) -> str:
    """``text`` through the built-in rules and the mask of every live tracer (for log records)."""
    text = mask_text(clean(text))
    for redactor in list(_LIVE_MASKS):
        mask = redactor.mask
        if mask is not None:
            try:
                masked = mask(text)
            except Exception:
                return "<masked: mask= failed>"
            text = masked if type(masked) is str else "<masked: mask= failed>"
    return text


class LogMasker(logging.Filter):
    """Masks the message and the traceback of every record chaintracer logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg, record.args = mask_everywhere(message), ()
        if record.exc_info:
            record.exc_text = mask_everywhere(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = mask_everywhere(record.stack_info)
        return True


def install_log_masker() -> None:
    """Adds ``LogMasker`` to the ``chaintracer`` logger (once)."""
    if not any(isinstance(existing, LogMasker) for existing in logger.filters):
        logger.addFilter(LogMasker())


install_log_masker()
