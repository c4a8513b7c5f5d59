"""The episode record: what `summary.json` and `steps.jsonl` hold, typed, versioned and validated.

The bottom layer of the package: the episode runner writes these records and every reader
(tables, status, relaunch, report) reads them through `read_summary` and `read_steps`, which
never let one damaged file stop a study's tables (they raise or report `DamagedRecord`).
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from .files import RefusedFile, open_inside, read_inside
from .layout import OBSERVATIONS_DIR, SCREENSHOTS_DIR, STEPS_FILE

# 3: summaries carry `provenance`; 2: they carry `format_version`; 1: those written before it
# (all read the same way: older ones have no provenance).
FORMAT_VERSION = 3

Status = Literal["success", "failure", "agent_error", "infra_error", "eval_error"]
STATUSES: tuple[str, ...] = get_args(Status)
# Statuses whose episode is run again (Snakemake's retries) until its last attempt: nobody's fault
# yet, the infrastructure or the task's evaluator failed.
RETRIED_STATUSES = ("infra_error", "eval_error")
# Statuses of episodes that ended with an exception: AgentLab's `err_msg` (reward 0, counted in n_err).
ERROR_STATUSES = ("agent_error", "infra_error", "eval_error")
StopReason = Literal["terminated", "truncated", "max_steps", "agent_stopped", "error", "timeout", "budget"]
STOP_REASONS: tuple[str, ...] = get_args(StopReason)
# The most a reader takes of one file of an episode folder (far above what episodes write): a folder
# from someone else cannot make it read without end.
MAX_SUMMARY_BYTES = 64 * 2**20
MAX_STEPS_BYTES = 2**30
MAX_PAGE_DETAILS_BYTES = 64 * 2**20  # gzipped, and again once inflated
MAX_SCREENSHOT_BYTES = 64 * 2**20


class DamagedRecord(ValueError):
    """A result file that cannot be read as its record; the message is one line with the path."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


# Metadata of a config field added after results existed: agent configs write it only when it is set
# (agents.registry.agent_args_to_dict), so configs that leave it at its default keep their hash and the
# episodes planned with them do not rerun.
SINCE_SET = "written_when_set"
ADDED_LATER = {SINCE_SET: True}


@dataclass
class EpisodeError:
    """The exception that ended an episode."""

    type: str
    message: str  # its first line
    traceback: str = ""


@dataclass(frozen=True)
class Provenance:
    """The code an episode ran: the workflow's git commit and whether its tree had uncommitted
    changes (None: not a git checkout), and the agentlab package version. An episode imported from
    another framework's results says so in `imported`: from what (framework, its version, folder)."""

    commit: str | None
    dirty: bool | None
    agentlab: str
    imported: dict[str, str] | None = None

    @classmethod
    def from_dict(cls, data: Any, path: Path | str) -> Provenance:
        """The provenance `data` describes; DamagedRecord (one line) if it is not one."""
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("commit"), (str, type(None)))
            or not isinstance(data.get("dirty"), (bool, type(None)))
            or not isinstance(data.get("agentlab"), str)
        ):
            raise DamagedRecord(path, f"provenance is {data!r}, not an object with commit, dirty and agentlab")
        imported = data.get("imported")
        if imported is not None and not (
            isinstance(imported, dict) and all(isinstance(value, str) for value in imported.values())
        ):
            raise DamagedRecord(path, f"provenance.imported is {imported!r}, not an object of strings")
        return cls(data["commit"], data["dirty"], data["agentlab"], imported)


# Metadata of an outcome field the summary keeps elsewhere (chromium_version: in its versions).
NOT_IN_SUMMARY = {"in_summary": False}


@dataclass
class EpisodeOutcome:
    """What running an episode found out: the episode loop's (or the supervisor's) result."""

    status: Status
    reward: float = 0.0
    success: bool = False
    n_steps: int = 0
    terminated: bool = False
    truncated: bool = False
    stop_reason: StopReason | None = None
    error: EpisodeError | None = None
    goal: str | None = None
    chromium_version: str | None = field(default=None, metadata=NOT_IN_SUMMARY)
    agent_args: dict[str, Any] | None = None  # the resolved agent config (agent_args_to_dict)
    agent_details: dict[str, Any] = field(default_factory=dict)  # what the agent said of itself (Agent.details)
    benchmark_details: dict[str, Any] = field(default_factory=dict)  # a cube's name, version and packages
    config_hash: str | None = None
    agent_stats: dict[str, Any] = field(default_factory=dict)  # totals: tokens, cost, LLM calls...
    timings: dict[str, Any] = field(default_factory=dict)  # seconds: setup, reset, agent, browser steps, total

    @classmethod
    def failed(cls, status: Status, stop_reason: StopReason, error_type: str, message: str) -> EpisodeOutcome:
        """The outcome of an episode the supervisor had to end (timeout, a dead worker)."""
        return cls(status=status, stop_reason=stop_reason, error=EpisodeError(error_type, message))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EpisodeOutcome:
        fields = {name: data[name] for name in _field_names(cls) if name in data}
        if fields.get("error") is not None:
            fields["error"] = EpisodeError(**fields["error"])
        return cls(**fields)


@dataclass
class EpisodeSummary:
    """An episode's `summary.json`: who ran what (the fields before `outcome`), its outcome, and how it
    ran (the fields after). Written last, so its presence means the episode is finished. On disk the
    outcome's fields sit beside the others (one flat object), its Chromium version in `versions`."""

    benchmark: str
    agent: str
    task: str
    seed: int
    outcome: EpisodeOutcome
    study: str = ""
    max_steps: int | None = None
    elapsed_s: float | None = None
    attempt: int = 1
    max_attempts: int = 1
    started_at: str | None = None
    finished_at: str | None = None
    host: str | None = None
    slurm_job_id: str | None = None  # the cluster job that ran it (None off SLURM)
    versions: dict[str, Any] = field(default_factory=dict)  # agentlab, browsergym, playwright, chromium, python
    spec: dict[str, Any] = field(default_factory=dict)  # the EpisodeSpec it ran
    provenance: Provenance | None = None  # the code it ran (None in summaries before format 3)
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        outcome = data.pop("outcome")
        data.update({name: outcome[name] for name in _summary_outcome_fields()})
        if data["provenance"] is not None and data["provenance"]["imported"] is None:
            del data["provenance"]["imported"]  # run here: written as before imports existed
        return data

    @classmethod
    def from_dict(cls, data: Any, path: Path | str = "summary.json") -> EpisodeSummary:
        """The summary `data` describes; DamagedRecord (one line) if it is not a valid summary."""
        if not isinstance(data, dict):
            raise DamagedRecord(path, f"not a JSON object but {type(data).__name__}")
        missing = [name for name in ("benchmark", "agent", "task", "seed", "status") if name not in data]
        if missing:
            raise DamagedRecord(path, f"missing {', '.join(missing)}")
        if data["status"] not in STATUSES:
            raise DamagedRecord(path, f"unknown status {data['status']!r}; allowed: {', '.join(STATUSES)}")
        for name, kinds in SUMMARY_TYPES.items():
            value = data.get(name)
            if value is not None and (not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds):
                raise DamagedRecord(path, f"{name} is {value!r}, not {' or '.join(k.__name__ for k in kinds)}")
        if isinstance(data.get("reward"), float) and not math.isfinite(data["reward"]):
            raise DamagedRecord(path, f"reward is {data['reward']!r}, not a finite number")
        outcome = {name: data[name] for name in _summary_outcome_fields() if name in data}
        if outcome.get("error") is not None:
            error = outcome["error"]
            if not isinstance(error, dict) or not {"type", "message"} <= set(error):
                raise DamagedRecord(path, f"error is {error!r}, not an object with type and message")
            outcome["error"] = EpisodeError(str(error["type"]), str(error["message"]), str(error.get("traceback", "")))
        fields = {name: data[name] for name in _field_names(cls) if name in data and name != "outcome"}
        fields["format_version"] = data.get("format_version", 1)
        if fields.get("provenance") is not None:
            fields["provenance"] = Provenance.from_dict(fields["provenance"], path)
        chromium = (fields.get("versions") or {}).get("chromium")
        fields["outcome"] = EpisodeOutcome(**outcome, chromium_version=chromium if isinstance(chromium, str) else None)
        return cls(**fields)


def _summary_outcome_fields() -> tuple[str, ...]:
    """The outcome's fields that summary.json holds beside the run's (all but those kept elsewhere)."""
    return tuple(f.name for f in dataclasses.fields(EpisodeOutcome) if f.metadata.get("in_summary", True))


def _json_types(annotation: Any) -> tuple[type, ...] | None:
    """The JSON values a field annotated `annotation` may hold (None aside; a float may be written as an
    int, a bool is no number), or None for a record of its own, which its from_dict checks."""
    kinds: list[type] = []
    for part in get_args(annotation) if get_origin(annotation) in (Union, UnionType) else (annotation,):
        base = get_origin(part) or part
        if base is type(None):
            continue
        if base is Literal:
            kinds.append(str)
        elif base is float:
            kinds += [int, float]
        elif base in (int, str, bool, dict, list):
            kinds.append(base)
        else:
            return None
    return tuple(kinds)


def _summary_types() -> dict[str, tuple[type, ...]]:
    """The JSON types of every flat summary.json field, from the records' annotations."""
    hints = {**get_type_hints(EpisodeSummary), **get_type_hints(EpisodeOutcome)}
    names = [name for name in _field_names(EpisodeSummary) if name != "outcome"] + list(_summary_outcome_fields())
    types = {name: _json_types(hints[name]) for name in names}
    return {name: kinds for name, kinds in types.items() if kinds is not None}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    """The dataclass's field names, found once per class (a study's status reads every summary)."""
    if cls not in _FIELD_NAMES:
        _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return _FIELD_NAMES[cls]


# Types of the summary fields that readers compute with, checked on every read.
SUMMARY_TYPES: dict[str, tuple[type, ...]] = _summary_types()


def read_summary(path: Path | str, inside: Path | str | None = None) -> EpisodeSummary:
    """The summary at `path`, a regular file inside the folder `inside` (default: its own folder).
    FileNotFoundError if there is none; DamagedRecord if it is damaged or refused (see io.open_inside)."""
    folder, name = os.path.split(path) if inside is None else (inside, _relative(str(path), str(inside)))
    try:
        data = read_inside(folder, name, MAX_SUMMARY_BYTES)
    except RefusedFile as error:
        raise DamagedRecord(path, f"refused: {error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DamagedRecord(path, "not UTF-8 text") from None
    if not text.strip():
        raise DamagedRecord(path, "empty file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DamagedRecord(path, f"not JSON ({error.msg} at line {error.lineno} column {error.colno})") from None
    return EpisodeSummary.from_dict(data, path)


def _relative(path: str, folder: str) -> str:
    """`path` relative to `folder` (cheaply when it is spelt under it, as readers spell summaries)."""
    prefix = os.path.join(folder, "")
    return path[len(prefix) :] if path.startswith(prefix) else os.path.relpath(path, folder)


def screenshot_name(step: int) -> str:
    return f"{SCREENSHOTS_DIR}/step_{step:03d}.png"


def observation_name(step: int) -> str:
    return f"{OBSERVATIONS_DIR}/step_{step:03d}.json.gz"


def _typed(data: dict[str, Any], name: str, kinds: type | tuple[type, ...], default: Any = None) -> Any:
    """`data[name]` if it is of `kinds` (a bool is no number here), else `default`: a step line from an
    older format, another framework or a damaged file reads as what it has."""
    value = data.get(name)
    allowed = kinds if isinstance(kinds, tuple) else (kinds,)
    return value if isinstance(value, allowed) and (bool in allowed or not isinstance(value, bool)) else default


@dataclass
class StepObservation:
    """What the agent saw at a step: the page's URL, the files (in the episode folder) of its screenshot
    and of its page details (gzipped pruned HTML and element boxes; None in steps before they were
    recorded, or when a file was refused), the AXTree as BrowserGym prints it and the focused element."""

    url: str = ""
    screenshot: str | None = None
    page_details: str | None = None
    axtree: str = ""
    focused_element_bid: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepObservation:
        return cls(
            _typed(data, "url", str, ""),
            _typed(data, "screenshot", str),
            _typed(data, "page_details", str),
            _typed(data, "axtree", str, ""),
            _typed(data, "focused_element_bid", str, ""),
        )


@dataclass
class AgentExtra:
    """What an agent keeps in the trace besides its answer: the parse errors that made it ask again,
    the prompt parts its token budget cut ({"part", "tokens_before", "tokens_after"}), the prompt's
    estimated tokens and its memory (WebAgent's); anything else an agent keeps (a bridged agent's stats
    and extra info) in `other`."""

    parse_errors: list[str] | None = None
    prompt_cuts: list[dict[str, Any]] | None = None
    prompt_tokens_estimate: int | None = None
    memory: str | None = None
    other: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        named = {name: getattr(self, name) for name in _field_names(AgentExtra)[:-1]}
        return {**{name: value for name, value in named.items() if value is not None}, **self.other}

    @classmethod
    def from_dict(cls, data: Any) -> AgentExtra:
        data = data if isinstance(data, dict) else {}
        errors = _typed(data, "parse_errors", list)
        return cls(
            [str(error) for error in errors] if errors is not None else None,
            _typed(data, "prompt_cuts", list),
            _typed(data, "prompt_tokens_estimate", int),
            _typed(data, "memory", str),
            {key: value for key, value in data.items() if key not in _field_names(AgentExtra)},
        )


@dataclass
class StepAnswer:
    """The agent's answer at a step: its action (None: it stopped the episode), its reasoning, the chat
    messages it sent and got, this step's numbers (tokens, cost, latency) and what else it kept."""

    action: str | None
    think: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    agent_stats: dict[str, Any] = field(default_factory=dict)
    agent_extra: AgentExtra = field(default_factory=AgentExtra)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "think": self.think,
            "messages": self.messages,
            "agent_stats": self.agent_stats,
            "agent_extra": self.agent_extra.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepAnswer:
        messages = _typed(data, "messages", list, [])
        return cls(
            _typed(data, "action", str),
            _typed(data, "think", str, ""),
            [message for message in messages if isinstance(message, dict)],
            _typed(data, "agent_stats", dict, {}),
            AgentExtra.from_dict(data.get("agent_extra")),
        )


@dataclass
class StepEffect:
    """What BrowserGym's step returned for the action: the reward, whether the task ended or was cut
    short, the error the action raised (shown to the agent at the next step) and the task's info."""

    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    last_action_error: str = ""
    task_info: Any = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepEffect:
        return cls(
            float(_typed(data, "reward", (int, float), 0.0)),
            _typed(data, "terminated", bool, False),
            _typed(data, "truncated", bool, False),
            _typed(data, "last_action_error", str, ""),
            data.get("task_info"),
        )


@dataclass
class StepRecord:
    """One line of `steps.jsonl`, written by the episode loop and read by every reader (tables, trace
    pages, prompt tests, replay). The line is flat JSON: each group's keys side by side, a group absent
    when the step had none (a replay trace has only an action).

    - observation: what the agent saw (StepObservation); `step` its number.
    - answer: the agent's answer (StepAnswer); None when it was not asked (the last observation, the
      step limit or the budget reached) or failed without one: written as `"action": null`.
    - targets: the elements (with the box they had) or points the action acted on, for the trace viewer;
      tool_calls: a CUBE episode's function calls; refused_navigations: URLs the navigation guard refused.
    - effect: what the browser step returned (StepEffect), absent if it did not run.
    - timings: the step's profiling timeline in seconds (agent_s, env_step_s and BrowserGym's phases).
    - budget_exceeded: why the budget ended the episode at this step.

    Steps of every format read: the first ones lack page_details, targets and the timing phases;
    imported ones may lack the effect or carry the previous action's error."""

    step: int | None = None
    observation: StepObservation | None = None
    answer: StepAnswer | None = None
    targets: list[dict[str, Any]] | None = None
    tool_calls: list[dict[str, Any]] | None = None
    refused_navigations: list[str] | None = None
    effect: StepEffect | None = None
    timings: dict[str, Any] | None = None
    budget_exceeded: str | None = None

    @property
    def action(self) -> str | None:
        return self.answer.action if self.answer is not None else None

    @property
    def last_action_error(self) -> str:
        return self.effect.last_action_error if self.effect is not None else ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON line's object, keys in the order steps have always been written."""
        data: dict[str, Any] = {} if self.step is None else {"step": self.step}
        if self.observation is not None:
            data.update(dataclasses.asdict(self.observation))
        data.update(self.answer.to_dict() if self.answer is not None else {"action": None})
        for name in ("targets", "tool_calls", "refused_navigations"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.effect is not None:
            data.update(dataclasses.asdict(self.effect))
        if self.timings is not None:
            data["timings"] = self.timings
        if self.budget_exceeded is not None:
            data["budget_exceeded"] = self.budget_exceeded
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepRecord:
        """The record a JSON line's object describes, whatever format wrote it; a value of the wrong
        type reads as absent."""

        def has_any(group: type) -> bool:
            return any(name in data for name in _field_names(group))

        answered = data.get("action") is not None or any(name in data for name in _field_names(StepAnswer)[1:])
        refused = _typed(data, "refused_navigations", list)
        budget = data.get("budget_exceeded")
        return cls(
            step=_typed(data, "step", int),
            observation=StepObservation.from_dict(data) if has_any(StepObservation) else None,
            answer=StepAnswer.from_dict(data) if answered else None,
            targets=_dicts(data.get("targets")),
            tool_calls=_dicts(data.get("tool_calls")),
            refused_navigations=[str(url) for url in refused] if refused is not None else None,
            effect=StepEffect.from_dict(data) if has_any(StepEffect) else None,
            timings=_typed(data, "timings", dict),
            budget_exceeded=None if budget is None else str(budget),
        )


def _dicts(value: Any) -> list[dict[str, Any]] | None:
    """The objects of a JSON list (None if `value` is no list)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else None


def read_page_details(directory: Path, name: str | None) -> dict[str, Any] | None:
    """The page details (pruned HTML, element properties) in the file `name` a step record names; None if
    it names none or the file is missing or damaged."""
    if name is None:
        return None
    try:
        inflater = zlib.decompressobj(wbits=31)  # gzip, inflated to at most the cap
        text = inflater.decompress(read_inside(directory, name, MAX_PAGE_DETAILS_BYTES), MAX_PAGE_DETAILS_BYTES)
        details = json.loads(text) if inflater.eof else None
    except (OSError, EOFError, ValueError, zlib.error):  # RefusedFile is a ValueError
        return None
    return details if isinstance(details, dict) else None


def read_records(path: Path) -> list[StepRecord]:
    """The step records of a JSON-lines file (a replay trace in steps.jsonl's format), in order;
    DamagedRecord at the first line that is not a JSON object."""
    records, problems = read_records_tolerantly(path)
    if problems:
        raise DamagedRecord(path, problems[0])
    return [StepRecord.from_dict(record) for record in records]


def read_records_tolerantly(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """The JSON-object lines of `path`, in order, and one problem line per line that is not one (or
    one for the whole file if it is refused: see io.open_inside). FileNotFoundError if it is missing."""
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    try:
        raw = open_inside(path.parent, path.name, MAX_STEPS_BYTES)
    except RefusedFile as error:
        return records, [f"refused: {error}"]
    with io.TextIOWrapper(raw, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(f"line {number}: not a JSON record ({error.msg})")
                continue
            if isinstance(record, dict):
                records.append(record)
            else:
                problems.append(f"line {number}: not a JSON object")
    return records, problems


def read_steps(directory: Path) -> tuple[list[StepRecord], list[str]]:
    """An episode's step records (steps.jsonl, [] if it has none) and the problems of its bad lines."""
    try:
        records, problems = read_records_tolerantly(directory / STEPS_FILE)
    except FileNotFoundError:
        return [], []
    return [StepRecord.from_dict(record) for record in records], problems
