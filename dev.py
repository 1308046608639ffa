"""Set-up and launch helper: the README's two commands go through here.

    python3 dev.py app [ARGS…]   start the app (creates .venv on first run)
    python3 dev.py test [ARGS…]  run the whole test suite (creates .venv on first run)

It uses only the standard library so it runs on a fresh machine. The virtual environment is
re-synchronised whenever a requirements file changes (a stamp holds their hash).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
RUNTIME_REQS = ROOT / "requirements.txt"
DEV_REQS = ROOT / "requirements-dev.txt"


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def ensure_env(dev: bool) -> Path:
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"dev.py: Python 3.11 is required, this is {sys.version.split()[0]} ({sys.executable})")
    reqs = DEV_REQS if dev else RUNTIME_REQS
    wanted = hashlib.sha256(b"".join(p.read_bytes() for p in (RUNTIME_REQS, reqs))).hexdigest()
    stamp = VENV / f".installed-{'dev' if dev else 'app'}"
    py = venv_python()
    if not py.exists():
        print(f"dev.py: creating the virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if not stamp.exists() or stamp.read_text().strip() != wanted:
        print(f"dev.py: installing {reqs.name} (first run or requirements changed)", flush=True)
        subprocess.run([str(py), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                        "-r", str(reqs)], check=True)
        stamp.write_text(wanted)
    return py


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("app", "test"):
        print(__doc__)
        return 2
    what, rest = argv[0], argv[1:]
    py = ensure_env(dev=(what == "test"))
    env = dict(os.environ)
    if what == "test":
        # Headless by default: Qt and SDL draw and play nowhere unless told otherwise.
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        env.setdefault("SDL_AUDIODRIVER", "dummy")
        env.setdefault("SDL_VIDEODRIVER", "dummy")
        cmd = [str(py), "-m", "pytest", *rest]
    else:
        cmd = [str(py), str(ROOT / "main.py"), *rest]
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
