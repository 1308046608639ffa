"""Helpers for the config tests: edit one option line of a config text, and an in-memory
keyring backend so secrets are tested without the OS keyring."""

from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend

from app import config


def option_line(text: str, section: str, key: str) -> int:
    """1-based line of ``key = …`` inside ``[section]`` of ``text``."""
    current = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[]")
        elif current == section and stripped.split("=")[0].strip() == key:
            return number
    raise AssertionError(f"[{section}] {key} not in the text")


def set_option(text: str, section: str, key: str, value: str) -> tuple[str, int]:
    """``text`` with that option's value replaced; returns (new text, its line number)."""
    number = option_line(text, section, key)
    lines = text.splitlines(keepends=True)
    lines[number - 1] = f"{key} = {value}\n"
    return "".join(lines), number


@pytest.fixture
def default_text() -> str:
    return config.render_default()


@pytest.fixture
def ini(tmp_path, default_text):
    path = tmp_path / "config.ini"
    path.write_text(default_text, encoding="utf-8")
    return path


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self):
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[service, username] = password

    def delete_password(self, service, username):
        self.store.pop((service, username))


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)
