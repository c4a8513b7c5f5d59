"""What WebAgent puts in its prompt and asks for in its answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.records import ADDED_LATER


@dataclass(frozen=True)
class PromptFlags:
    # the observation
    use_axtree: bool = True  # the accessibility tree, one line per element with its bid
    use_html: bool = False  # the pruned HTML
    use_screenshot: bool = False  # the page as an image (vision models only)
    use_som: bool = False  # set-of-marks: the bids drawn on the screenshot
    use_focused_element: bool = True
    use_last_error: bool = True  # the error the last action raised, if any
    mark_clickable: bool = True  # ", clickable" after elements that take clicks
    compact_axtree: bool = False  # drop bare "[12] generic" lines: unnamed containers (small models pick them)
    visible_only: bool = False  # drop elements outside the viewport
    # the open tabs (title, URL, the active one); None: the benchmark's choice, shown where its tasks
    # open several tabs (as AgentLab's set_benchmark); true or false from the config wins
    use_tabs: bool | None = None
    # the history
    use_history: bool = True  # past actions and their errors
    use_think_history: bool = False  # the reasoning given with each past action
    # the answer
    # act by a call of the episode's tools (the OpenAI tools API) in place of an <action> in text: the
    # prompt keeps the page and drops the action space and examples, which the tools stand for
    use_tools: bool = field(default=False, metadata=ADDED_LATER)
    use_thinking: bool = True  # ask for <think> before the action
    use_memory: bool = False  # ask for <memory>, shown again at the next step
    # the instructions
    long_action_description: bool = False  # each action's docstring
    action_examples: bool = True  # each action's usage examples
    use_examples: bool = True  # complete example answers (few-shot)
    extra_instructions: str = ""
    max_parse_retries: int = 3  # re-asks after a malformed answer before an agent error
