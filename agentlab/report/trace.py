"""One HTML page per episode: its goal and outcome, then every step (screenshot, action, reasoning,
prompt and answer, AXTree excerpt, errors, reward, timings, tokens) with links between steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..analyze.load import step_row
from ..layout import EPISODE_LOG, STEPS_FILE, SUMMARY_FILE, EpisodeKey, episode_dir, episode_id
from ..records import read_steps, read_summary
from .render import relative_url, render

AXTREE_EXCERPT_CHARS = 4000  # the full tree stays in steps.jsonl; WebArena trees run to 50 kB a step


def trace_page_path(episodes_dir: Path, key: EpisodeKey) -> Path:
    """Where the trace page of an episode goes, under the report's episodes folder."""
    return episodes_dir / f"{episode_id(key)}.html"


def excerpt(text: str | None, limit: int = AXTREE_EXCERPT_CHARS) -> tuple[str, int]:
    """The first `limit` characters of `text`, cut at a line end, and how many characters were left out."""
    text = text or ""
    if len(text) <= limit:
        return text, 0
    cut = text.rfind("\n", 0, limit)
    cut = cut if cut > 0 else limit
    return text[:cut], len(text) - cut


def message_text(content: Any) -> str:
    """A chat message's content as text: text parts joined, images named, anything else as JSON."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, dict) and str(part.get("type", "")).startswith("image"):
                parts.append("[image]")
            else:
                parts.append(json.dumps(part, ensure_ascii=False, default=str))
        return "\n".join(parts)
    return json.dumps(content, ensure_ascii=False, default=str)


def step_view(record: dict[str, Any], folder_url: str) -> dict[str, Any]:
    """What the template shows of one step record."""
    axtree, axtree_left = excerpt(record.get("axtree"))
    messages = record.get("messages") or []
    return {
        "step": record.get("step"),
        "url": record.get("url") or "",
        "screenshot": f"{folder_url}/{record['screenshot']}" if isinstance(record.get("screenshot"), str) else None,
        "action": record.get("action"),
        "think": record.get("think") or "",
        "messages": [
            {"role": str(m.get("role", "?")) if isinstance(m, dict) else "?",
             "text": message_text(m.get("content") if isinstance(m, dict) else m)}
            for m in messages
        ],
        "axtree": axtree,
        "axtree_left": axtree_left,
        "last_action_error": record.get("last_action_error") or "",
        "refused_navigations": [str(url) for url in record.get("refused_navigations") or []],
        "reward": record.get("reward"),
        "terminated": record.get("terminated"),
        "truncated": record.get("truncated"),
        "timings": record.get("timings") or {},
        "stats": record.get("agent_stats") or {},
    }


def write_trace_page(study_dir: Path, key: EpisodeKey, page: Path, index_page: Path) -> list[dict[str, Any]]:
    """Write the trace page of the episode `key` to `page`; return its steps' rows (as in
    StudyResults.steps) that carry a last_action_error."""
    folder = episode_dir(study_dir, key)
    summary = read_summary(folder / SUMMARY_FILE).to_dict()
    records, damaged_lines = read_steps(folder)
    folder_url = relative_url(folder, page.parent)
    html = render(
        "episode.html",
        key=key,
        summary=summary,
        error=summary.get("error") or {},
        steps=[step_view(record, folder_url) for record in records],
        damaged_lines=damaged_lines,
        index_url=relative_url(index_page, page.parent),
        summary_url=f"{folder_url}/{SUMMARY_FILE}",
        steps_url=f"{folder_url}/{STEPS_FILE}",
        log_url=f"{folder_url}/{EPISODE_LOG}" if (folder / EPISODE_LOG).exists() else None,
    )
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(html, encoding="utf-8")
    return [step_row(key, folder, record) for record in records if record.get("last_action_error")]
