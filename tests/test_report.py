"""The HTML report from synthetic episodes: every link resolves on disk, all text is escaped."""

import base64
import gzip
import json
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest
from conftest import TRACES, chromium, replay_agent, run_snakemake
from markupsafe import escape
from synthetic import summary_fields, write_episode, write_large_study, write_manifest

from agentlab.analyze import load_results
from agentlab.analyze.aggregate import aggregate_study
from agentlab.analyze.formatting import format_rate
from agentlab.core.revision import git_state
from agentlab.report import build_report
from agentlab.report.compare import constants_and_variables, first_difference

PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
ODD_TASK = "odd name#1?%"  # task names may hold any character but '/': links must encode them


class Links(HTMLParser):
    """Every href, img src and script src of a page, and the ids it defines."""

    def __init__(self, text: str):
        super().__init__()
        self.hrefs, self.images, self.scripts, self.ids = [], [], [], set()
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs.get("src"))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs["src"])


def resolve(page: Path, url: str) -> Path:
    return (page.parent / unquote(url.split("#")[0])).resolve()


LONG_TREE = "\n".join(f"[{bid}] button 'Option {bid}'" for bid in range(400))  # > 4,000 characters


def steps_with(text: str, agent: str = "a") -> list[dict]:
    """Three step records carrying `text` in page and model fields; agent b's second action differs."""
    return [
        {
            "step": 0,
            "url": "file:///task.html",
            "screenshot": "screenshots/step_000.png",
            "action": "fill('14', 'x')",
            "think": f"thinking {text}",
            "axtree": f"textbox value={text}" + LONG_TREE,
            "last_action_error": "",
            "page_details": "observations/step_000.json.gz",
            "targets": [
                {"call": "fill", "bid": "14", "bbox": [10, 20, 30, 40], "visibility": 1.0},
                {"call": "mouse_click", "point": [5, 6]},
            ],
            "agent_extra": {"parse_errors": ["no action found <b>", "no action found again"]},
            "messages": [
                {"role": "user", "content": f"prompt {text}"},
                {"role": "assistant", "content": [{"type": "text", "text": f"answer {text}"}]},
            ],
            "agent_stats": {"input_tokens": 10},
            "timings": {"agent_s": 0.1, "env_step_s": 0.2, "action_s": 0.1, "settle_s": 0.05, "observation_s": 0.03},
            "reward": 0.0,
        },
        {
            "step": 1,
            "url": "file:///task.html",
            "screenshot": "screenshots/step_001.png",
            "action": "click('99')" if agent == "a" else "click('98')",
            "think": "",
            "axtree": "tree",
            "last_action_error": 'Could not find element with bid "99"',
            "reward": 0.0,
            "refused_navigations": [f"https://elsewhere.example/{text}"],
        },
        {
            "step": 2,
            "url": "file:///task.html",
            "screenshot": "screenshots/step_002.png",
            "action": None,
            "axtree": "t",
        },
    ]


def make_study(tmp_path: Path) -> Path:
    study = write_manifest(tmp_path / "s", ["t1", ODD_TASK], [0, 1], ["a", "b"])
    for agent in ("a", "b"):
        for task in ("t1", ODD_TASK):
            for seed in (0, 1):
                if (agent, task, seed) == ("b", ODD_TASK, 1):
                    continue  # missing
                result = "success" if agent == "a" else "failure"
                error = {"type": "AgentError", "message": PAYLOAD} if agent == "b" else None
                fields = {
                    **summary_fields(result, error),
                    "goal": f"Enter {PAYLOAD}",
                    "n_steps": 2,
                    "agent_args": {
                        "class": "x.WebAgentArgs",
                        "fields": {
                            "flags": {"use_html": agent == "a"},
                            "name": PAYLOAD,
                            "chat_model_args": {"model_name": "m"},
                        },
                    },
                }
                folder = write_episode(study, agent, task, seed, fields, steps_with(PAYLOAD, agent))
                (folder / "episode.log").write_text("attempt 1 of 1\n")
                (folder / "observations").mkdir()
                (folder / "observations" / "step_000.json.gz").write_bytes(
                    gzip.compress(
                        json.dumps(
                            {
                                "pruned_html": f"<div>{PAYLOAD}</div>",
                                "elements": {"14": {"bbox": [10, 20, 30, 40], "set_of_marks": 1}},
                            }
                        ).encode()
                    )
                )
    aggregate_study(study)
    return study


def test_report_links_every_episode_screenshot_and_plot_that_exists(tmp_path):
    study = make_study(tmp_path)
    assert build_report(study).startswith("report of 7 episodes (1 missing)")
    index = study / "report" / "index.html"
    links = Links(index.read_text())
    episode_links = {href for href in links.hrefs if href.startswith("episodes/")}
    assert len(episode_links) == 7  # one per finished episode; the missing one has no page
    for href in [*episode_links, *links.images]:
        assert resolve(index, href).is_file(), href
    assert len(links.images) == 3 and all("/plots/" in src for src in links.images)

    page = study / "report" / "episodes" / "miniwob" / "a" / ODD_TASK / "seed1.html"
    trace = Links(page.read_text())
    assert [resolve(page, src).name for src in trace.images] == [  # each step before and after its action
        "step_000.png",
        "step_001.png",
        "step_001.png",
        "step_002.png",
        "step_002.png",
    ]
    for url in trace.images + trace.scripts + [h for h in trace.hrefs if not h.startswith("#")]:
        assert resolve(page, url).exists(), url
    assert resolve(page, trace.scripts[0]) == (study / "report" / "assets" / "trace.js").resolve()
    assert not any("/compare/" in h for h in trace.hrefs)  # agent b has no seed 1 here: nothing to compare
    paired = study / "report" / "episodes" / "miniwob" / "a" / ODD_TASK / "seed0.html"
    assert (study / "report" / "compare" / "miniwob" / ODD_TASK / "seed0.html").resolve() in {
        resolve(paired, h) for h in Links(paired.read_text()).hrefs
    }
    assert resolve(page, trace.hrefs[0]) == index.resolve()
    assert {"summary.json", "steps.jsonl", "episode.log"} <= {resolve(page, h).name for h in trace.hrefs}
    assert {"step-0", "step-1", "step-2"} <= trace.ids
    assert {"#step-0", "#step-1", "#step-2"} <= set(trace.hrefs)


def test_report_escapes_text_from_pages_and_models(tmp_path):
    study = make_study(tmp_path)
    build_report(study)
    report = study / "report"
    pages = [
        report / "index.html",
        *sorted((report / "episodes").rglob("*.html")),
        *sorted((report / "compare").rglob("*.html")),
        report / "agents.html",
    ]
    assert len(pages) == 1 + 7 + 3 + 1  # index, traces, compare pages (t1 seeds 0 and 1, odd task seed 0), agents
    for page in pages:
        text = page.read_text()
        scripts = Links(text).scripts  # only the report's own script files: none inline
        assert text.lower().count("<script") == len(scripts) and None not in scripts, page
        assert all(
            resolve(page, src).parent in {(report / "assets").resolve(), (report / "data").resolve()}
            and resolve(page, src).is_file()
            for src in scripts
        ), page
        assert "<img src=x" not in text and PAYLOAD not in text, page
        assert "default-src 'none'; script-src 'self';" in text
    trace = pages[1].read_text()
    escaped = "&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&#34;window.__pwned=2&#34;&gt;"
    for shown in ("Enter ", "thinking ", "prompt ", "answer ", "https://elsewhere.example/"):
        assert shown + escaped in trace, shown
    agents = (report / "agents.html").read_text()
    assert f"<code>{escape(json.dumps(PAYLOAD))}</code>" in agents and "&lt;script&gt;" in agents  # a config value


def data_file(path: Path, function: str):
    """The JSON argument of a report data file (`AgentlabReport.<function>(...);`)."""
    text = path.read_text()
    prefix = f"AgentlabReport.{function}("
    assert text.startswith(prefix) and text.endswith(");\n") and text.isascii()
    return json.loads(text[len(prefix) : -3])


def test_data_files_hold_whole_texts_and_the_finder_rows(tmp_path):
    study = make_study(tmp_path)
    build_report(study)
    report = study / "report"
    finder = data_file(report / "data" / "episodes.js", "episodes")
    rows = [dict(zip(finder["columns"], row)) for row in finder["rows"]]
    assert len(rows) == 7 and {row["agent"] for row in rows} == {"a", "b"}
    odd = next(r for r in rows if r["agent"] == "b" and r["task"] == ODD_TASK)
    assert odd["error"] == f"AgentError: {PAYLOAD}" and odd["compare"] is True and odd["status"] == "failure"
    assert next(r for r in rows if r["task"] == "t1")["reward"] in (0.0, 1.0)

    details = data_file(report / "episodes" / "miniwob" / "a" / "t1" / "seed0.details.js", "pageDetails")

    def inflate(text: str) -> str:
        return gzip.decompress(base64.b64decode(text)).decode()

    assert inflate(details["0"]["axtree"]) == f"textbox value={PAYLOAD}" + LONG_TREE  # whole, never cut
    page = json.loads(inflate(details["0"]["details"]))
    assert page["pruned_html"] == f"<div>{PAYLOAD}</div>" and page["elements"]["14"]["bbox"] == [10, 20, 30, 40]
    assert set(details) == {"0", "1", "2"} and inflate(details["1"]["axtree"]) == "tree"
    assert details["1"]["details"] is None  # not recorded (older episodes): the page says so


def test_trace_page_draws_the_action_target_and_the_step_timeline(tmp_path):
    study = make_study(tmp_path)
    build_report(study)
    text = (study / "report" / "episodes" / "miniwob" / "a" / "t1" / "seed0.html").read_text()
    assert '<svg class="overlay-marks" data-step="0" viewBox="0 0 64 40"' in text  # the screenshot's pixels
    assert '<rect class="target" x="10" y="20" width="30" height="40"><title>fill(&#39;14&#39;)</title></rect>' in text
    assert '<circle class="target" cx="5" cy="6" r="7"><title>mouse_click(5, 6)</title></circle>' in text
    assert 'title="agent call: 0.10 s"' in text and 'title="settle: 0.05 s"' in text and 'title="other: 0.02 s"' in text
    assert "2 unusable answer(s), re-asked" in text and "no action found &lt;b&gt;" in text


def test_compare_page_marks_the_first_step_where_actions_differ(tmp_path):
    study = make_study(tmp_path)
    build_report(study)
    text = (study / "report" / "compare" / "miniwob" / "t1" / "seed0.html").read_text()
    assert text.count('id="first-difference"') == 1
    assert '<tr class="compare-step first-difference" id="first-difference">\n<th>1<br>' in text
    assert 'first differ at <a href="#first-difference">step 1</a>' in text


def test_agents_page_lists_the_arguments_that_differ_with_each_score(tmp_path):
    study = make_study(tmp_path)
    build_report(study)
    text = (study / "report" / "agents.html").read_text()
    variables = text[text.index('id="variables"') : text.index('id="constants"')]
    assert "<code>flags.use_html</code>" in variables and "<code>chat_model_args.model_name</code>" not in variables
    constants = text[text.index('id="constants"') :]
    assert "<code>chat_model_args.model_name</code>" in constants and "<code>class</code>" in constants
    assert '<td>a</td>\n<td class="num"><b>100.0% ± 0.0%</b> (n=4)</td><td><code>true</code></td>' in variables
    assert '<td>b</td>\n<td class="num"><b>0.0% ± 0.0%</b> (n=3)</td><td><code>false</code></td>' in variables


def test_constants_and_variables_flatten_nested_arguments():
    constants, variables = constants_and_variables(
        {
            "x": {"flags": {"use_html": True, "depth": 1}, "model": "m", "only_x": 1},
            "y": {"flags": {"use_html": False, "depth": 1}, "model": "m"},
        }
    )
    assert constants == {"flags.depth": 1, "model": "m"} and variables == ["flags.use_html", "only_x"]
    assert first_difference([["a", "b", None], ["a", "c", None]]) == 1
    assert first_difference([["a", None], ["a", None]]) is None
    assert first_difference([["a", None], ["a", "b", None]]) == 1  # one ended, the other acts


def test_index_groups_action_errors_and_lists_comparisons(tmp_path):
    study = make_study(tmp_path)
    build_report(study)
    text = (study / "report" / "index.html").read_text()
    assert "Could not find element with bid &#34;99&#34;" in text  # one example message of the group
    assert '<td class="num">7</td><td class="num">7</td>' in text  # 7 steps in 7 episodes
    assert "+100.0 pp" in text and "3 of 4" not in text
    assert "7 of 8 episodes done" in text


def test_report_of_a_study_with_no_finished_episode_lists_the_missing(tmp_path):
    study = write_manifest(tmp_path / "s", ["t1", "t2"], [0, 1], ["a"])
    aggregate_study(study)
    build_report(study)
    text = (study / "report" / "index.html").read_text()
    assert "0 of 4 episodes done" in text and text.count('<span class="badge missing" title="seed') == 4
    assert list((study / "report" / "episodes").iterdir()) == []


def test_git_state_reads_commit_and_dirty_flag_and_tolerates_no_repository(tmp_path):
    assert git_state(tmp_path) == git_state(None) == git_state(tmp_path / "absent")
    assert git_state(tmp_path).commit is None
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "Snakefile").write_text("rule all:\n")
    subprocess.run([*git, "add", "Snakefile"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    assert git_state(tmp_path).commit == head and git_state(tmp_path).dirty is False
    (tmp_path / "Snakefile").write_text("rule all:\n    input: []\n")
    assert git_state(tmp_path).dirty is True


def test_report_flags_episodes_of_several_commits_and_of_a_dirty_tree(tmp_path):
    study = write_manifest(tmp_path / "s", ["t1", "t2", "t3"], [0], ["a"])
    for task, commit, dirty in [("t1", "a" * 40, False), ("t2", "b" * 40, True), ("t3", "b" * 40, False)]:
        write_episode(
            study,
            "a",
            task,
            0,
            {
                "status": "success",
                "reward": 1.0,
                "success": True,
                "provenance": {"commit": commit, "dirty": dirty, "agentlab": "0.1.0"},
            },
        )
    aggregate_study(study)
    build_report(study)
    text = (study / "report" / "index.html").read_text()
    assert f"<code>{'a' * 40}</code> (1 episodes)" in text and f"<code>{'b' * 40}</code> (2 episodes)" in text
    assert "several commits: the episodes ran different code" in text
    assert "1 episodes ran on a dirty tree (uncommitted changes)" in text


def test_report_of_one_clean_commit_raises_no_flag(tmp_path):
    study = write_manifest(tmp_path / "s", ["t1"], [0], ["a"])
    write_episode(
        study,
        "a",
        "t1",
        0,
        {
            "status": "success",
            "reward": 1.0,
            "success": True,
            "provenance": {"commit": "c" * 40, "dirty": False, "agentlab": "0.1.0"},
        },
    )
    aggregate_study(study)
    build_report(study)
    text = (study / "report" / "index.html").read_text()
    assert f"<code>{'c' * 40}</code>" in text
    assert "several commits" not in text and "dirty tree" not in text


PAGE_PAYLOAD = "<script>window.__pwned='page'</script>"
MODEL_PAYLOAD = "<script>window.__pwned='model'</script><img src=x onerror=\"window.__pwned='model'\">"


def plant_traces(folder: Path) -> str:
    """Replay traces that type a script into enter-text's field (it shows in the next AXTree) and
    carry a script in the agent's reasoning and answer; returns the agent's trace template."""
    for task in ("click-test", "enter-text"):
        for seed in (0, 1):
            source = TRACES / "miniwob" / task / f"seed{seed}.jsonl"
            records = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
            if task == "enter-text" and seed == 0:  # acts like the replay agent, then differs at step 1
                records.insert(1, {"action": f"fill('14', {PAGE_PAYLOAD!r})"})
            elif task == "enter-text":
                records[0]["action"] = f"fill('14', {PAGE_PAYLOAD!r})"
            for record in records:
                record["think"] = f"I will act. {MODEL_PAYLOAD}"
                record["messages"] = [
                    {"role": "user", "content": "the page and goal"},
                    {"role": "assistant", "content": f"answer {MODEL_PAYLOAD}"},
                ]
            target = folder / "miniwob" / task / f"seed{seed}.jsonl"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("".join(json.dumps(record) + "\n" for record in records))
    return str(folder / "{benchmark}" / "{task}" / "seed{seed}.jsonl")


def wait_until(page, predicate: str, arg=None, timeout_s: float = 60) -> None:
    """Poll `predicate` with page.evaluate until it is true. Not wait_for_function: it evaluates the
    predicate with eval inside the page, which the report's CSP (no 'unsafe-eval') refuses."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(predicate, arg):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {predicate}"
        time.sleep(0.05)


def loaded_images(page, selector: str) -> list[int]:
    """Natural widths of the images matched by `selector`, after scrolling each into view (they load lazily)."""
    images = page.locator(selector)
    for number in range(images.count()):
        images.nth(number).scroll_into_view_if_needed()
    wait_until(page, "s => [...document.querySelectorAll(s)].every(i => i.complete)", selector)
    return page.eval_on_selector_all(selector, "images => images.map(i => i.naturalWidth)")


def overlay_matches_recorded_box(page, step: dict) -> None:
    """The target box drawn on a step's screenshot sits where the recorded element box is, scaled
    like the screenshot (within a pixel; the step records the box in the screenshot's pixels)."""
    image = page.locator(f"#step-{step['step']} .overlay img").bounding_box()
    natural = page.eval_on_selector(f"#step-{step['step']} .overlay img", "i => [i.naturalWidth, i.naturalHeight]")
    drawn = page.locator(f"#step-{step['step']} svg rect.target").first.bounding_box()
    x, y, width, height = step["targets"][0]["bbox"]
    scale = (image["width"] - 2) / natural[0]  # the image has a 1 px border
    half = 1.5  # the outline, 3 CSS pixels wide, is centred on the box's edge
    expected = {
        "x": image["x"] + 1 + x * scale - half,
        "y": image["y"] + 1 + y * scale - half,
        "width": width * scale + 2 * half,
        "height": height * scale + 2 * half,
    }
    assert all(abs(drawn[name] - expected[name]) < 1.0 for name in expected), (drawn, expected)


@pytest.mark.slow
def test_snakemake_builds_a_report_that_chromium_shows_and_no_planted_script_runs(tmp_path):
    config = {
        "study": "shown",
        "benchmarks": {"miniwob": {"tasks": ["click-test", "enter-text"], "seeds": [0, 1], "max_steps": 3}},
        "agents": {"replay": replay_agent(), "planted": replay_agent(plant_traces(tmp_path / "traces"))},
        "episode": {"retries": 1, "step_timeout_s": 120, "episode_timeout_s": 600},
    }
    run_snakemake(tmp_path / "work", config)
    study = tmp_path / "work" / "results" / "shown"
    summary = pd.read_csv(study / "summary.csv")
    episodes = pd.read_csv(study / "episodes.csv")

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.goto((study / "report" / "index.html").as_uri())
        results = page.locator("#results table tr")
        assert results.count() == 1 + len(summary)
        for row in summary.itertuples():  # the same numbers as summary.csv
            shown = page.locator("#results tr", has_text=row.agent).first.inner_text()
            assert format_rate(row.score, row.score_std_err, row.reward_kind) in shown
            assert format_rate(row.avg_reward, row.std_err, "continuous") in shown
        assert page.locator("#comparisons table tr").count() == 2
        assert page.locator("#tasks a.badge").count() == 8
        assert all(width > 100 for width in loaded_images(page, "#plots img"))
        assert len(loaded_images(page, "#plots img")) == 3
        page.select_option("#finder select[name=agent]", "planted")
        page.select_option("#finder select[name=status]", "failure")
        expected = ((episodes["agent"] == "planted") & (episodes["status"] == "failure")).sum()
        assert expected > 0 and page.locator("#finder-table tbody tr").count() == expected
        assert page.get_attribute("#finder-count", "data-count") == str(expected)
        page.screenshot(path=study / "report_index.png", full_page=True)

        page.goto((study / "report" / "episodes" / "miniwob" / "planted" / "enter-text" / "seed0.html").as_uri())
        steps = [
            json.loads(line)
            for line in (study / "miniwob" / "planted" / "enter-text" / "seed0" / "steps.jsonl")
            .read_text()
            .splitlines()
        ]
        widths = loaded_images(page, ".step .overlay img")
        assert len(widths) == 4 and all(width > 100 for width in widths)  # 3 actions + final observation
        overlay_matches_recorded_box(page, steps[0])  # fill('14', ...): the text field
        page.click("#step-0 button.som-toggle")
        page.wait_for_selector("#step-0 svg rect.som")
        marks = json.loads(
            gzip.decompress((study / "miniwob/planted/enter-text/seed0" / steps[0]["page_details"]).read_bytes())
        )["elements"]
        assert page.locator("#step-0 svg rect.som").count() == sum(1 for e in marks.values() if e["set_of_marks"])
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        wait_until(
            page, "() => [...document.querySelectorAll('pre[data-field]')].every(p => p.textContent !== 'loading…')"
        )
        assert page.inner_text("#step-2 pre[data-field=axtree]") == steps[2]["axtree"]  # whole, as recorded
        assert f'value="{PAGE_PAYLOAD}"' in steps[2]["axtree"]  # typed into the page, shown in the next AXTree
        assert "<input" in page.inner_text("#step-0 pre[data-field=pruned_html]")
        text = page.inner_text("body")
        assert f"I will act. {MODEL_PAYLOAD}" in text and f"answer {MODEL_PAYLOAD}" in text
        assert "agent call" in page.inner_text("#step-0 .timeline-legend")
        assert page.locator("script:not([src]), img[onerror]").count() == 0
        assert page.evaluate("typeof window.__pwned") == "undefined"
        page.screenshot(path=study / "report_trace.png", full_page=True)

        page.locator("header a", has_text="compare agents").click()
        page.wait_for_load_state()
        assert page.url.endswith("/report/compare/miniwob/enter-text/seed0.html")
        assert page.inner_text("#first-difference th").startswith("1")  # both fill in the name, then differ
        assert page.locator("tr.first-difference").count() == 1
        assert page.evaluate("typeof window.__pwned") == "undefined"
        page.screenshot(path=study / "report_compare.png", full_page=True)

        page.goto((study / "report" / "agents.html").as_uri())
        assert page.locator("#variables th code").all_inner_texts() == ["trace"]  # the replayed trace files differ
        page.goto((study / "report" / "index.html").as_uri())
        page.fill("#finder input[name=error]", "")
        assert page.evaluate("typeof window.__pwned") == "undefined"
    assert (study / "report_index.png").stat().st_size > 10_000

    run_snakemake(tmp_path / "work", config, "--report", str(tmp_path / "snakemake-report.html"))
    collected = (tmp_path / "snakemake-report.html").read_text()
    assert all(name in collected for name in ("score.png", "cost_vs_score.png", "comparisons.csv"))


@pytest.mark.slow
def test_finder_narrows_a_10000_episode_study_to_one_agent_and_status(tmp_path):
    study = write_large_study(tmp_path / "large", n_tasks=250, agents=["a0", "a1", "a2", "a3"], seeds=range(10))
    tic = time.perf_counter()
    aggregate_study(study)
    aggregated = time.perf_counter() - tic
    tic = time.perf_counter()
    build_report(study)  # from the aggregate's outputs
    print(f"\n10,000 episodes aggregated in {aggregated:.1f} s, report built in {time.perf_counter() - tic:.1f} s")
    episodes = load_results(study).episodes
    expected = ((episodes["agent"] == "a2") & (episodes["status"] == "agent_error")).sum()
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        tic = time.perf_counter()
        page.goto((study / "report" / "index.html").as_uri())
        page.wait_for_selector("#finder-count[data-count='10000']")
        print(f"index with 10,000 rows loaded in {time.perf_counter() - tic:.2f} s")
        filtered_ms = page.evaluate("""() => {
            const form = document.getElementById('finder'), start = performance.now();
            form.elements.agent.value = 'a2';
            form.elements.status.value = 'agent_error';
            form.dispatchEvent(new Event('input'));
            return performance.now() - start; }""")
        print(f"filtering 10,000 rows to one agent and status: {filtered_ms:.1f} ms")
        assert page.get_attribute("#finder-count", "data-count") == str(expected)
        shown = page.locator("#finder-table tbody tr").all_inner_texts()
        assert len(shown) == min(expected, 100) and all("\ta2\t" in row and "agent_error" in row for row in shown)
        page.click("#finder-table th[data-sort=task]")
        page.click("#finder-table th[data-sort=task]")  # descending
        first = page.locator("#finder-table tbody tr").first.inner_text().split("\t")[2]
        assert first == episodes[(episodes["agent"] == "a2") & (episodes["status"] == "agent_error")]["task"].max()
        page.screenshot(path=study / "report_index_10000.png")
