"""`agentlab prompt-test`: ask a model again at one step of a recorded episode, with the prompt the
agent sent or the one another config builds from the recorded observation, and show the answer and
the action parsed from it (AgentXray's "prompt tests", from the command line)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError
from ..core.layout import SUMMARY_FILE
from ..core.records import EpisodeSummary, StepRecord, read_steps, read_summary
from ..llm.chat import ChatModelArgs, ChatResponse, png_data_url

SCREENSHOT_NOTE = "(the step's screenshot)"  # what step records keep in place of the screenshot they sent


@dataclass
class PromptTest:
    """What to ask: which step, whose prompt, which model."""

    episode: Path  # an episode folder (summary.json, steps.jsonl)
    step: int
    agent: str | None = None  # Python path of an AgentArgs whose prompt to build; None: the episode's
    overrides: dict[str, Any] = field(default_factory=dict)
    rebuild: bool = False  # build the prompt from the recorded observation even without agent/overrides
    model: str | None = None  # 'local', or a model name on an OpenAI-compatible API; None: the agent's
    base_url: str | None = None
    api_key_env: str | None = None
    temperature: float | None = None
    max_new_tokens: int | None = None
    show_prompt: bool = False

    @property
    def rebuilds(self) -> bool:
        return self.rebuild or self.agent is not None or bool(self.overrides)


@dataclass
class PromptTestResult:
    prompt: list[dict[str, Any]]
    prompt_source: str  # where the prompt comes from, in words
    notes: list[str]
    model: str
    response: ChatResponse
    action: str | None
    parse_error: str | None
    recorded_action: str | None


def parse_override(text: str) -> tuple[str, Any]:
    """KEY=VALUE with VALUE as JSON (true, 0.5, "x", null), or as a string if it is not JSON."""
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise ConfigError(f"--override {text!r} is not KEY=VALUE; allowed: e.g. flags.use_html=false")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def load_episode(folder: Path, step: int) -> tuple[EpisodeSummary, list[StepRecord], int]:
    """The episode's summary, its step records and the index of step `step` among them."""
    if not (folder / SUMMARY_FILE).is_file():
        raise ConfigError(
            f"{str(folder)!r} has no {SUMMARY_FILE}; allowed: a finished episode folder "
            "(results/<study>/<benchmark>/<agent>/<task>/seed<N>)"
        )
    summary = read_summary(folder / SUMMARY_FILE)
    records, _ = read_steps(folder)
    asked = [i for i, record in enumerate(records) if record.step == step and record.action]
    if not asked:
        acted = [str(record.step) for record in records if record.action]
        raise ConfigError(
            f"step {step} of {folder} has no recorded agent answer; allowed: "
            f"{', '.join(acted) or 'none (the episode has no steps)'}"
        )
    return summary, records, asked[0]


def recorded_messages(record: StepRecord, folder: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The prompt the agent sent at a step (its messages before the first answer), the screenshot put
    back where the record noted it; images that cannot be put back are left out, with a note."""
    prompt, notes = [], []
    screenshot = record.observation.screenshot if record.observation is not None else None
    for message in record.answer.messages if record.answer is not None else []:
        if message.get("role") == "assistant":
            break
        content = message.get("content")
        if isinstance(content, list):
            parts = []
            for part in content:
                if part.get("type") != "image_url":
                    parts.append(part)
                elif part["image_url"].get("url") == SCREENSHOT_NOTE and screenshot is not None:
                    url = png_data_url((folder / screenshot).read_bytes())
                    parts.append({"type": "image_url", "image_url": {"url": url}})
                    notes.append("the screenshot is the recorded one, without any set-of-marks the agent drew on it")
                elif part["image_url"].get("url", "").startswith(("http://", "https://", "data:")):
                    parts.append(part)
                else:
                    notes.append(f"left out an image the step did not keep: {part['image_url'].get('url')}")
            content = parts
        prompt.append({**message, "content": content})
    if not prompt:
        raise ConfigError(
            f"step {record.step} of {folder} has no recorded prompt (agent "
            "without chat messages); allowed: --agent CONFIG to build one"
        )
    return prompt, notes


def chat_args(test: PromptTest, agent_args: Any) -> ChatModelArgs:
    """The model to ask: --model's, else the agent's own, with --temperature and --max-new-tokens."""
    from ..llm.local_chat import LocalChatArgs
    from ..llm.openai_chat import OpenAIChatArgs

    if test.model == "local":
        args: ChatModelArgs = LocalChatArgs()
    elif test.model:
        key = test.api_key_env if test.api_key_env is not None else (None if test.base_url else "OPENAI_API_KEY")
        args = OpenAIChatArgs(model_name=test.model, base_url=test.base_url, api_key_env=key or None)
    elif isinstance(getattr(agent_args, "chat_model_args", None), ChatModelArgs):
        args = agent_args.chat_model_args
    else:
        raise ConfigError(
            f"agent {type(agent_args).__name__} has no chat model of ours to ask; "
            "allowed: --model local, or --model NAME [--base-url URL]"
        )
    changes: dict[str, Any] = {"temperature": test.temperature, "max_new_tokens": test.max_new_tokens}
    return dataclasses.replace(args, **{k: v for k, v in changes.items() if v is not None})


def run_prompt_test(test: PromptTest) -> PromptTestResult:
    """Ask the model once at the step and parse its answer with the benchmark's action set."""
    from ..agents.base import EpisodeContext
    from ..agents.registry import load_agent_args
    from ..agents.web_agent import WebAgentArgs
    from ..agents.web_agent.answer import AnswerParseError, parse_answer
    from ..agents.web_agent.recorded import recorded_prompt
    from ..benchmarks import get_benchmark
    from ..browser.actions import action_signatures

    summary, records, index = load_episode(test.episode, test.step)
    spec = summary.spec
    config = test.agent or spec.get("agent_config")
    if not config:
        raise ConfigError(
            f"{test.episode}/{SUMMARY_FILE} names no agent config (spec.agent_config); allowed: --agent CONFIG"
        )
    overrides = {**({} if test.agent else spec.get("agent_overrides") or {}), **test.overrides}
    agent_args = load_agent_args(config, overrides)
    benchmark = get_benchmark(summary.benchmark, spec.get("benchmark_module", ""), spec.get("cube", ""))
    context = EpisodeContext(
        summary.benchmark,
        summary.task,
        summary.seed,
        summary.max_steps or 0,
        benchmark.action_set,
        benchmark.is_multi_tab,
    )
    if test.rebuilds:
        if not isinstance(agent_args, WebAgentArgs):
            raise ConfigError(
                f"agent config {config!r} is a {type(agent_args).__name__}; allowed: a WebAgent "
                "config to build a prompt from the recorded observation"
            )
        prompt = recorded_prompt(agent_args, context, summary.outcome.goal or "", records, index, test.episode)
        messages, notes = prompt.messages, [f"prompt cut: {cut}" for cut in prompt.cuts]
        changed = ", ".join(f"{key}={json.dumps(value)}" for key, value in test.overrides.items())
        source = f"built by {config}{' with ' + changed if changed else ''} from the recorded observation"
    else:
        messages, notes = recorded_messages(records[index], test.episode)
        source = "the recorded one"
    model_args = chat_args(test, agent_args)
    model_args.check()
    model = model_args.make_model()
    try:
        response = model.chat(messages)
    finally:
        model.close()
    with_memory = isinstance(agent_args, WebAgentArgs) and agent_args.flags.use_memory
    signatures = action_signatures(context.action_set.make())
    try:
        action, error = parse_answer(response.text, signatures, with_memory).action, None
    except AnswerParseError as problem:
        action, error = None, str(problem)
    return PromptTestResult(
        messages, source, notes, model_args.model_name, response, action, error, records[index].action
    )


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "\n".join(
        part["text"] if part.get("type") == "text" else f"[image: {part['image_url']['url'][:40]}...]"
        for part in content or []
    )


def format_result(test: PromptTest, result: PromptTestResult) -> str:
    """What `agentlab prompt-test` prints: the prompt (if asked), the answer, the parsed action."""
    lines = [
        f"episode {test.episode}, step {test.step} (recorded action: {result.recorded_action})",
        f"prompt: {result.prompt_source} ({len(result.prompt)} messages)",
    ]
    lines += [f"note: {note}" for note in result.notes]
    if test.show_prompt:
        for message in result.prompt:
            lines += [f"--- prompt: {message.get('role')}", message_text(message)]
    response = result.response
    lines += [
        f"model: {result.model} ({response.latency_s:.1f} s, {response.input_tokens} input and "
        f"{response.output_tokens} output tokens)",
        "--- answer",
        response.text,
        "--- action",
        result.action if result.action is not None else f"(none: {result.parse_error})",
    ]
    return "\n".join(lines)
