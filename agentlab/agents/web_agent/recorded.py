"""WebAgent's prompt for a step of a recorded episode, rebuilt from its step records (steps.jsonl):
what another config would have asked the model at that step (`agentlab prompt-test --agent`).

Steps record the AXTree as BrowserGym prints it (every element, clickable marks), the pruned HTML,
the focused element, the error each action raised and the screenshot; the flags that need more of
the page (set-of-marks drawn on the screenshot, visible elements only, open tabs), and tool mode, are
refused in one line.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...core.errors import ConfigError
from ...core.files import RefusedFile, read_inside
from ...core.records import MAX_SCREENSHOT_BYTES, StepObservation, StepRecord, read_page_details
from ..base import EpisodeContext
from .agent import WebAgentArgs
from .flags import PromptFlags
from .prompt import BARE_GENERIC, Page, PastStep, Prompt, build_prompt, system_message

INLINE_TEXT = re.compile(r"\s*(\[[^\]]*\] )?InlineTextBox\b")  # WebAgent leaves these out; steps keep them
CLICKABLE_MARK = re.compile(r", clickable(?=,|$)")
UNRECORDED = {  # flag: why a recorded step (or a prompt test) cannot give what it needs
    "use_som": "steps record no screenshot with set-of-marks drawn on it",
    "visible_only": "steps record the AXTree of the whole page",
    "use_tabs": "steps record no open tabs",
    "use_tools": "prompt tests ask for a text answer, without tools",
}


def check_recordable(flags: PromptFlags) -> None:
    """ConfigError (one line) for a flag a recorded step cannot serve."""
    for name, why in UNRECORDED.items():
        if getattr(flags, name):
            raise ConfigError(f"flags.{name} is true, but {why}; allowed: flags.{name} false for a recorded step")


def recorded_axtree(text: str, flags: PromptFlags) -> str:
    """The recorded AXTree text as WebAgent's `observe` prints it under `flags`."""
    lines = [line for line in text.splitlines() if not INLINE_TEXT.match(line)]
    if not flags.mark_clickable:
        lines = [CLICKABLE_MARK.sub("", line) for line in lines]
    if flags.compact_axtree:
        lines = [line for line in lines if not BARE_GENERIC.fullmatch(line)]
    return "\n".join(lines)


def recorded_page(records: list[StepRecord], step: int, goal: str, directory: Path, flags: PromptFlags) -> Page:
    """What the agent saw at `step` (the index of its record), as `flags` show it."""
    record = records[step]
    seen = record.observation or StepObservation()
    error = records[step - 1].last_action_error if step else ""
    html = ""
    if flags.use_html:
        details = read_page_details(directory, seen.page_details)
        if details is None:
            raise ConfigError(
                f"flags.use_html is true, but step {record.step} recorded no HTML (steps "
                "before page details were recorded); allowed: flags.use_html false"
            )
        html = details.get("pruned_html") or ""
    screenshot = None
    if flags.use_screenshot:
        if seen.screenshot is None:
            raise ConfigError(f"flags.use_screenshot is true, but step {record.step} recorded no screenshot")
        try:
            screenshot = read_inside(directory, seen.screenshot, MAX_SCREENSHOT_BYTES)
        except RefusedFile as error:
            raise ConfigError(f"step {record.step}: screenshot refused: {error}") from None
    return Page(
        goal=goal,
        axtree=recorded_axtree(seen.axtree, flags) if flags.use_axtree else "",
        html=html,
        focused_bid=seen.focused_element_bid if flags.use_focused_element else "",
        last_action_error=error if flags.use_last_error else "",
        screenshot_png=screenshot,
        goal_parts=({"type": "text", "text": goal},),
    )


def recorded_history(records: list[StepRecord], step: int) -> list[PastStep]:
    """The actions before `step`, with their reasoning and the errors they raised."""
    return [
        PastStep(r.answer.action, r.answer.think, r.last_action_error)
        for r in records[:step]
        if r.answer is not None and r.answer.action
    ]


def recorded_prompt(
    args: WebAgentArgs, context: EpisodeContext, goal: str, records: list[StepRecord], step: int, directory: Path
) -> Prompt:
    """The prompt `args` builds at `step` of a recorded episode (`records`, in `directory`)."""
    args = args.for_episode(context)
    check_recordable(args.flags)
    memory = None
    if args.flags.use_memory and step:
        previous = records[step - 1].answer
        memory = previous.agent_extra.memory if previous is not None else None
    system = system_message(args.flags, context.action_set.make())
    page = recorded_page(records, step, goal, directory, args.flags)
    return build_prompt(
        page,
        recorded_history(records, step),
        memory,
        args.flags,
        system,
        args.chat_model_args.max_input_tokens,
        args.chat_model_args.vision,
    )
