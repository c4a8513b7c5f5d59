"""Per-step records of an episode: JSON lines plus one PNG screenshot per observation."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from ..layout import SCREENSHOTS_DIR, STEPS_FILE


def screenshot_name(step: int) -> str:
    return f"{SCREENSHOTS_DIR}/step_{step:03d}.png"


def encode_png(pixels: Any) -> bytes:
    """PNG bytes of an RGB array (height, width, 3)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def axtree_text(obs: dict) -> str:
    """The accessibility tree as BrowserGym prints it, with every element that has a bid."""
    from browsergym.utils.obs import flatten_axtree_to_str

    return flatten_axtree_to_str(
        obs["axtree_object"],
        extra_properties=obs.get("extra_element_properties"),
        with_clickable=True,
        skip_generic=False,
    )


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines file (steps.jsonl, or a replay trace in its format), in order."""
    records = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise ValueError(f"{path}:{number}: not a JSON record ({error.msg})") from None
    return records


class StepWriter:
    """Appends step records to `steps.jsonl` (flushed per step) and writes screenshots in `directory`."""

    def __init__(self, directory: Path):
        self.directory = directory
        (directory / SCREENSHOTS_DIR).mkdir(parents=True, exist_ok=True)
        self._steps = open(directory / STEPS_FILE, "a", encoding="utf-8")

    def observation(self, step: int, obs: dict) -> dict[str, Any]:
        """Record fields describing the observation the agent sees at `step`; saves its screenshot."""
        name = screenshot_name(step)
        (self.directory / name).write_bytes(encode_png(obs["screenshot"]))
        return {
            "step": step,
            "url": obs.get("url", ""),
            "screenshot": name,
            "axtree": axtree_text(obs),
            "focused_element_bid": obs.get("focused_element_bid", ""),
        }

    def write(self, record: dict[str, Any]) -> None:
        self._steps.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._steps.flush()

    def close(self) -> None:
        self._steps.close()
