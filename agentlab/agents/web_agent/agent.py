"""WebAgent: one LLM call per step (plus re-asks after malformed answers) chooses one action, written in
the answer's text or, with flags.use_tools, called through the tools API."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from ...browser.actions import action_signatures
from ...browser.tool_calls import tool_schemas
from ...core.errors import ConfigError
from ...core.records import AgentExtra
from ...llm.chat import ChatModel, ChatModelArgs, ChatResponse
from ...llm.local_chat import LocalChatArgs
from ...llm.pricing import add_costs, cost, price_source
from ...llm.tokens import estimate_tokens
from ..base import Agent, AgentArgs, AgentStep, EpisodeContext, UnusableAnswers, messages_for_the_record
from .answer import Answer, AnswerParseError, parse_answer, parse_tool_answer
from .flags import PromptFlags
from .prompt import PastStep, build_prompt, observe, system_message

STAT_KEYS = ("input_tokens", "output_tokens", "cached_tokens", "n_llm_calls", "llm_seconds", "llm_retries")


@dataclass
class WebAgentArgs(AgentArgs):
    chat_model_args: ChatModelArgs = field(default_factory=LocalChatArgs)
    flags: PromptFlags = field(default_factory=PromptFlags)

    def check(self) -> None:
        if self.flags.use_screenshot and not self.chat_model_args.vision:
            raise ConfigError(
                f"flags.use_screenshot needs a vision model; {self.chat_model_args.model_name!r} "
                f"has vision=False (allowed: use_screenshot false, or chat_model_args.vision true)"
            )
        self.chat_model_args.check()
        if self.flags.use_tools:
            self.chat_model_args.check_tools()

    def local_llm_server(self) -> Any:
        return self.chat_model_args.local_server()

    def for_episode(self, context: EpisodeContext) -> WebAgentArgs:
        """These args with the benchmark's choices made: use_tabs None shows tabs where its tasks open several."""
        if self.flags.use_tabs is not None:
            return self
        return dataclasses.replace(self, flags=dataclasses.replace(self.flags, use_tabs=context.is_multi_tab))

    def make_agent(self, context: EpisodeContext) -> Agent:
        return WebAgent(
            self.for_episode(context), context.action_set.make(), self.chat_model_args.make_model(), context.tools
        )


def new_stats(price_source: str | None) -> dict[str, Any]:
    """Zero counts; the cost unknown (None) without a price, and where the price comes from beside it."""
    return {
        **dict.fromkeys(STAT_KEYS, 0),
        "llm_seconds": 0.0,
        "cost": 0.0 if price_source else None,
        "cost_source": price_source,
    }


def add_response(stats: dict[str, Any], response: ChatResponse, model: str) -> None:
    """Count one LLM call into `stats`."""
    stats["input_tokens"] += response.input_tokens
    stats["output_tokens"] += response.output_tokens
    stats["cached_tokens"] += response.cached_tokens
    stats["n_llm_calls"] += 1
    stats["llm_seconds"] += response.latency_s
    stats["llm_retries"] += response.retries
    stats["cost"] = add_costs(
        stats["cost"], cost(model, response.input_tokens, response.output_tokens, response.cached_tokens)
    )


def assistant_message(response: ChatResponse) -> dict[str, Any]:
    """The model's answer as the chat message that carries it on, its tool calls included."""
    if not response.tool_calls:
        return {"role": "assistant", "content": response.text}
    calls = []
    for index, call in enumerate(response.tool_calls):
        function = {"name": call.name, "arguments": call.arguments}
        calls.append({"id": call_id(call.id, index), "type": "function", "function": function})
    return {"role": "assistant", "content": response.text or None, "tool_calls": calls}


def call_id(given: str | None, index: int) -> str:
    """The call's id, or one made up: a tool message must name the call it answers."""
    return given or f"call_{index}"


def reask_messages(response: ChatResponse, error: AnswerParseError) -> list[dict[str, Any]]:
    """What tells the model its answer was unusable: a user message, or a tool message for each call made."""
    text = f"Your answer could not be used: {error}. Answer again, in the format above."
    if not response.tool_calls:
        return [{"role": "user", "content": text}]
    return [
        {"role": "tool", "tool_call_id": call_id(call.id, index), "content": text}
        for index, call in enumerate(response.tool_calls)
    ]


class WebAgent(Agent):
    def __init__(self, args: WebAgentArgs, action_set: Any, model: ChatModel, tools: tuple[dict, ...] = ()):
        self.args = args
        self.flags = args.flags
        self.action_set = action_set
        self.model = model
        self.signatures = action_signatures(action_set)
        # in tool mode, the episode's tools (a CUBE task's own), else the action set's
        self.tools = (list(tools) or tool_schemas(action_set)) if self.flags.use_tools else None
        self.tool_tokens = estimate_tokens(json.dumps(self.tools)) if self.tools else 0
        self.system = system_message(self.flags, action_set)
        self.history: list[PastStep] = []
        self.memory: str | None = None
        self.pricing = args.chat_model_args.pricing_name
        self.totals = new_stats(price_source(self.pricing))

    def get_action(self, obs: dict) -> AgentStep:
        if self.history:
            self.history[-1].error = obs.get("last_action_error") or ""
        page = observe(obs, self.flags)
        prompt = build_prompt(
            page,
            self.history,
            self.memory,
            self.flags,
            self.system,
            self.args.chat_model_args.max_input_tokens - self.tool_tokens,  # the tools are sent too
            self.args.chat_model_args.vision,
        )
        messages = list(prompt.messages)
        stats = new_stats(self.totals["cost_source"])
        problems: list[str] = []
        try:
            for _ in range(self.flags.max_parse_retries + 1):
                response = self.model.chat(messages, self.tools)
                add_response(stats, response, self.pricing)
                messages.append(assistant_message(response))
                try:
                    answer = self.read(response)
                    break
                except AnswerParseError as error:
                    problems.append(str(error))
                    reask = reask_messages(response, error)
                    messages.extend(reask)
            else:
                sent = messages[: -len(reask)]  # the last re-ask was never sent
                raise UnusableAnswers(
                    f"no valid action in {len(problems)} answers; the last: {problems[-1]}",
                    step=AgentStep(
                        action=None,
                        messages=messages_for_the_record(sent, page.goal_images),
                        stats=stats,
                        extra=AgentExtra(parse_errors=problems, prompt_cuts=prompt.cuts),
                    ),
                )
        finally:
            for key, value in stats.items():
                if key != "cost_source":
                    self.totals[key] = add_costs(self.totals[key], value) if key == "cost" else self.totals[key] + value
        self.history.append(PastStep(answer.action, answer.think))
        if self.flags.use_memory:
            self.memory = answer.memory
        return AgentStep(
            action=answer.action,
            tool_call=answer.tool_call,
            think=answer.think,
            messages=messages_for_the_record(messages, page.goal_images),
            stats=stats,
            extra=AgentExtra(
                parse_errors=problems,
                prompt_cuts=prompt.cuts,
                prompt_tokens_estimate=prompt.estimated_tokens,
                memory=self.memory,
            ),
        )

    def read(self, response: ChatResponse) -> Answer:
        """The answer's action: its first tool call in tool mode, else its <action>; AnswerParseError if unusable."""
        if self.tools is not None:
            return parse_tool_answer(response, self.tools, self.flags.use_memory)
        return parse_answer(response.text, self.signatures, self.flags.use_memory)

    def stats(self) -> dict[str, Any]:
        return dict(self.totals)

    def details(self) -> dict[str, Any]:
        """The flags the prompt is built with, the benchmark's choices (use_tabs) resolved."""
        return {"flags": dataclasses.asdict(self.flags)}

    def close(self) -> None:
        self.model.close()
