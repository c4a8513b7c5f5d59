# Input functions: the study config (validated against config/schema.yaml) expanded into targets.
import inspect
import json
import re
import sys
from pathlib import Path

from agentlab.core.layout import PLOTS, TABLES
from agentlab.core.errors import ConfigError
from agentlab.core.revision import check_clean, export_provenance
from agentlab.machine.runlock import hold_study_lock
from agentlab.study.schedule import Schedule
from agentlab.study.config import load_study

STUDY = load_study(config)
SCHEDULE = Schedule(STUDY)
# The workflow's commit and dirty flag, once per run: every episode job records it in its summary.
PROVENANCE = export_provenance(Path(workflow.basedir))


wildcard_constraints:
    study=re.escape(STUDY.name),
    benchmark="[A-Za-z0-9_.-]+",
    agent="[A-Za-z0-9_.=-]+",  # sweep variants: <agent>-<field>=<value>...
    task="[^/]+",
    seed="[0-9]+",


def per_job(function):
    """`function` with its signature worked out once: Snakemake inspects a rule's functions on every
    job it plans, and inspect.signature returns a function's __signature__ as it is."""
    function.__signature__ = inspect.signature(function)
    return function


@per_job
def episode_spec(wildcards):
    """The episode's EpisodeSpec as JSON: what it computes (with its agent's config hash), so a change reruns it."""
    return STUDY.spec_json(wildcards.benchmark, wildcards.agent, wildcards.task, int(wildcards.seed))


def benchmark_module(wildcards):
    """A custom benchmark's Python path ('' for a built-in one): the preflight and reset load it."""
    return STUDY.benchmarks[wildcards.benchmark].module


def benchmark_cube(wildcards):
    """The cube a CUBE benchmark runs ('' for a BrowserGym one): the preflight checks its environment."""
    return STUDY.benchmarks[wildcards.benchmark].cube


@per_job
def episode_inputs(wildcards):
    """Preflight, instance reset and the episodes it depends on; nothing once the episode is done."""
    return SCHEDULE.episode_inputs(wildcards.benchmark, wildcards.agent, wildcards.task, int(wildcards.seed))


def episode_prerequisites():
    """The episode rule's input: a function of each job, or none at all (MiniWoB): functions cost per job."""
    return episode_inputs if SCHEDULE.has_prerequisites() else []


@per_job
def reset_prerequisites(wildcards):
    """The preflight and every episode of the round before, on the same instance."""
    return SCHEDULE.reset_prerequisites(wildcards.benchmark, wildcards.agent, int(wildcards.seed))


def llm_slot():
    """A job's share of the local LLM server: a constant when all agents agree (functions cost per job)."""
    slots = {STUDY.llm_slots(agent) for agent in STUDY.agents}
    if len(slots) == 1:
        return slots.pop()
    return per_job(lambda wildcards: STUDY.llm_slots(wildcards.agent))


def instance_slot(instance):
    """A job's share of `instance`: 1 on a benchmark that runs on it, else 0 (a constant if none does)."""
    if instance not in SCHEDULE.rounds:
        return 0
    return per_job(lambda wildcards: SCHEDULE.uses_instance(wildcards.benchmark, instance))


@per_job
def job_attempt(wildcards, attempt):
    """Snakemake's attempt number (from 1), which `agentlab episode` records and retries by."""
    return attempt


def episode_limits():
    """The study's retries, time limits, kind of worker, spending limits, per-endpoint request caps and
    reset cap as `agentlab episode` options: in the shell command, not params (changing them reruns nothing)
    nor resources (each costs time per job). Braces doubled: Snakemake formats the command."""
    import shlex

    options = (
        f"--max-attempts {STUDY.retries + 1} --workers {STUDY.workers} "
        f"--step-timeout {STUDY.step_timeout_s} --episode-timeout {STUDY.episode_timeout_s} "
        f"--budget {shlex.quote(STUDY.budget.to_json())} "
        f"--max-concurrent-requests {shlex.quote(json.dumps(STUDY.max_concurrent_requests))}"
    )
    if STUDY.max_concurrent_resets:
        options += f" --max-concurrent-resets {STUDY.max_concurrent_resets}"
    return options.replace("{", "{{").replace("}", "}}")


@per_job
def episode_runtime(wildcards, attempt):
    """Minutes a cluster may run one episode: past the runner's own episode time limit, so the
    runner records the timeout itself, and longer on each retry in case the cluster killed it."""
    return attempt * (STUDY.episode_timeout_s // 60 + 5)


def study_definition(wildcards):
    """The config's study, benchmarks and agents as JSON: all the manifest depends on."""
    import json

    return json.dumps({key: config[key] for key in ("study", "benchmarks", "agents")}, sort_keys=True)


def study_manifest_digest(wildcards):
    import hashlib
    import json

    return hashlib.sha256(json.dumps(STUDY.manifest(), sort_keys=True).encode()).hexdigest()[:16]


@per_job
def study_summaries(wildcards):
    return STUDY.summary_paths()


def refuse_a_second_run():
    """Stop in one line if this study already runs in this folder; otherwise hold its lock for the run
    (Snakemake's own lock is gone as soon as any other run in the folder ends: agentlab/machine/runlock.py)."""
    try:
        hold_study_lock(STUDY.name, Path.cwd())
    except ConfigError as error:
        print(f"agentlab: {error}", file=sys.stderr)
        sys.exit(2)


def refuse_dirty_tree():
    """episode.strict_provenance: stop before any job starts, in one line, if the workflow tree is dirty."""
    try:
        check_clean(PROVENANCE, STUDY.strict_provenance)
    except ConfigError as error:
        print(f"agentlab: {error}", file=sys.stderr)
        sys.exit(2)


def warn_of_the_local_job_cap():
    """One line if --resources browser=N asks for more episodes at once than Snakemake's local executor
    runs jobs at once: --cores + 5 (its thread pool), whatever the resources allow."""
    browser = workflow.global_resources.get("browser")
    browser = getattr(browser, "value", browser)
    cores = workflow.cores
    if workflow.local_exec and isinstance(cores, int) and isinstance(browser, int) and browser > cores + 5:
        print(
            f"agentlab: --resources browser={browser} with --cores {cores} runs at most {cores + 5} jobs at once "
            f"(Snakemake's local executor: --cores + 5); give --cores {browser - 5} or more for {browser} "
            "episodes at once (episodes take no core of the count)",
            file=sys.stderr,
        )


def start_local_llm_server():
    """Start the study's local LLM server, if it has local-model agents (`agentlab llm-server`)."""
    settings = STUDY.local_llm_server()
    if settings is not None:
        settings_json = settings.to_json()
        shell("agentlab llm-server start --settings {settings_json:q}")


def report_spend():
    """After a failed run: one line if the study's budget stopped it (agentlab/core/budget.py)."""
    from agentlab.core.budget import read_spend

    limit = STUDY.budget.max_cost_usd
    spend = read_spend(Path("results") / STUDY.name)
    if limit is not None and spend.cost_usd >= limit:
        print(spend.message(STUDY.name, limit), file=sys.stderr)


def stop_local_llm_server():
    if STUDY.local_llm_server() is not None:
        shell("agentlab llm-server stop")


def aggregate_outputs():
    """What `agentlab aggregate` writes (agentlab.core.layout's TABLES and PLOTS), by name; those with a
    caption in rules/captions/<name>.rst go into `snakemake --report` too."""
    outputs = {}
    for name, path in {**TABLES, **PLOTS}.items():
        target = f"results/{{study}}/{path}"
        caption = Path(workflow.basedir) / "rules" / "captions" / f"{name}.rst"
        if caption.exists():
            target = report(target, caption=f"captions/{name}.rst", category="Plots" if name in PLOTS else "Tables")
        outputs[name] = target
    return outputs


def study_outputs():
    """Every episode is a target of its own (Snakemake rebuilds a missing input only for a job that
    runs anyway, so a deleted summary would be left missing behind up-to-date tables), then the
    tables and plots (the aggregate rule's outputs) and the report."""
    return (
        STUDY.summary_paths()
        + expand(rules.aggregate.output, study=STUDY.name)
        + expand(rules.report.output.index, study=STUDY.name)
    )
