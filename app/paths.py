"""Where things live: bundled read-only defaults versus the operator's writable files.

Two roots, resolved the same way from source and from the PyInstaller build:

- the *bundle root* holds what ships with the app (``data/`` defaults: demo products, templates,
  compliance lists, the demo feed). From source it is the project folder; in the build it is
  the extraction folder (``sys._MEIPASS``, ``_internal/`` beside the executable).
- the *operator's folder* (user root) holds ``config.ini`` and ``data/`` (products, lists,
  logs, cache, the spoken log). It is the folder of the app (the project folder, or the folder
  of the executable) when that folder is writable, else a per-user folder (``%APPDATA%`` on
  Windows, ``~/Library/Application Support`` on macOS, ``$XDG_DATA_HOME`` or
  ``~/.local/share`` elsewhere) — an app unpacked into Program Files or /opt still runs.

The first time the operator's folder is resolved, the shipped defaults the operator edits
(products, templates, compliance lists) are copied into it when they are not there yet; nothing
already there is overwritten. ``describe_user_root()`` is the sentence the app logs and the
self-test prints so the operator knows which folder is in use.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "DouyinLive"  # the per-user folder's name
# Shipped defaults the operator edits, copied into the operator's data/ on first use.
SEEDED_DATA = ("products", "templates", "compliance")

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class UserRoot:
    path: Path
    per_user: bool  # True: the app's folder was not writable, a per-user folder is used
    app_dir: Path  # the app's own folder (checked first)
    reason: str = ""  # why the app's folder was not used (empty when it was)


_lock = threading.Lock()
_chosen: UserRoot | None = None


def is_frozen() -> bool:
    """True inside the PyInstaller build."""
    return bool(getattr(sys, "frozen", False))


def bundle_root() -> Path:
    """Read-only resources shipped with the app (data defaults)."""
    meipass = getattr(sys, "_MEIPASS", None)
    return Path(meipass) if is_frozen() and meipass else _SOURCE_ROOT


def app_dir() -> Path:
    """The folder the operator sees the app in: the executable's folder, or the project folder."""
    return Path(sys.executable).resolve().parent if is_frozen() else _SOURCE_ROOT


def per_user_dir() -> Path:
    """The platform's per-user data folder for this app (not created here)."""
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or os.environ.get("LOCALAPPDATA")
        root = Path(base) if base else Path.home() / "AppData" / "Roaming"
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        root = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return root / APP_NAME


def user_root_info() -> UserRoot:
    """Which operator folder is in use and why; decided once per process."""
    global _chosen
    with _lock:
        if _chosen is None:
            _chosen = _choose()
            _seed_defaults(_chosen.path)
        return _chosen


def user_root() -> Path:
    """The operator's writable folder (config.ini, products, logs, cache)."""
    return user_root_info().path


def describe_user_root() -> str:
    """One line for the log and the self-test: which folder holds config.ini and data/."""
    info = user_root_info()
    if not info.per_user and info.reason:
        return f"软件文件夹：{info.path}（在程序旁边，但无法保存任何文件：{info.reason}）"
    if not info.per_user:
        return f"软件文件夹：{info.path}（在程序旁边）"
    return f"软件文件夹：{info.path}（用户文件夹，因为 {info.reason}）"


def reset() -> None:
    """Forget the chosen operator folder (tests; a process otherwise decides once)."""
    set_user_root(None)


def set_user_root(root: UserRoot | None) -> UserRoot | None:
    """Use ``root`` as the operator's folder from now on, as it is (nothing is copied into it);
    None decides again on next use. Returns the previous choice (tests put it back)."""
    global _chosen
    with _lock:
        previous, _chosen = _chosen, root
    return previous


def data_dir() -> Path:
    return user_root() / "data"


def bundled_data_dir() -> Path:
    return bundle_root() / "data"


def logs_dir() -> Path:
    return data_dir() / "logs"


def default_config_path() -> Path:
    return user_root() / "config.ini"


# ---- choosing and preparing the operator's folder -------------------------------------------

def _choose() -> UserRoot:
    here = app_dir()
    problem = _not_writable(here)
    if problem is None:
        return UserRoot(here, per_user=False, app_dir=here)
    fallback = per_user_dir()
    fallback_problem = _not_writable(fallback, create=True)
    if fallback_problem is not None:
        # Nowhere to write: keep the app's folder, so reading works and each write names the path.
        return UserRoot(here, per_user=False, app_dir=here,
                        reason=f"{problem}；用户文件夹也不能写入（{fallback_problem}）")
    return UserRoot(fallback, per_user=True, app_dir=here, reason=problem)


def _not_writable(folder: Path, *, create: bool = False) -> str | None:
    """None when a file can be created in ``folder``, else what went wrong.

    Probing with a real file, because os.access says yes for folders that refuse writes
    (Program Files under UAC, read-only mounts, ACLs on Windows)."""
    try:
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.is_dir():
            return f"{folder} 不是文件夹"
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=folder)
        os.close(fd)
        os.unlink(probe)
        return None
    except OSError as exc:
        return f"{folder} 不能写入（{exc.strerror or exc}）"


def _seed_defaults(root: Path) -> None:
    """Copy the shipped products, templates and compliance lists into the operator's data/
    when missing. Skipped from a source checkout, where both are the same folder."""
    source, target = bundled_data_dir(), root / "data"
    for name in SEEDED_DATA:
        src, dst = source / name, target / name
        try:
            if dst.exists() or not src.is_dir() or src.resolve() == dst.resolve():
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            # Copy under a temporary name first: an interrupted copy never looks like the
            # operator's complete folder.
            partial = dst.with_name(f".{name}.partial")
            shutil.rmtree(partial, ignore_errors=True)
            shutil.copytree(src, partial)
            partial.rename(dst)
        except OSError:
            # Not fatal here: readers fall back to the shipped copy, or name the path they miss.
            continue
