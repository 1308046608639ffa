"""Kept for the imports that name it; the implementation is app/fileio.py."""

from app.fileio import read_text, write_text_atomic

__all__ = ["read_text", "write_text_atomic"]
