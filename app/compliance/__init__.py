"""Advertising-law and platform compliance: word lists, the filter every spoken text passes,
and nickname masking. Importable by any stage (it imports no stage)."""

from app.compliance.filter import (
    ACTIONS,
    DEFAULT_POLICIES,
    ComplianceFilter,
    FilterResult,
    Hit,
    default_lists_dir,
)
from app.compliance.wordlists import WordListError

__all__ = ["ACTIONS", "DEFAULT_POLICIES", "ComplianceFilter", "FilterResult", "Hit",
           "WordListError", "default_lists_dir"]
