"""Where things live: bundled read-only defaults versus the operator's writable files.

From source both are the project folder. The packaging work (build.spec) makes the bundled
root the PyInstaller extraction folder and the writable root the folder beside the executable.
Everything that reads ``data/…`` or ``config.ini`` goes through here, so that switch is made in
one place.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def bundle_root() -> Path:
    """Read-only resources shipped with the app (data defaults)."""
    return Path(getattr(sys, "_MEIPASS", _SOURCE_ROOT))


def user_root() -> Path:
    """The operator's writable folder (config.ini, products, logs, cache)."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return _SOURCE_ROOT


def data_dir() -> Path:
    return user_root() / "data"


def bundled_data_dir() -> Path:
    return bundle_root() / "data"


def logs_dir() -> Path:
    return data_dir() / "logs"


def default_config_path() -> Path:
    return user_root() / "config.ini"
