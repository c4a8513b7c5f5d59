"""Writing an episode's steps from BrowserGym's observations: steps.jsonl (StepRecord lines), the
screenshot PNGs and the gzipped page details beside it. Only here does the record meet BrowserGym."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from ..core.layout import OBSERVATIONS_DIR, SCREENSHOTS_DIR, STEPS_FILE
from ..core.masking import key_values, mask_keys
from ..core.png import encode_png
from ..core.records import StepObservation, StepRecord, observation_name, screenshot_name


def axtree_text(obs: dict) -> str:
    """The accessibility tree as BrowserGym prints it, with every element that has a bid."""
    from browsergym.utils.obs import flatten_axtree_to_str

    return flatten_axtree_to_str(
        obs["axtree_object"],
        extra_properties=obs.get("extra_element_properties"),
        with_clickable=True,
        skip_generic=False,
    )


def page_details(obs: dict) -> dict[str, Any]:
    """What the trace viewer shows of a page besides the AXTree, too large for steps.jsonl: the pruned
    HTML and the properties (bbox, visibility, clickable, set_of_marks) of every element with a box."""
    from browsergym.utils.obs import flatten_dom_to_str, prune_html

    properties = obs.get("extra_element_properties") or {}
    return {
        "pruned_html": prune_html(flatten_dom_to_str(obs["dom_object"])) if obs.get("dom_object") else "",
        "elements": {bid: props for bid, props in properties.items() if props.get("bbox")},
    }


class StepWriter:
    """Appends step records to `steps.jsonl` (flushed per step, key values masked); writes screenshots and
    page details in `directory`."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.keys = key_values()
        (directory / SCREENSHOTS_DIR).mkdir(parents=True, exist_ok=True)
        (directory / OBSERVATIONS_DIR).mkdir(exist_ok=True)
        self._steps = open(directory / STEPS_FILE, "a", encoding="utf-8")

    def observation(self, step: int, obs: dict) -> StepRecord:
        """The record of `step` with the observation the agent sees; saves its screenshot and page details."""
        name = screenshot_name(step)
        (self.directory / name).write_bytes(encode_png(obs["screenshot"]))
        details = observation_name(step)
        (self.directory / details).write_bytes(gzip.compress(json.dumps(page_details(obs)).encode(), mtime=0))
        seen = StepObservation(
            url=obs.get("url", ""),
            screenshot=name,
            page_details=details,
            axtree=axtree_text(obs),
            focused_element_bid=obs.get("focused_element_bid", ""),
        )
        return StepRecord(step=step, observation=seen)

    def write(self, record: StepRecord) -> None:
        line = json.dumps(record.to_dict(), ensure_ascii=False, default=str)
        self._steps.write(mask_keys(line, self.keys) + "\n")
        self._steps.flush()

    def close(self) -> None:
        self._steps.close()
