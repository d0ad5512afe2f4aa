"""Where a running embedded system says it runs, so that commands started elsewhere act on it.

`savivalda run` (embedded) writes `run.json` (pid, data folder, addresses) into its data folder
and a copy named `<pid>.json` into a per-user folder: `$XDG_RUNTIME_DIR/savivalda/`, or
`~/.local/state/savivalda/running/` when XDG_RUNTIME_DIR is not set. Both are removed when it
stops; a file whose process is gone is stale and ignored (a killed process leaves one behind).

`locate_data_dir` is how `token`, `privacy erase`, `dlq`, `migrate` and `events publish` choose
the embedded system's data folder; it never makes a new one except where asked to (`migrate`).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

RUN_FILE = "run.json"
# Every data folder a system ran in (or `migrate` prepared) has its signing secret.
MARKER = "auth-secret"
DEFAULT_DATA_DIR = "savivalda-data"


class DataFolderError(Exception):
    """No data folder to act on, or more than one to choose from; the message says what to do."""


@dataclass(frozen=True)
class RunningSystem:
    pid: int
    data_dir: Path
    http_address: str
    ops_address: str
    started_at: float

    def describe(self) -> str:
        return f"{self.data_dir} (pid {self.pid}, API http://{self.http_address}/)"


def registry_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "savivalda"
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".local" / "state" / "savivalda" / "running"


def is_data_folder(path: Path) -> bool:
    return (path / MARKER).is_file()


def alive(pid: int) -> bool:
    """The process exists and, where /proc says so, is a savivalda process (not a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS) or not ours to read: trust the pid
    return b"savivalda" in cmdline or b"services.cli" in cmdline


def _read(path: Path) -> RunningSystem | None:
    try:
        info = json.loads(path.read_text())
        return RunningSystem(int(info["pid"]), Path(info["data_dir"]), str(info["http_address"]),
                             str(info["ops_address"]), float(info["started_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(path: Path, info: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n")
    os.replace(tmp, path)


def running_on(data_dir: Path) -> RunningSystem | None:
    """The live process running the embedded system in this data folder, if any."""
    system = _read(Path(data_dir) / RUN_FILE)
    if system is None or not alive(system.pid):
        return None
    return system


def running_systems(env: Mapping[str, str] | None = None) -> list[RunningSystem]:
    """Every embedded system of this user that is running now."""
    folder = registry_dir(env)
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        system = _read(path)
        if system is None or not alive(system.pid):
            continue
        current = running_on(system.data_dir)  # the data folder's own file must agree
        if current is not None and current.pid == system.pid:
            found.append(current)
    return found


def register(settings, env: Mapping[str, str] | None = None) -> None:
    """Called by the embedded system once it listens."""
    info = {"pid": os.getpid(), "data_dir": str(settings.data_dir), "http_address": settings.http_address,
            "ops_address": settings.ops_address, "started_at": time.time()}
    _write(Path(settings.data_dir) / RUN_FILE, info)
    try:
        folder = registry_dir(env)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write(folder / f"{os.getpid()}.json", info)
    except OSError:
        pass  # found through its data folder only (commands run there, or with --data-dir)


def unregister(settings, env: Mapping[str, str] | None = None) -> None:
    own = Path(settings.data_dir) / RUN_FILE
    system = _read(own)
    paths = [registry_dir(env) / f"{os.getpid()}.json"]
    if system is not None and system.pid == os.getpid():
        paths.append(own)
    for path in paths:
        try:
            path.unlink()
        except OSError:
            pass


def locate_data_dir(explicit: str | None, env: Mapping[str, str] | None = None, *,
                    create: bool = False) -> tuple[Path, str]:
    """The embedded system's data folder for a command, and how it was found ("named", "here",
    "running", "new").

    In order: the folder named by --data-dir or SAVIVALDA_DATA_DIR; ./savivalda-data if it is a
    data folder; the one embedded system running for this user. Otherwise refuse, unless
    `create` (then ./savivalda-data, or the named folder, is made, as `savivalda run` would)."""
    env = os.environ if env is None else env
    named = explicit or env.get("SAVIVALDA_DATA_DIR") or None
    if named:
        path = Path(named).resolve()
        if is_data_folder(path) or create:
            return path, "named"
        raise DataFolderError(
            f"{path} is not a Savivalda data folder (it has no {MARKER}); start the system there first "
            f"(`savivalda --data-dir {named} run`) or name the folder the system runs in")
    here = Path(DEFAULT_DATA_DIR).resolve()
    if is_data_folder(here):
        return here, "here"
    running = running_systems(env)
    if len(running) == 1:
        return running[0].data_dir, "running"
    if len(running) > 1:
        listed = "; ".join(system.describe() for system in running)
        raise DataFolderError(f"{len(running)} embedded systems are running: {listed}. "
                              "Choose one with --data-dir (or SAVIVALDA_DATA_DIR)")
    if create:
        return here, "new"
    raise DataFolderError(
        "no embedded Savivalda system is running and there is no data folder here (./savivalda-data). "
        "Start one with `savivalda run`, or name its data folder with --data-dir (or SAVIVALDA_DATA_DIR); "
        "for the distributed system set SAVIVALDA_AMQP_URI")
