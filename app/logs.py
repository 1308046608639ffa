"""Logging set-up: named loggers per area ("app.bus", "app.live" …), a rotating file under
data/logs/, and a console handler for headless runs and the CLI."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from app import paths

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_configured = False


def get_logger(area: str) -> logging.Logger:
    return logging.getLogger(f"app.{area}")


def setup_logging(*, console: bool = True, level: int = logging.INFO, log_dir: Path | None = None,
                  file_bytes: int = 5_000_000, backups: int = 5) -> Path | None:
    """Configure the "app" logger tree once. Returns the log file path (None if not writable)."""
    global _configured
    root = logging.getLogger("app")
    if _configured:
        return None
    _configured = True
    root.setLevel(level)
    root.propagate = False
    formatter = logging.Formatter(FORMAT)
    from app.config import RedactingFilter  # here, not at the top: app.config logs through us

    redact = RedactingFilter()  # second guard: a secret never reaches a log line
    log_file: Path | None = None
    try:
        folder = log_dir or paths.logs_dir()
        folder.mkdir(parents=True, exist_ok=True)
        log_file = folder / "app.log"
        fh = logging.handlers.RotatingFileHandler(log_file, maxBytes=file_bytes, backupCount=backups,
                                                  encoding="utf-8")
        fh.setFormatter(formatter)
        fh.addFilter(redact)
        root.addHandler(fh)
    except OSError as exc:  # a read-only install still runs; it just logs to the console
        log_file = None
        logging.getLogger("app.logs").warning("cannot write log file: %s", exc)
    if console:
        ch = logging.StreamHandler()
        ch.setFormatter(formatter)
        ch.addFilter(redact)
        root.addHandler(ch)
    info = paths.user_root_info()  # say where config.ini and data/ are, above all when it is not beside the app
    root.getChild("paths").log(logging.WARNING if info.reason else logging.INFO, "%s", paths.describe_user_root())
    return log_file
