"""The script stage: loops product scripts as SCRIPT speech requests (see scheduler.py)."""

from app.script.scheduler import ScriptScheduler

__all__ = ["ScriptScheduler"]
