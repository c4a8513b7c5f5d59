"""A WebLINX demonstration in weblinx-browsergym's cache format, made from pages written here.

The pages are rendered in real Chromium and observed with BrowserGym's own extraction (screenshot,
DOM snapshot, AXTree, element properties), as the WebLINX data was; the cache folder then holds
`metadata.json` (every split's demonstrations, turn by turn) and `demonstrations/<demo>/` (the
replay, each page's HTML and element boxes, and each task turn's observation files).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

# A demonstration of WebLINX's valid split; its tasks in BrowserGym's metadata are turns 1, 3, 4 and 6.
DEMO = "ygprzve"
SPLITS = ("train", "valid", "test_iid", "test_geo", "test_web", "test_cat", "test_vis")  # all registered on import
URLS = ("https://recipes.example/", "https://recipes.example/search?q=pancakes")

STYLE = (
    "<style>body{margin:0;font:16px sans-serif} button{width:200px;height:40px;padding:0;border:0} "
    "button span{display:inline-block;width:100px;height:40px}</style>"
)
PAGES = (
    f"""<!DOCTYPE html><html><head><title>Recipes</title>{STYLE}</head><body>
    <h1>Recipes</h1><label for="q">Search</label> <input id="q" type="search">
    <button id="go" type="button"><span id="go-label">Go</span></button></body></html>""",
    f"""<!DOCTYPE html><html><head><title>Results</title>{STYLE}</head><body>
    <h1>Results for pancakes</h1><ul><li><a id="first" href="#fluffy">Fluffy pancakes</a></li>
    <li><a href="#crepes">Crêpes</a></li></ul></body></html>""",
)


@dataclass(frozen=True)
class Turn:
    """One turn of the demonstration: something said, or a browser action on a page (by CSS selector)."""

    intent: str
    args: dict
    page: int | None = None  # index in PAGES of the page the action is on
    selector: str = ""  # the element the action is on
    is_task: bool = False  # a WebLINX task: predict this turn's action


TURNS = (
    Turn("say", {"speaker": "instructor", "utterance": "Find me a pancake recipe, please."}),
    Turn("textinput", {"value": "pancakes"}, page=0, selector="#q", is_task=True),
    Turn("say", {"speaker": "navigator", "utterance": "Searching for pancakes."}),
    Turn("click", {}, page=0, selector="#go", is_task=True),
    Turn("click", {}, page=1, selector="#first", is_task=True),
    Turn("say", {"speaker": "navigator", "utterance": "Here is a recipe for fluffy pancakes."}),
)
TASKS = tuple(f"{DEMO}.{index}" for index, turn in enumerate(TURNS) if turn.is_task)


def render(browser, html: str, folder: Path, index: int) -> dict:
    """Render page `index` and write what WebLINX keeps of it; return {selector: bid} and file names."""
    from browsergym.core.observation import (
        _pre_extract,
        extract_dom_extra_properties,
        extract_dom_snapshot,
        extract_merged_axtree,
        extract_screenshot,
    )

    page = browser.new_page(viewport={"width": 1280, "height": 720})
    source = folder / "source" / f"page-{index}.html"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(html, encoding="utf-8")
    page.goto(source.as_uri())
    _pre_extract(page, tags_to_mark="standard_html")  # BrowserGym's element ids (bid)
    dom = extract_dom_snapshot(page)
    files = {
        "axtree": (f"bg/axtree-{index}.json", extract_merged_axtree(page)),
        "dom": (f"bg/dom-{index}.json", dom),
        "extra": (f"bg/extra-{index}.json", extract_dom_extra_properties(dom, scale_factor=1.0)),
    }
    # WebLINX names elements by data-webtasks-id; its BrowserGym tasks use the same ids as bids.
    boxes = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('[bid]')].map(e => {
        e.setAttribute('data-webtasks-id', e.getAttribute('bid'));
        const r = e.getBoundingClientRect();
        return [e.getAttribute('bid'), {x: r.x, y: r.y, width: r.width, height: r.height,
                                        top: r.top, left: r.left, right: r.right, bottom: r.bottom}];
    }))""")
    files["bboxes"] = (f"bboxes/bboxes-{index}.json", boxes)
    for path, data in files.values():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(json.dumps(data), encoding="utf-8")
    Image.fromarray(extract_screenshot(page)).save(folder / "bg" / f"screenshot-{index}.png")
    (folder / "pages").mkdir(exist_ok=True)
    (folder / "pages" / f"page-{index}-0.html").write_text(page.content(), encoding="utf-8")
    bids = {
        selector: page.get_attribute(selector, "bid")
        for selector in ("#q", "#go", "#go-label", "#first")
        if page.query_selector(selector)
    }
    page.close()
    return {"bids": bids, "boxes": boxes, "files": {key: path for key, (path, _) in files.items()}}


def write_cache(cache: Path, browser) -> dict[str, str]:
    """Write the demonstration into `cache`; return {selector: bid} of the elements the turns act on."""
    folder = cache / "demonstrations" / DEMO
    rendered = [render(browser, html, folder, index) for index, html in enumerate(PAGES)]
    steps, replay = {}, []
    for index, turn in enumerate(TURNS):
        step = {
            "intent": turn.intent,
            "args": dict(turn.args),
            "timestamp": float(index),
            "is_task": turn.is_task,
            "has_full_snapshot": turn.is_task,
        }
        if turn.page is None:
            replay.append({"type": "chat", "timestamp": float(index), **turn.args})
        else:
            page = rendered[turn.page]
            uid = page["bids"][turn.selector]
            step["args"]["uid"] = uid
            step["tab"] = {"id": 1, "url": URLS[turn.page], "title": ""}
            step["element"] = {"attributes": {"data-webtasks-id": uid}, "bbox": page["boxes"][uid]}
            replay.append(
                {
                    "type": "browser",
                    "timestamp": float(index),
                    "state": {"page": f"page-{turn.page}-0.html"},
                    "action": {"intent": turn.intent, "arguments": step["args"]},
                }
            )
            files = {key: f"{DEMO}/{path}" for key, path in page["files"].items()}
            step.update(
                screenshot_path=f"{DEMO}/bg/screenshot-{turn.page}.png",
                zoom=1.0,
                html_path=f"{DEMO}/pages/page-{turn.page}-0.html",
                bbox_path=files["bboxes"],
                axtree_path=files["axtree"],
                dom_object_path=files["dom"],
                extra_props_path=files["extra"],
            )
        steps[str(index)] = step
    (folder / "replay.json").write_text(json.dumps({"data": replay, "created": 0}), encoding="utf-8")
    metadata = {split: {} for split in SPLITS}
    metadata["valid"][DEMO] = steps
    (cache / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return {selector: bid for page in rendered for selector, bid in page["bids"].items()}
