"""Results are cached by text hash in bounded, thread-safe LRU caches."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from metrics_helpers import generate_texts

from chaintracer.metrics.cache import LRUCache, text_key
from chaintracer.metrics.complexity import Readability
from chaintracer.metrics.visualize import Visualizer


def test_text_key_is_a_fixed_size_digest():
    """Keys are 16-byte digests that tell texts (and splits of texts) apart."""
    assert len(text_key("x" * 100_000)) == 16
    assert text_key("abc") == text_key("abc")
    assert text_key("abc") != text_key("abd")
    assert text_key("ab", "c") != text_key("a", "bc")
    assert text_key("\ud800 lone surrogate") != text_key("")


def test_lru_evicts_the_least_recently_used():
    """Past maxsize the least recently used entry goes; a get refreshes an entry."""
    cache = LRUCache(2)
    cache.put(b"a", 1)
    cache.put(b"b", 2)
    assert cache.get(b"a") == 1  # "b" is now the oldest
    cache.put(b"c", 3)
    assert cache.get(b"b") is None
    assert (cache.get(b"a"), cache.get(b"c"), len(cache)) == (1, 3, 2)
    assert (cache.hits, cache.misses) == (3, 1)


def test_lru_under_many_threads_stays_bounded_and_consistent():
    """Eight threads putting and getting 20,000 keys never exceed maxsize and never read a wrong value."""
    cache = LRUCache(100)
    errors = []

    def work(seed):
        for i in range(2500):
            key = f"{seed}-{i % 300}".encode()
            value = cache.get(key)
            if value is not None and value != key:
                errors.append((key, value))
            cache.put(key, key)
            if len(cache) > 100:
                errors.append(("size", len(cache)))

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache) == 100


def test_readability_computes_each_distinct_text_once():
    """A repeated text is served from the cache: the engine runs once per distinct text."""
    readability = Readability("en_US")
    calls = []
    engine = readability.engine
    original = engine.metrics
    engine.metrics = lambda text: (calls.append(text), original(text))[1]
    try:
        texts = generate_texts(3, words=40)
        first = [readability.metrics(text) for text in texts]
        again = [readability.metrics(text) for text in texts * 2]
    finally:
        del engine.metrics
    assert calls == texts
    assert again == first * 2
    assert readability.cache.hits == 6


def test_cached_results_cannot_be_changed_by_callers():
    """Each call returns a fresh dict, so a caller's edit does not leak into the cache."""
    readability = Readability("en_US")
    values = readability.metrics("The cat sat on the mat.")
    values["flesch_reading_ease"] = -1
    assert readability.metrics("The cat sat on the mat.")["flesch_reading_ease"] != -1


def test_readability_cache_is_bounded():
    """With cache_size=3, five distinct texts leave three entries."""
    readability = Readability("en_US", cache_size=3)
    for text in generate_texts(5, words=20):
        readability.metrics(text)
    assert len(readability.cache) == 3


def test_concurrent_callers_get_correct_cached_values():
    """Threads asking for overlapping texts all get the values of their own text."""
    readability = Readability("en_US", cache_size=16)
    texts = generate_texts(40, words=50, seed=12)
    expected = [Readability("en_US").metrics(text) for text in texts]
    jobs = [index % len(texts) for index in range(400)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda index: (index, readability.metrics(texts[index])), jobs))
    for index, values in results:
        assert values == expected[index]
    assert len(readability.cache) <= 16


def test_visualizer_renders_an_output_once(ruler_nlp):
    """The spaCy views of a repeated output come from the cache; the pipeline runs once."""
    calls = []

    class CountingPipeline:
        pipe_names = ruler_nlp.pipe_names
        meta = ruler_nlp.meta

        def __call__(self, text):
            calls.append(text)
            return ruler_nlp(text)

    visualizer = Visualizer("unused", CountingPipeline())
    first = visualizer.render(None, "LangChain runs in Paris.")
    second = visualizer.render("a prompt", "LangChain runs in Paris.")
    assert calls == ["LangChain runs in Paris."]
    assert second["entities"] == first["entities"] and second["dependency"] == first["dependency"]
    assert "prompt_output" in second and "prompt_output" not in first
