"""A full disk (ENOSPC) on a real small file system mounted for the test: the episode that cannot
write ends as an infrastructure error with nothing partial in place, finished episodes are kept."""

import errno
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import replay_agent

from agentlab.episode.spec import EpisodeSpec, RunLimits
from agentlab.episode.supervisor import EXIT_FINAL, EXIT_RETRY, run_supervised

pytestmark = pytest.mark.slow


def _mounted(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True).returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    """An 8 MB file system: a tmpfs, else an ext4 image on a loop device; skipped if neither mounts here."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mounted(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)]):
        image = tmp_path / "disk.img"
        with open(image, "wb") as handle:
            handle.truncate(8 << 20)
        if not (
            shutil.which("mkfs.ext4")
            and _mounted(["mkfs.ext4", "-q", str(image)])
            and _mounted(["mount", "-o", "loop", str(image), str(disk)])
        ):
            pytest.skip(
                "cannot mount a small file system here (needs root or CAP_SYS_ADMIN: mount -t tmpfs, "
                "or mkfs.ext4 and a loop device)"
            )
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


def fill(disk: Path) -> Path:
    """Write a file until the file system is full."""
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


def episode(seed: int) -> EpisodeSpec:
    agent = replay_agent()
    return EpisodeSpec(
        study="full",
        benchmark="miniwob",
        task="click-test",
        seed=seed,
        agent_name="replay",
        agent_config=agent["config"],
        max_steps=3,
        agent_overrides=agent["overrides"],
    )


def leftovers(folder: Path) -> list[str]:
    """Files of an episode folder but its log: none when nothing of the episode is kept."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != "episode.log")


@pytest.mark.parametrize("attempt, max_attempts", [(1, 2), (2, 2)], ids=["retried", "last-attempt"])
def test_an_episode_on_a_full_disk_is_an_infra_error_that_keeps_nothing_and_the_study_keeps_the_rest(
    small_disk, capfd, attempt, max_attempts
):
    study = small_disk / "results" / "full" / "miniwob" / "replay" / "click-test"
    limits = RunLimits(step_timeout_s=60, episode_timeout_s=300, attempt=attempt, max_attempts=max_attempts, warm=False)
    assert run_supervised(episode(0), limits, study / "seed0") == EXIT_FINAL
    finished = {p: p.read_bytes() for p in (study / "seed0").rglob("*") if p.is_file()}
    assert json.loads((study / "seed0" / "summary.json").read_text())["status"] == "success"

    filler = fill(small_disk)
    capfd.readouterr()
    assert run_supervised(episode(1), limits, study / "seed1") == EXIT_RETRY
    err = capfd.readouterr().err
    ended = f"=== attempt {attempt}/{max_attempts} ended: infra_error: OSError: [Errno 28] No space left on device"
    assert ended in err
    assert (
        f"agentlab: cannot write the episode in {study / 'seed1'}: No space left on device; nothing of it kept "
        "(free space, then run again)"
    ) in err
    assert leftovers(study / "seed1") == []
    assert {p: p.read_bytes() for p in finished} == finished

    filler.unlink()  # space again: the next run records the episode
    assert run_supervised(episode(1), limits, study / "seed1") == EXIT_FINAL
    assert json.loads((study / "seed1" / "summary.json").read_text())["status"] == "success"
    assert {p: p.read_bytes() for p in finished} == finished
