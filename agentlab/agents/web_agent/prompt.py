"""WebAgent's prompt: what it sees of a page, laid out stable-first, shrunk to a token budget.

The system message (instructions, action space, examples) is the same at every step of every
episode of a benchmark, and the user message starts with the goal and the append-only history:
servers with prefix caching (llama.cpp, vLLM, OpenAI) reuse all of that and only process the
current page. When the prompt exceeds its budget the largest shrinkable parts (AXTree, HTML,
history) are cut down first, to a common level, and each cut is recorded. A goal's images
(VisualWebArena) stand in the goal for vision models; text-only models are told they are missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...core.errors import AgentError
from ...llm.chat import png_data_url
from ...llm.tokens import IMAGE_TOKENS, estimate_tokens
from ..base import goal_image_urls, image_url
from .flags import PromptFlags

CUT_MARK = "[... {n} lines cut to fit the token budget]"
BARE_GENERIC = re.compile(r"\s*(\[[^\]]*\] )?generic")  # an unnamed container without properties


@dataclass(frozen=True)
class Tab:
    title: str
    url: str
    active: bool


@dataclass(frozen=True)
class Page:
    """What the agent sees of one observation."""

    goal: str  # the goal's text parts, one per line
    axtree: str
    html: str
    focused_bid: str
    last_action_error: str
    screenshot_png: bytes | None
    # the goal as OpenAI content parts, its text and images in order (BrowserGym's goal_object)
    goal_parts: tuple[dict[str, Any], ...] = ()
    tabs: tuple[Tab, ...] = ()  # the open tabs, when flags.use_tabs

    @property
    def goal_images(self) -> list[str]:
        """The URLs (data: or http:) of the goal's images, in order."""
        return goal_image_urls({"goal_object": self.goal_parts})


@dataclass
class PastStep:
    action: str
    think: str
    error: str = ""  # the error the action raised, known at the next observation


@dataclass
class Prompt:
    messages: list[dict[str, Any]]
    estimated_tokens: int
    cuts: list[dict[str, Any]]  # {"part", "tokens_before", "tokens_after"} for each part the budget cut


def goal_parts(obs: dict) -> tuple[dict[str, Any], ...]:
    """BrowserGym's `goal_object` (text and image_url parts) with each image as {"url": ...}; the
    text `goal` when there is no goal_object (it then says nothing more)."""
    parts = []
    for part in obs.get("goal_object") or [{"type": "text", "text": obs.get("goal") or ""}]:
        if part["type"] == "image_url":
            parts.append({"type": "image_url", "image_url": {"url": image_url(part)}})
        else:  # BrowserGym's env accepts text and image_url parts only
            parts.append({"type": "text", "text": part["text"]})
    return tuple(parts)


def open_tabs(obs: dict) -> tuple[Tab, ...]:
    import numpy as np

    active = int(np.ravel(obs["active_page_index"])[0])
    return tuple(
        Tab(title, url, index == active)
        for index, (title, url) in enumerate(zip(obs["open_pages_titles"], obs["open_pages_urls"]))
    )


def observe(obs: dict, flags: PromptFlags) -> Page:
    """The parts of a BrowserGym observation the flags ask for."""
    from browsergym.utils.obs import IGNORED_AXTREE_ROLES, flatten_axtree_to_str, flatten_dom_to_str, prune_html

    from ...core.png import encode_png

    properties = obs.get("extra_element_properties") or {}
    axtree = html = ""
    if flags.use_axtree:
        axtree = flatten_axtree_to_str(
            obs["axtree_object"],
            extra_properties=properties,
            with_clickable=flags.mark_clickable,
            skip_generic=False,
            filter_visible_only=flags.visible_only,
            ignored_roles=[*IGNORED_AXTREE_ROLES, "InlineTextBox"],  # repeats its StaticText parent
        )
        if flags.compact_axtree:
            axtree = "\n".join(line for line in axtree.splitlines() if not BARE_GENERIC.fullmatch(line))
    if flags.use_html:
        html = prune_html(
            flatten_dom_to_str(obs["dom_object"], extra_properties=properties, filter_visible_only=flags.visible_only)
        )
    screenshot = None
    if flags.use_screenshot:
        pixels = obs["screenshot"]
        if flags.use_som:
            from browsergym.utils.obs import overlay_som

            pixels = overlay_som(pixels, properties)
        screenshot = encode_png(pixels)
    goal = goal_parts(obs)
    return Page(
        goal="\n".join(part["text"] for part in goal if part["type"] == "text"),
        axtree=axtree,
        html=html,
        focused_bid=obs.get("focused_element_bid") or "" if flags.use_focused_element else "",
        last_action_error=obs.get("last_action_error") or "" if flags.use_last_error else "",
        screenshot_png=screenshot,
        goal_parts=goal,
        tabs=open_tabs(obs) if flags.use_tabs else (),
    )


EXAMPLES = """\
# Examples
## Example 1
# Goal
Click on the "Submit" button.
# Accessibility tree of the current page
[5] button 'Cancel', clickable
[7] button 'Submit', clickable
Answer:
{think1}<action>click('7')</action>

## Example 2
# Goal
Enter "Alice" into the text field and press Submit.
# Past actions
None yet: this is the first step.
# Accessibility tree of the current page
[4] textbox '', clickable
[6] button 'Submit', clickable
Answer:
{think2}<action>fill('4', 'Alice')</action>

## Example 3 (the next step of example 2)
# Goal
Enter "Alice" into the text field and press Submit.
# Past actions
1. fill('4', 'Alice')
# Accessibility tree of the current page
[4] textbox '' value='Alice', clickable, focused
[6] button 'Submit', clickable
Answer:
{think3}<action>click('6')</action>
"""


def system_message(flags: PromptFlags, action_set: Any) -> str:
    """Instructions, the action space and examples (or, in tool mode, the tools stand for them): the
    stable start of every prompt."""
    screenshot = "a screenshot" + (" with element ids drawn on it" if flags.use_som else "")
    seen = [
        "an accessibility tree" if flags.use_axtree else "",
        "its HTML" if flags.use_html else "",
        screenshot if flags.use_screenshot else "",
        "the open tabs" if flags.use_tabs else "",
    ]
    intro = (
        "You are a web agent: you operate a web browser to reach a goal. At each step you see the page "
        f"({', '.join(s for s in seen if s)}) and answer with ONE action"
    )
    reasoning = [
        "<think>one or two sentences: what the page shows and what to do next</think>" if flags.use_thinking else "",
        "<memory>what to remember for the next steps</memory>" if flags.use_memory else "",
    ]
    if flags.use_tools:
        said = "\n".join(r for r in reasoning if r)
        parts = [
            f"{intro}: a call of one of the tools given. Elements are named by the id in square brackets "
            "(the bid), e.g. [12] is clicked by calling click with bid '12'.",
            "# Answer format\n"
            + (f"Write in your message:\n{said}\nthen call" if said else "Call")
            + " exactly one tool.",
        ]
    else:
        description = action_set.describe(
            with_long_description=flags.long_action_description, with_examples=flags.action_examples
        )
        answer = [*reasoning, "<action>exactly one action of the action space</action>"]
        parts = [
            f"{intro}. Elements are named by the id in square brackets (the bid), e.g. [12] is clicked with "
            "click('12').",
            f"# Action space\n{description.strip()}",
            "# Answer format\nAnswer exactly in this format:\n" + "\n".join(a for a in answer if a),
        ]
    if flags.use_examples and not flags.use_tools and {"click", "fill"} <= set(action_set.action_set):
        parts.append(
            EXAMPLES.format(
                think1="<think>The goal names the Submit button: it is [7] button 'Submit'.</think>\n"
                if flags.use_thinking
                else "",
                think2="<think>Alice goes into the text field, [4] textbox.</think>\n" if flags.use_thinking else "",
                think3="<think>Alice is typed already (past action 1): now press Submit, [6].</think>\n"
                if flags.use_thinking
                else "",
            ).strip()
        )
    if flags.extra_instructions:
        parts.append(f"# More instructions\n{flags.extra_instructions}")
    return "\n\n".join(parts)


def history_text(history: list[PastStep], flags: PromptFlags) -> str:
    lines = []
    for number, past in enumerate(history, start=1):
        lines.append(f"{number}. {past.action}")
        if flags.use_think_history and past.think:
            lines.append(f"   reasoning: {' '.join(past.think.split())}")
        if past.error:  # its first line: Playwright's call logs follow in the current page's error
            lines.append(f"   error: {past.error.strip().splitlines()[0][:200]}")
    return "\n".join(lines)


def truncate(text: str, max_tokens: int, keep_end: bool = False) -> str:
    """`text` cut at line ends to at most `max_tokens` (estimated), with a line saying how much was cut."""
    if estimate_tokens(text) <= max_tokens:
        return text
    lines = text.splitlines()
    kept: list[str] = []
    used = estimate_tokens(CUT_MARK.format(n=len(lines))) + 1
    for line in reversed(lines) if keep_end else lines:
        cost = estimate_tokens(line) + 1
        if used + cost > max_tokens:
            break
        kept.append(line)
        used += cost
    mark = CUT_MARK.format(n=len(lines) - len(kept))
    if used > max_tokens:  # not even the mark fits
        return ""
    return "\n".join([mark, *reversed(kept)] if keep_end else [*kept, mark])


def water_level(sizes: list[int], available: int) -> int | None:
    """The largest size L such that parts cut to min(size, L) fit in `available`; None if all fit."""
    if sum(sizes) <= available:
        return None
    remaining = available
    ordered = sorted(sizes)
    for index, size in enumerate(ordered):
        left = len(ordered) - index
        if size * left > remaining:
            return max(remaining // left, 0)
        remaining -= size
    return None


def fit_to_budget(parts: dict[str, str], fixed_tokens: int, budget: int) -> tuple[dict[str, str], list[dict]]:
    """Cut the largest of `parts` to a common level so that they and `fixed_tokens` fit in `budget`."""
    if fixed_tokens > budget:
        raise AgentError(
            f"the fixed part of the prompt needs ~{fixed_tokens} tokens, more than the budget "
            f"max_input_tokens={budget}; raise it or shorten the instructions"
        )
    sizes = {name: estimate_tokens(text) for name, text in parts.items()}
    level = water_level(list(sizes.values()), budget - fixed_tokens)
    if level is None:
        return parts, []
    fitted, cuts = {}, []
    for name, text in parts.items():
        fitted[name] = truncate(text, level, keep_end=name == "history") if sizes[name] > level else text
        if fitted[name] != text:
            cuts.append({"part": name, "tokens_before": sizes[name], "tokens_after": estimate_tokens(fitted[name])})
    return fitted, cuts


def text_part(text: str) -> dict[str, str]:
    return {"type": "text", "text": text}


def goal_section(page: Page, vision: bool) -> list[dict[str, Any]]:
    """The "# Goal" section as content parts: for a vision model, the goal's images where they stand
    between its texts; for a text-only model, its texts and a note that it cannot see the images."""
    images = page.goal_images
    if not images or not vision:
        note = (
            (
                f"\n(The goal has {len(images)} image{'s' if len(images) > 1 else ''}, which you cannot see: "
                "you are given text only.)"
            )
            if images
            else ""
        )
        return [text_part(f"# Goal\n{page.goal}{note}")]
    section, texts = [], ["# Goal"]
    for part in page.goal_parts:
        if part["type"] == "text":
            texts.append(part["text"])
            continue
        if texts:
            section.append(text_part("\n".join(texts)))
            texts = []
        section.append(part)
    return section + ([text_part("\n".join(texts))] if texts else [])


def tabs_text(tabs: tuple[Tab, ...]) -> str:
    return "\n".join(
        f"Tab {index}{' (active)' if tab.active else ''}: {tab.title or '(no title)'} - {tab.url}"
        for index, tab in enumerate(tabs)
    )


def user_content(
    page: Page, parts: dict[str, str], memory: str | None, flags: PromptFlags, vision: bool
) -> list[dict[str, Any]]:
    """The user message as content parts: text, with the goal's images in the goal for vision models."""
    sections = []
    if flags.use_history:
        sections.append(f"# Past actions\n{parts['history'] or 'None yet: this is the first step.'}")
    if flags.use_memory and memory:
        sections.append(f"# Your memory\n{memory}")
    if flags.use_tabs and page.tabs:
        sections.append(f"# Open tabs\n{tabs_text(page.tabs)}")
    if flags.use_axtree:
        sections.append(f"# Accessibility tree of the current page\n{parts['axtree']}")
    if flags.use_html:
        sections.append(f"# HTML of the current page\n{parts['html']}")
    if flags.use_focused_element and page.focused_bid:
        sections.append(f"# Focused element\nbid '{page.focused_bid}'")
    if flags.use_last_error and page.last_action_error:
        sections.append(f"# Error of the last action\n{page.last_action_error.strip()[:1000]}")
    if page.screenshot_png is not None:
        sections.append("# Screenshot of the current page\n(attached)")
    instruction = page.goal  # with images, its first part: BrowserGym puts their captions in the parts after it
    if page.goal_images and page.goal_parts[0]["type"] == "text":
        instruction = page.goal_parts[0]["text"]
    sections.append(
        f"Goal (again): {instruction}\nAnswer in the format above: "
        + ("<think>, then " if flags.use_thinking else "")
        + ("<memory>, then " if flags.use_memory else "")
        + ("one tool call." if flags.use_tools else "one <action>.")
    )
    content = goal_section(page, vision)
    rest = "\n\n".join(sections)
    if content[-1]["type"] == "text":
        return [*content[:-1], text_part(f"{content[-1]['text']}\n\n{rest}")]
    return [*content, text_part(rest)]


def text_of(content: list[dict[str, Any]]) -> str:
    return "\n".join(part["text"] for part in content if part["type"] == "text")


def build_prompt(
    page: Page,
    history: list[PastStep],
    memory: str | None,
    flags: PromptFlags,
    system: str,
    budget: int,
    vision: bool = False,
) -> Prompt:
    """The chat messages for one step, within `budget` tokens (estimated; IMAGE_TOKENS per image)."""
    parts = {
        "history": history_text(history, flags) if flags.use_history else "",
        "axtree": page.axtree,
        "html": page.html,
    }
    n_images = (page.screenshot_png is not None) + (len(page.goal_images) if vision else 0)
    image_tokens = n_images * IMAGE_TOKENS
    empty = user_content(page, dict.fromkeys(parts, ""), memory, flags, vision)
    fixed = estimate_tokens(system) + estimate_tokens(text_of(empty))
    parts, cuts = fit_to_budget(parts, fixed + image_tokens, budget)
    content = user_content(page, parts, memory, flags, vision)
    if page.screenshot_png is not None:
        content.append({"type": "image_url", "image_url": {"url": png_data_url(page.screenshot_png)}})
    user = content[0]["text"] if len(content) == 1 else content  # a plain string when there is no image
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return Prompt(messages, estimate_tokens(system) + estimate_tokens(text_of(content)) + image_tokens, cuts)
