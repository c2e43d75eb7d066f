"""The three scenarios of the LangChain tracking notebook, traced offline into one store."""

from __future__ import annotations

import contextlib

from langchain.agents import create_agent
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import PromptTemplate

from demo.scripted import ScriptedChatModel, ScriptedLLM, calculator, lookup
from langchain_tracer import Tracer

TITLES = [
    "Documentary about good video games that push the boundary of game design",
    "Cocaine Bear vs Heroin Wolf",
    "The Lion King",
    "Tragedy at sunset on the beach",
]
# The scripted models stand in for gpt-4o-mini: priced like it (USD per 1M tokens), so the demo shows costs.
PRICES = {name: {"input": 0.15, "output": 0.60} for name in ("scripted-chat", "scripted-llm")}
QUESTIONS = [
    "What is (17 + 25) * 3?",
    "What is the capital of France?",
    "What is the distance to the moon?",  # the lookup tool fails: the trace shows the error
]


def run(store: str) -> list[str]:
    """Runs the scenarios with one tracer, flushing each as its own session; returns their names."""
    tracer = Tracer(project="langchain_callback_demo", tags=["demo"], group="minimal", store=store, prices=PRICES)

    # 1. A completion model generating for several prompts.
    llm = ScriptedLLM(responses=["Why did the chicken cross the road? To trace the other side.", "Roses are red."])
    llm.generate(["Tell me a joke", "Tell me a poem"] * 3, callbacks=[tracer])
    tracer.flush_tracker(llm, name="simple_sequential")

    # 2. A chain of sub-chains (synopsis, then review) applied to a list of play titles.
    playwright = ScriptedLLM(responses=["A sweeping tale of ambition and loss, told over one night."])
    critic = ScriptedLLM(responses=["A bold, moving play; the second act drags.", "Unmissable."], temperature=0.2)
    synopsis = (
        PromptTemplate.from_template("You are a playwright. Given the title of play, write a synopsis.\nTitle: {title}")
        | playwright
        | StrOutputParser()
    ).with_config(run_name="synopsis_chain")
    review = (
        PromptTemplate.from_template("You are a play critic. Given the synopsis, write a review.\nSynopsis: {synopsis}")
        | critic
        | StrOutputParser()
    ).with_config(run_name="review_chain")
    overall = ({"synopsis": synopsis} | review).with_config(run_name="overall_chain")
    overall.batch([{"title": title} for title in TITLES], config={"callbacks": [tracer]})
    tracer.flush_tracker(overall, name="synopsis_chain")

    # 3. An agent whose scripted model calls real Python tools.
    agent = create_agent(
        ScriptedChatModel(),
        tools=[calculator, lookup],
        system_prompt="Answer with the tools when they help.",
        name="fact_agent",
    )
    for question in QUESTIONS:
        # A failing tool ends that run with ValueError; the trace keeps the error.
        with contextlib.suppress(ValueError):
            agent.invoke({"messages": [{"role": "user", "content": question}]}, config={"callbacks": [tracer]})
    tracer.flush_tracker(agent, name="agent", finish=True)  # the last session: the tracer is done
    return ["simple_sequential", "synopsis_chain", "agent"]
