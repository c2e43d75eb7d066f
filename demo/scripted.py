"""Deterministic stand-ins for real models, so every scenario runs offline and without keys.

In real code you would use e.g. ``ChatOpenAI(model="gpt-4o-mini")`` / ``OpenAI()``; these
classes speak the same LangChain interfaces, report token usage the way providers do, and
decide their tool calls from the conversation, so agents really call their tools.
"""

from __future__ import annotations

import ast
import operator
import re
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool

from langchain_tracer import testing
from langchain_tracer.testing import ScriptedLLM, words

__all__ = ["FACTS", "ScriptedChatModel", "ScriptedLLM", "ScriptedWriter", "calculator", "lookup"]

FACTS = {
    "capital of france": "Paris",
    "boiling point of water": "100 °C at sea level",
    "author of hamlet": "William Shakespeare",
    "speed of light": "299,792 km/s",
}


class ScriptedChatModel(testing.ScriptedChatModel):
    """A tool-calling chat model: asks a tool when the question needs one, then answers.

    Arithmetic goes to ``calculator``; "what is the <fact>" goes to ``lookup``; after a tool
    result it answers with it. Anything else gets a canned reply. (The test kit's
    ``ScriptedChatModel`` follows a fixed script instead; this one reads the conversation.)
    """

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            return AIMessage(content=f"The answer is {last.content}.")
        question = str(last.content) if isinstance(last, HumanMessage) else ""
        expression = re.search(r"[\d\.\s\+\-\*/\(\)]{3,}", question)
        step = sum(isinstance(m, ToolMessage) for m in messages)
        if "calculator" in self.bound_tools and expression and any(op in expression.group() for op in "+-*/"):
            return _tool_call("calculator", {"expression": expression.group().strip()}, step)
        if "lookup" in self.bound_tools and question.lower().startswith("what is the"):
            topic = question.lower().removeprefix("what is the").strip(" ?")
            return _tool_call("lookup", {"topic": topic}, step)
        return AIMessage(content=f"I am a scripted model; you said: {question}")


def _tool_call(name: str, args: dict[str, Any], step: int) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": f"call_{name}_{step}"}])


_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
}


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.operand))
    raise ValueError(f"unsupported expression element: {ast.dump(node)[:60]}")


@tool
def calculator(expression: str) -> str:
    """Evaluates an arithmetic expression with + - * / and parentheses."""
    value = _evaluate(ast.parse(expression, mode="eval"))
    return str(int(value) if float(value).is_integer() else round(value, 6))


@tool
def lookup(topic: str) -> str:
    """Looks a topic up in a small local fact sheet."""
    try:
        return FACTS[topic.lower()]
    except KeyError:
        raise ValueError(f"no fact about {topic!r}; known topics: {', '.join(FACTS)}") from None


class ScriptedWriter(BaseChatModel):
    """A copywriter model whose answers depend on the prompt and the temperature, deterministically.

    Higher temperatures add flourishes (more words, more tokens); a prompt asking to be concise
    keeps the first sentence only. Good enough to show how settings change cost and output.
    """

    model_name: str = "scripted-writer"
    temperature: float = 0.7
    max_tokens: int = 256

    @property
    def _llm_type(self) -> str:
        return "scripted-writer"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "temperature": self.temperature, "max_tokens": self.max_tokens}

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        prompt = " ".join(str(m.content) for m in messages)
        product = re.search(r"product: (.+?)(?:\.|$)", prompt, re.IGNORECASE)
        name = product.group(1).strip() if product else "this product"
        sentences = [
            f"{name.capitalize()} keeps your work moving.",
            "It is light, quick to set up and easy to share with your team.",
            "Customers say it pays for itself within a month.",
            "Every detail was designed with care, from the first click to the last report.",
            "Imagine a morning where everything simply works, beautifully, effortlessly, again and again.",
        ]
        count = 2 + round(self.temperature * 3)
        text = " ".join(sentences[:count])
        if "concise" in prompt.lower():
            text = sentences[0] + " " + sentences[2 if self.temperature > 0.5 else 1]
        kept = text.split()[: self.max_tokens]
        text = " ".join(kept)
        usage = {
            "input_tokens": words(prompt),
            "output_tokens": len(kept),
            "total_tokens": words(prompt) + len(kept),
        }
        message = AIMessage(content=text, usage_metadata=usage, response_metadata={"model_name": self.model_name})
        return ChatResult(generations=[ChatGeneration(message=message)])
