"""Logging set-up: named loggers per area ("app.bus", "app.live" …), a rotating file under
data/logs/, and a console handler for headless runs and the CLI."""

from __future__ import annotations

import json
import logging
import logging.handlers
from pathlib import Path

from app import paths
from app.redaction import RedactingFilter

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_configured = False


def get_logger(area: str) -> logging.Logger:
    return logging.getLogger(f"app.{area}")


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record ({"level", "name", "msg"}, traceback included in "msg"): how a
    run started by the desktop app hands its log to the app, which files it with its own."""

    def format(self, record: logging.LogRecord) -> str:
        msg = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:  # RedactingFilter may have set it, secrets removed: use that one
            msg += "\n" + record.exc_text
        return json.dumps({"level": record.levelno, "name": record.name, "msg": msg}, ensure_ascii=False)


def setup_logging(*, console: bool = True, level: int = logging.INFO, log_dir: Path | None = None,
                  file_bytes: int = 5_000_000, backups: int = 5, to_file: bool = True,
                  console_json: bool = False) -> Path | None:
    """Configure the "app" logger tree once. Returns the log file path (None if not writable
    or ``to_file`` is off). ``console_json``: the console gets ``JsonLineFormatter`` lines."""
    global _configured
    root = logging.getLogger("app")
    if _configured:
        return None
    _configured = True
    root.setLevel(level)
    root.propagate = False
    formatter = logging.Formatter(FORMAT)
    redact = RedactingFilter()  # second guard: a secret never reaches a log line
    log_file = _add_file_handler(root, log_dir, file_bytes, backups, formatter, redact) if to_file else None
    if console:
        ch = logging.StreamHandler()
        ch.setFormatter(JsonLineFormatter() if console_json else formatter)
        ch.addFilter(redact)
        root.addHandler(ch)
    info = paths.user_root_info()  # say where config.ini and data/ are, above all when it is not beside the app
    root.getChild("paths").log(logging.WARNING if info.reason else logging.INFO, "%s", paths.describe_user_root())
    return log_file


def _add_file_handler(root: logging.Logger, log_dir: Path | None, file_bytes: int, backups: int,
                      formatter: logging.Formatter, redact: logging.Filter) -> Path | None:
    try:
        folder = log_dir or paths.logs_dir()
        folder.mkdir(parents=True, exist_ok=True)
        log_file = folder / "app.log"
        fh = logging.handlers.RotatingFileHandler(log_file, maxBytes=file_bytes, backupCount=backups,
                                                  encoding="utf-8")
    except OSError as exc:  # a read-only install still runs; it just logs to the console
        logging.getLogger("app.logs").warning("cannot write log file: %s", exc)
        return None
    fh.setFormatter(formatter)
    fh.addFilter(redact)
    root.addHandler(fh)
    return log_file
