"""`--workers auto`: the cores the receiver may use, its CPU quota included.

The quota is read from cgroup trees built here the way the kernel lays them out (v2 `cpu.max`,
v1 `cpu.cfs_quota_us`); the CPU affinity is this process's own, or set per case.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from otel_runs.errors import ConfigError
from otel_runs.receiver.cores import cpu_quota, usable_cores, worker_count
from otel_runs.receiver.settings import ENV_WORKERS
from tests.support.receiver_proc import serving
from tests.test_serve_startup import serve


def own_cgroup(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "proc-self-cgroup"
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def v2_tree(tmp_path: Path, limits: dict[str, str]) -> Path:
    """A cgroup v2 mount with `cpu.max` set in the given directories ("" is the root)."""
    root = tmp_path / "cgroup"
    root.mkdir(parents=True)
    (root / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    for directory, value in limits.items():
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory / "cpu.max").write_text(f"{value}\n")
    return root


@pytest.fixture
def eight_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))


@pytest.mark.usefixtures("eight_cpus")
def test_a_quota_on_an_ancestor_caps_the_cores_and_a_fraction_rounds_down(
    tmp_path: Path,
) -> None:
    # A Kubernetes pod limited to 1.5 cores; its container's own cgroup says "max".
    root = v2_tree(tmp_path, {"kubepods/pod1": "150000 100000", "kubepods/pod1/c1": "max 100000"})
    cgroup = own_cgroup(tmp_path, "0::/kubepods/pod1/c1")
    assert cpu_quota(root, cgroup) == 1.5
    assert usable_cores(root, cgroup) == 1


@pytest.mark.usefixtures("eight_cpus")
def test_the_tightest_quota_wins_and_affinity_caps_a_loose_one(tmp_path: Path) -> None:
    root = v2_tree(tmp_path, {"a": "400000 100000", "a/b": "300000 100000", "a/b/c": "max 1"})
    cgroup = own_cgroup(tmp_path, "0::/a/b/c")
    assert usable_cores(root, cgroup) == 3
    root_wide = v2_tree(tmp_path / "wide", {"a": "1600000 100000"})
    assert usable_cores(root_wide, own_cgroup(tmp_path, "0::/a")) == 8  # 16 cores, 8 CPUs


@pytest.mark.usefixtures("eight_cpus")
def test_no_quota_leaves_the_affinity(tmp_path: Path) -> None:
    root = v2_tree(tmp_path, {"": "max 100000", "svc": "max 100000"})
    assert cpu_quota(root, own_cgroup(tmp_path, "0::/svc")) is None
    assert usable_cores(root, own_cgroup(tmp_path, "0::/svc")) == 8
    # No cgroup file system at all (not Linux, or not mounted): the affinity alone.
    assert usable_cores(tmp_path / "none", tmp_path / "no-such-file") == 8


@pytest.mark.usefixtures("eight_cpus")
def test_a_container_sees_its_own_cgroup_as_the_root(tmp_path: Path) -> None:
    # cgroup namespaces: /proc/self/cgroup names a host path the mount does not have.
    root = v2_tree(tmp_path, {"": "200000 100000"})
    assert usable_cores(root, own_cgroup(tmp_path, "0::/system.slice/docker-1.scope")) == 2


@pytest.mark.usefixtures("eight_cpus")
def test_cgroup_v1_cpu_controller(tmp_path: Path) -> None:
    root = tmp_path / "cgroup"
    container = root / "cpu,cpuacct" / "docker" / "abc"
    container.mkdir(parents=True)
    for directory, quota in ((root / "cpu,cpuacct" / "docker", "-1"), (container, "250000")):
        (directory / "cpu.cfs_quota_us").write_text(f"{quota}\n")
        (directory / "cpu.cfs_period_us").write_text("100000\n")
    lines = ("12:memory:/docker/abc", "4:cpu,cpuacct:/docker/abc", "0::/docker/abc")
    cgroup = own_cgroup(tmp_path, *lines)
    assert cpu_quota(root, cgroup) == 2.5
    assert usable_cores(root, cgroup) == 2


@pytest.mark.usefixtures("eight_cpus")
def test_unreadable_limits_are_no_limits(tmp_path: Path) -> None:
    root = v2_tree(tmp_path, {"a": "lots 100000", "a/b": "100000 0"})
    assert usable_cores(root, own_cgroup(tmp_path, "0::/a/b")) == 8


def test_less_than_one_core_is_still_one_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    root = v2_tree(tmp_path, {"": "50000 100000"})
    assert cpu_quota(root, own_cgroup(tmp_path, "0::/")) == 0.5
    assert usable_cores(root, own_cgroup(tmp_path, "0::/")) == 1


def test_worker_count_takes_auto_from_the_argument_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_WORKERS, raising=False)
    assert worker_count(None) == 1
    assert worker_count(3) == 3
    assert worker_count("auto") == usable_cores()
    monkeypatch.setenv(ENV_WORKERS, " Auto ")
    assert worker_count(None) == usable_cores()
    assert worker_count(2) == 2  # the argument wins
    monkeypatch.setenv(ENV_WORKERS, "4")
    assert worker_count(None) == 4
    with pytest.raises(ConfigError, match="whole number >= 1 or 'auto'"):
        worker_count("many")  # type: ignore[arg-type]
    # A fraction is refused, not cut: 2.5 workers is not 2
    with pytest.raises(ConfigError, match=r"workers must be a whole number >= 1, got 2\.5"):
        worker_count(2.5)  # type: ignore[arg-type]
    monkeypatch.setenv(ENV_WORKERS, "2.5")
    assert worker_count(None) == 1


def test_serve_workers_auto_starts_one_per_usable_core(tmp_path: Path) -> None:
    with serving(tmp_path / "runs.sqlite", "--workers", "auto", http=True, grpc=False) as running:
        assert running.ready.endswith(f" workers={usable_cores()}"), running.ready


@pytest.mark.parametrize("text", ["many", "2.5", "0"])
def test_serve_refuses_a_worker_count_that_is_neither(tmp_path: Path, text: str) -> None:
    done = serve(tmp_path, "--workers", text)
    assert done.returncode == 2
    assert f"--workers: not a whole number > 0 or auto: {text!r}" in done.stderr
