"""The aggregate rule's tables (layout.TABLES) read back as the results and tables it computed: the
report builds from them, so a study's summaries are read and its tables computed once, by `aggregate`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core.errors import ConfigError
from ..core.layout import TABLES, EpisodeKey, episode_id, read_manifest, study_episodes
from ..core.records import SUMMARY_TYPES
from .aggregate import StudyTables
from .load import DAMAGED_COLUMNS, EPISODE_KEYS, StudyResults, study_results, unplanned_manifest

# Columns kept as text when read back (a task named "1" or "NA" stays that name): the summary's text
# fields and the tables' names, messages and paths.
TEXT_COLUMNS = {
    *(name for name, kinds in SUMMARY_TYPES.items() if str in kinds),
    *("agent_a", "agent_b", "error_type", "error_message", "signature", "examples", "commit", "path", "reason"),
}


def read_table(study_dir: Path, name: str) -> pd.DataFrame:
    """The table `name` of layout.TABLES as `aggregate` wrote it; only empty cells are missing values."""
    return pd.read_csv(
        study_dir / TABLES[name], dtype=dict.fromkeys(TEXT_COLUMNS, str), keep_default_na=False, na_values=[""]
    )


def episode_keys(frame: pd.DataFrame) -> list[EpisodeKey]:
    return [EpisodeKey(b, a, t, int(s)) for b, a, t, s in frame[EPISODE_KEYS].itertuples(index=False, name=None)]


def read_study_outputs(study_dir: str | Path) -> tuple[StudyResults, StudyTables]:
    """The results and tables of the study at `study_dir` from its aggregate outputs: the finished and
    damaged episodes as their CSVs list them, the missing ones the manifest expects besides."""
    study_dir = Path(study_dir)
    if not (study_dir / TABLES["episodes_csv"]).is_file():
        raise ConfigError(
            f"{study_dir / TABLES['episodes_csv']} does not exist; allowed: a study aggregated first "
            f"(agentlab aggregate {study_dir})"
        )
    episodes = read_table(study_dir, "episodes_csv")
    damaged = read_table(study_dir, "damaged_csv")[DAMAGED_COLUMNS]
    manifest = read_manifest(study_dir) or unplanned_manifest(study_dir, len(episodes))
    done = set(episode_keys(episodes)) | set(episode_keys(damaged))
    missing = [key for key in study_episodes(study_dir, manifest) if key not in done]
    results = study_results(
        study_dir, manifest, episodes, pd.DataFrame(missing, columns=EPISODE_KEYS), damaged.reset_index(drop=True)
    )
    by_id = {episode_id(key): tuple(key) for key in episode_keys(episodes)}
    errors = read_table(study_dir, "errors_csv")
    errors = errors.assign(  # back to the keys error_groups gave, from the episode names error_rows wrote
        examples=pd.Series(
            [[by_id[name] for name in str(names).split("; ") if name in by_id] for names in errors["examples"]],
            index=errors.index,
            dtype=object,
        )
    )
    tables = StudyTables(
        summary=read_table(study_dir, "summary_csv"),
        per_task=read_table(study_dir, "per_task_csv"),
        comparisons=read_table(study_dir, "comparisons_csv"),
        errors=errors,
        pass_k=read_table(study_dir, "pass_k_csv"),
    )
    return results, tables
