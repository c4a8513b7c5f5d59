"""WebAgent's prompt for a step of a recorded episode, rebuilt from its step records (steps.jsonl):
what another config would have asked the model at that step (`agentlab prompt-test --agent`).

Steps record the AXTree as BrowserGym prints it (every element, clickable marks), the pruned HTML,
the focused element, the error each action raised and the screenshot; the flags that need more of
the page (set-of-marks, visible elements only, open tabs), and tool mode, are refused in one line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ...errors import ConfigError
from ...io import RefusedFile, read_inside
from ...records import MAX_SCREENSHOT_BYTES, read_page_details
from ..base import EpisodeContext
from .agent import WebAgentArgs
from .flags import PromptFlags
from .prompt import BARE_GENERIC, Page, PastStep, Prompt, build_prompt, system_message

INLINE_TEXT = re.compile(r"\s*(\[[^\]]*\] )?InlineTextBox\b")  # WebAgent leaves these out; steps keep them
CLICKABLE_MARK = re.compile(r", clickable(?=,|$)")
UNRECORDED = {  # flag: why a recorded step (or a prompt test) cannot give what it needs
    "use_som": "prompt tests do not draw set-of-marks on a recorded screenshot yet (steps keep the boxes it needs)",
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


def recorded_page(records: list[dict[str, Any]], step: int, goal: str, directory: Path, flags: PromptFlags) -> Page:
    """What the agent saw at `step` (the index of its record), as `flags` show it."""
    record = records[step]
    error = (records[step - 1].get("last_action_error") or "") if step else ""
    html = ""
    if flags.use_html:
        details = read_page_details(directory, record)
        if details is None:
            raise ConfigError(
                f"flags.use_html is true, but step {record.get('step')} recorded no HTML (steps "
                "before page details were recorded); allowed: flags.use_html false"
            )
        html = details.get("pruned_html") or ""
    screenshot = None
    if flags.use_screenshot:
        try:
            screenshot = read_inside(directory, record["screenshot"], MAX_SCREENSHOT_BYTES)
        except RefusedFile as error:
            raise ConfigError(f"step {record.get('step')}: screenshot refused: {error}") from None
    return Page(
        goal=goal,
        axtree=recorded_axtree(record.get("axtree") or "", flags) if flags.use_axtree else "",
        html=html,
        focused_bid=record.get("focused_element_bid") or "" if flags.use_focused_element else "",
        last_action_error=error if flags.use_last_error else "",
        screenshot_png=screenshot,
        goal_parts=({"type": "text", "text": goal},),
    )


def recorded_history(records: list[dict[str, Any]], step: int) -> list[PastStep]:
    """The actions before `step`, with their reasoning and the errors they raised."""
    return [
        PastStep(r["action"], r.get("think") or "", r.get("last_action_error") or "")
        for r in records[:step]
        if r.get("action")
    ]


def recorded_prompt(
    args: WebAgentArgs, context: EpisodeContext, goal: str, records: list[dict[str, Any]], step: int, directory: Path
) -> Prompt:
    """The prompt `args` builds at `step` of a recorded episode (`records`, in `directory`)."""
    args = args.for_episode(context)
    check_recordable(args.flags)
    memory = None
    if args.flags.use_memory and step:
        memory = (records[step - 1].get("agent_extra") or {}).get("memory")
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
