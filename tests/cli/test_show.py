"""`chaintracer show`: traces with their question and answer, one trace, errors only, one span, ids by prefix."""

from __future__ import annotations

import itertools
import re

import pytest
from cli_helpers import run_cli
from cli_scenarios import ANSWER, LI_ANSWER, LI_QUESTION, QUESTIONS, RAG_ANSWER, RAG_QUESTION

from chaintracer.spantree import find, walk
from chaintracer.store import Store


def show(scenarios, *args: str, cwd, **kwargs):
    return run_cli("show", *args, "--store", scenarios.store, cwd=cwd, **kwargs)


def test_each_trace_shows_its_question_and_answer(scenarios, tmp_path):
    """Under each tree: the user's question and the final answer, not message JSON, for agents and RAG."""
    agent = show(scenarios, "agent", cwd=tmp_path)
    assert agent.returncode == 0, agent.stderr
    assert f"question: {QUESTIONS[0]}" in agent.stdout
    assert f"answer: {ANSWER}" in agent.stdout
    assert "error: ValueError: no distance known for 'moon'" in agent.stdout
    assert '"role"' not in agent.stdout
    rag = show(scenarios, "rag", cwd=tmp_path)
    assert f"question: {RAG_QUESTION}" in rag.stdout and f"answer: {RAG_ANSWER}" in rag.stdout
    llamaindex = show(scenarios, "li_rag", cwd=tmp_path)
    assert f"question: {LI_QUESTION}" in llamaindex.stdout and f"answer: {LI_ANSWER}" in llamaindex.stdout


def test_trace_numbers_are_the_viewers(scenarios, tmp_path):
    """`--trace N` is the N-th trace in the viewer's trace table (1-based, the store's order)."""
    store = Store(scenarios.store, create=False)
    try:
        rows, total = store.trace_page(scenarios.ids["li_rag"], 0, 50, None, None, "seq")
        details = [store.trace_detail(scenarios.ids["li_rag"], row["number"]) for row in rows]
    finally:
        store.close()
    assert total == len(rows) == 2  # the index's construction, then the query
    for number, (row, detail) in enumerate(zip(rows, details), 1):
        assert row["number"] == detail["number"] == number  # what the viewer shows as "N of total"
        result = show(scenarios, "li_rag", "--trace", str(number), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert f"trace {number}/{total}" in result.stdout
        assert f"[{row['kind']}] {row['name']}" in result.stdout
    out_of_range = show(scenarios, "li_rag", "--trace", str(total + 1), cwd=tmp_path)
    assert out_of_range.returncode == 2 and f"numbered 1 to {total}" in out_of_range.stderr


def test_trace_by_id_prefix_prints_its_answer_whole(scenarios, tmp_path):
    """`--trace` also takes a unique trace id prefix; the chosen trace's question and answer are not cut."""
    root = scenarios.documents["agent"]["traces"][0]
    result = show(scenarios, "agent", "--trace", root["trace_id"][:13], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "trace 1/2" in result.stdout and "trace 2/2" not in result.stdout
    assert f"answer: {ANSWER}" in result.stdout


def test_a_trace_id_prefix_made_of_digits_finds_its_trace(tmp_path):
    """Trace ids are hex: about one in a hundred starts with ten digits, and that prefix is an id, not a number."""
    import chaintracer

    store = str(tmp_path / "digits.db")
    tracer = chaintracer.Tracer(store=store, project="digits")
    for span_id in ("2687166292ab" + "0" * 20, "ab" + "1" * 30, "4" * 32):
        tracer.log_trace(chaintracer.Span(name=f"root-{span_id[:4]}", span_kind="chain", span_id=span_id))
    tracer.flush_tracker(name="digits", finish=True)
    by_prefix = run_cli("show", "digits", "--trace", "2687166292", "--store", store, cwd=tmp_path)
    assert by_prefix.returncode == 0, by_prefix.stderr
    assert "trace 1/3" in by_prefix.stdout and "root-2687" in by_prefix.stdout
    by_number = run_cli("show", "digits", "--trace", "2", "--store", store, cwd=tmp_path)
    assert by_number.returncode == 0 and "root-ab11" in by_number.stdout  # a number when a trace has it
    neither = run_cli("show", "digits", "--trace", "5555", "--store", store, cwd=tmp_path)
    assert neither.returncode == 2 and "numbered 1 to 3" in neither.stderr


def test_errors_shows_only_failed_traces_and_where_they_failed(scenarios, tmp_path):
    """`--errors` prints only the traces with a failed span, naming the span that raised."""
    result = show(scenarios, "agent", "--errors", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "trace 2/2" in result.stdout and "trace 1/2" not in result.stdout
    tool = find(scenarios.documents["agent"]["traces"][1], kind="tool")[0]
    (raised,) = [line for line in result.stdout.splitlines() if "raised in" in line]
    assert "[tool] distance" in raised and tool["span_id"][:8] in raised
    clean = show(scenarios, "rag", "--errors", cwd=tmp_path)
    assert clean.returncode == 0 and "no trace of this session has a failed span" in clean.stdout


def test_span_detail_shows_inputs_outputs_and_traceback(scenarios, tmp_path):
    """`--span PREFIX` prints one span in full: inputs, outputs, attributes, the error and its traceback."""
    trace = scenarios.documents["agent"]["traces"][1]
    tool = find(trace, kind="tool")[0]
    printed = show(scenarios, "agent", cwd=tmp_path).stdout
    shown = re.search(r"\[tool\] distance .*?  (\S+)$", printed, re.M)
    assert shown, printed
    result = show(scenarios, "agent", "--span", shown.group(1), cwd=tmp_path)  # the id as `show` prints it
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"span {tool['span_id']}" in out and "[tool] distance" in out and "trace 2" in out
    assert '"body": "moon"' in out  # inputs
    assert "ValueError: no distance known for 'moon'" in out
    assert "Traceback (most recent call last)" in out


@pytest.mark.parametrize("limit", [[], ["--max-traces", "1"]])
def test_every_printed_span_id_names_one_span(scenarios, tmp_path, limit):
    """Each shortened id `show` prints is a unique prefix in its session, also of spans in traces not shown."""
    for name in ("agent", "li_rag"):  # LangChain's time-ordered ids, LlamaIndex's named ones
        printed = show(scenarios, name, *limit, cwd=tmp_path).stdout
        span_ids = [span["span_id"] for root in scenarios.documents[name]["traces"] for span in walk(root)]
        shown = [line.rsplit("  ", 1)[1] for line in printed.splitlines() if re.search(r"\[\w+\] ", line)]
        assert len(shown) == len(span_ids) or limit
        for prefix in shown:
            assert len(prefix) >= 8
            assert sum(span_id.startswith(prefix) for span_id in span_ids) == 1, prefix


@pytest.mark.parametrize("length", [8, 12])
def test_sessions_are_found_by_the_id_prefixes_other_views_print(scenarios, tmp_path, length):
    """The 8 characters `push` prints and the 12 the viewer shows name a session, like git's short ids."""
    session_id = scenarios.ids["rag"]
    result = show(scenarios, session_id[:length], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"session rag  ({session_id})")


def test_an_ambiguous_or_unknown_prefix_is_a_clear_error(scenarios, tmp_path):
    """A prefix of several session ids lists them and exits 2; too short or unknown prefixes say no session."""
    store = Store(scenarios.store, create=False)
    try:
        ids = sorted(session["id"] for session in store.sessions())
    finally:
        store.close()
    result = show(scenarios, "", cwd=tmp_path)
    assert result.returncode == 2
    shared = [a[:n] for a, b in itertools.pairwise(ids) for n in range(4, 32) if a[:n] == b[:n]]
    if shared:  # ids are random: two of three share a 4-character prefix only sometimes
        ambiguous = show(scenarios, shared[0], cwd=tmp_path)
        assert ambiguous.returncode == 2 and "several session ids" in ambiguous.stderr
    for ref in ("abc", "ffffffffffff"):
        missing = show(scenarios, ref, cwd=tmp_path)
        assert missing.returncode == 2 and "no session with id or name" in missing.stderr
        assert len(missing.stderr.strip().splitlines()) == 1


def test_ambiguous_trace_and_span_prefixes_name_the_candidates(scenarios, tmp_path):
    """Time-ordered LangChain ids share their first characters: a short prefix lists the matches, exit 2."""
    spans = [span["span_id"] for root in scenarios.documents["agent"]["traces"] for span in walk(root)]
    common = spans[0][:4]
    assert sum(span.startswith(common) for span in spans) > 1
    span = show(scenarios, "agent", "--span", common, cwd=tmp_path)
    assert span.returncode == 2 and "span ids" in span.stderr and "give more" in span.stderr
    trace = show(scenarios, "agent", "--trace", common, cwd=tmp_path)
    assert trace.returncode == 2 and "several trace ids" in trace.stderr


@pytest.mark.parametrize("value", ["-1", "0", "two", "1.5"])
def test_bad_numbers_are_refused_with_a_message(scenarios, tmp_path, value):
    """`--max-traces` below 1 or not a whole number is a usage error naming the value, not ignored."""
    result = show(scenarios, "agent", "--max-traces", value, cwd=tmp_path)
    assert result.returncode == 2
    assert "--max-traces" in result.stderr and value in result.stderr
    assert result.stdout == ""


def test_max_traces_limits_and_says_how_many_more(scenarios, tmp_path):
    """`--max-traces 1` prints the first trace and how to see the others."""
    result = show(scenarios, "li_rag", "--max-traces", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "trace 1/2" in result.stdout and "trace 2/2" not in result.stdout
    assert "1 more trace (" in result.stdout


def test_color_follows_no_color_and_the_option(scenarios, tmp_path):
    """Colour only when asked: `--color always` paints errors, NO_COLOR and pipes keep plain text."""
    painted = show(scenarios, "agent", "--color", "always", cwd=tmp_path, env={"NO_COLOR": "1"})
    assert "\x1b[31m" in painted.stdout
    plain = show(scenarios, "agent", cwd=tmp_path, env={"NO_COLOR": "1"})
    assert "\x1b[" not in plain.stdout
    never = show(scenarios, "agent", "--color", "never", cwd=tmp_path)
    assert "\x1b[" not in never.stdout
