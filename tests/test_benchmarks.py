import pytest

from agentlab.benchmarks import UnknownBenchmarkError, get_benchmark
from agentlab.benchmarks.base import TaskSelectionError
from agentlab.benchmarks.miniwob import miniwob_url


def test_miniwob_has_all_125_browsergym_tasks():
    miniwob = get_benchmark("miniwob")
    assert len(miniwob.task_names) == 125
    assert miniwob.select_tasks("all") == list(miniwob.task_names)
    assert miniwob.env_id("click-test") == "browsergym/miniwob.click-test"


def test_every_miniwob_task_has_its_page_in_the_package():
    from pathlib import Path
    from urllib.parse import urlparse

    pages = Path(urlparse(miniwob_url()).path)
    missing = [t for t in get_benchmark("miniwob").task_names if not (pages / f"{t}.html").is_file()]
    assert missing == []


def test_select_by_name_and_glob_keeps_benchmark_order():
    miniwob = get_benchmark("miniwob")
    assert miniwob.select_tasks(["enter-text", "click-test"]) == ["click-test", "enter-text"]
    clicks = miniwob.select_tasks("click-tab*")
    assert clicks == ["click-tab", "click-tab-2", "click-tab-2-easy", "click-tab-2-hard", "click-tab-2-medium"]
    assert miniwob.select_tasks(["click-test", "click-test*"]) == ["click-test", "click-test-2", "click-test-transfer"]


def test_unmatched_task_names_the_value_and_what_is_allowed():
    with pytest.raises(TaskSelectionError) as error:
        get_benchmark("miniwob").select_tasks(["click-tset"])
    message = str(error.value)
    assert "'click-tset'" in message and "glob" in message and "'all'" in message
    assert "click-test" in message  # the close match is suggested
    assert "\n" not in message


def test_unknown_benchmark_lists_the_known_ones():
    with pytest.raises(UnknownBenchmarkError, match="unknown benchmark 'miniwobb'; allowed: .*miniwob"):
        get_benchmark("miniwobb")
