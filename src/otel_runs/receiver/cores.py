"""How many cores this process may use: what `otel-runs serve --workers auto` starts.

The CPUs the process may run on (its affinity, as `taskset` or a cpuset sets it), fewer when
a CPU quota caps the process's cgroup (`docker run --cpus`, a Kubernetes CPU limit): a quota
of 1.5 cores over an 8-CPU host is 1 worker, not 8. `os.cpu_count()` sees the host's CPUs in
both cases, and more workers than the quota allows only take turns at it, each with its own
memory, and leave the front end throttled too.

The quota is read as the kernel exposes it: cgroup v2's `cpu.max` ("200000 100000", or "max
100000" for none), or cgroup v1's `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1: none), in the
process's own cgroup and every ancestor up to the mount (a limit set on a parent applies to its
children). The smallest one wins; a fraction of a core rounds down, but never below 1.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final, Literal

from otel_runs.env_values import whole_number
from otel_runs.errors import ConfigError
from otel_runs.receiver.settings import ENV_WORKERS

AUTO: Final = "auto"
Workers = int | Literal["auto"]
"""A number of workers, or "auto": `usable_cores()`."""
CGROUP_ROOT: Final = Path("/sys/fs/cgroup")
OWN_CGROUP: Final = Path("/proc/self/cgroup")


def worker_count(workers: Workers | None) -> int:
    """Argument > `OTEL_RUNS_WORKERS` > 1, where "auto" (either) is `usable_cores()`."""
    if workers is None:
        if os.environ.get(ENV_WORKERS, "").strip().lower() == AUTO:
            return usable_cores()
    elif isinstance(workers, str):
        if workers.strip().lower() != AUTO:
            raise ConfigError(f"workers must be a whole number >= 1 or {AUTO!r}, got {workers!r}")
        return usable_cores()
    return whole_number("workers", workers, ENV_WORKERS, 1)


def usable_cores(cgroup_root: Path = CGROUP_ROOT, own_cgroup: Path = OWN_CGROUP) -> int:
    """CPUs this process may run on, capped by its cgroup's CPU quota; at least 1."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    quota = cpu_quota(cgroup_root, own_cgroup)
    if quota is not None:
        cpus = min(cpus, math.floor(quota))
    return max(1, cpus)


def cpu_quota(cgroup_root: Path = CGROUP_ROOT, own_cgroup: Path = OWN_CGROUP) -> float | None:
    """The tightest CPU quota over this process's cgroup and its ancestors, in cores; None
    when there is none (or no cgroup file system to read it from)."""
    try:
        lines = own_cgroup.read_text().splitlines()
    except OSError:
        return None
    quotas = [quota for directory in _cpu_dirs(lines, cgroup_root) if (quota := _read(directory))]
    return min(quotas) if quotas else None


def _cpu_dirs(lines: list[str], root: Path) -> Iterator[Path]:
    """The directories that may hold the process's CPU limits, its own cgroup's first."""
    for line in lines:
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and not controllers:  # v2: one tree, cpu.max in every directory
            mount = root if (root / "cgroup.controllers").exists() else root / "unified"
        elif "cpu" in controllers.split(","):  # v1: the cpu controller's own tree
            mount = root / controllers
            if not mount.is_dir():
                mount = root / "cpu"
        else:
            continue
        yield from _upwards(mount, path)


def _upwards(mount: Path, path: str) -> Iterator[Path]:
    """mount/path and each parent up to mount. In a container whose cgroup namespace hides
    the path (the file system shows the container's own cgroup as its root), just the mount."""
    directory = mount / path.strip("/")
    if not directory.is_dir():
        directory = mount
    while True:
        yield directory
        if directory == mount or mount not in directory.parents:
            return
        directory = directory.parent


def _read(directory: Path) -> float | None:
    """The quota in cores set in this one directory, if any."""
    try:
        if (v2 := directory / "cpu.max").exists():
            limit, _, period = v2.read_text().partition(" ")
            if limit.strip() == "max":
                return None
            return int(limit) / int(period)
        limit_us = int((directory / "cpu.cfs_quota_us").read_text())
        if limit_us <= 0:  # -1: no quota
            return None
        return limit_us / int((directory / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError, ZeroDivisionError):
        return None
