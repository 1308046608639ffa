"""Reading the operator-editable word lists.

A folder holds one file per category, ``<category>.txt``, and optionally
``<category>.allow.txt`` with exceptions for that category. Format, one entry per line:

    # a comment (a whole line, or after " #" at the end of a line)
    最好 => 很好      a term and its safe replacement (used by the ``replace`` policy)
    顶级              a term without replacement (``replace`` removes it)

Exceptions are ordinary words that contain a term but are not claims: ``最近`` contains ``最``,
``第一次见面`` contains ``第一``. A hit lying wholly inside an exception of its own category is
not a hit. That is how a short, high-recall term such as the single character ``最`` can be
listed without flagging 最近/最后: list the term, and list the everyday words in the allow file.

Terms and exceptions are matched after folding (see ``normalize``), so ``ＶＸ`` in a file is the
same as ``vx`` and ``第壹`` the same as ``第一``.

Sound-alikes live in ``*.map.txt`` files (not a category): ``醉 => 最`` says that 醉 written in
place of 最 inside a listed term is that term (醉好用 is 最好用). A line without ``=>`` is an
everyday word in which the sound-alike means itself (喝醉, 陶醉); a sound-alike inside one of
them never stands for anything. The matcher applies the rule (see ``matcher``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from app.compliance.normalize import skeleton_of

LIST_SUFFIX = ".txt"
ALLOW_SUFFIX = ".allow.txt"
MAP_SUFFIX = ".map.txt"
ARROW = "=>"
_CATEGORY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class WordListError(ValueError):
    """One or more unusable lines in the word lists; ``problems`` are ``file:line:col: …``."""

    def __init__(self, problems: list[str]):
        super().__init__("word list errors:\n" + "\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Term:
    category: str
    term: str  # as written in the file
    key: str  # the folded skeleton it is matched by
    replacement: str | None  # None: no replacement given
    source: str  # "file:line"


@dataclass(frozen=True)
class Allow:
    category: str
    word: str
    key: str
    source: str


@dataclass(frozen=True)
class SoundAlike:
    spelling: str  # as written: 醉, zui
    key: str  # its folded skeleton
    target: str  # the one (folded) character of listed terms it stands in for: 最
    source: str


@dataclass(frozen=True)
class Literal:
    """An everyday word in which a sound-alike means itself (陶醉)."""

    word: str
    key: str
    source: str


@dataclass(frozen=True)
class WordLists:
    terms: tuple[Term, ...]
    allows: tuple[Allow, ...]
    categories: tuple[str, ...]
    files: tuple[Path, ...]  # every file read, for change detection
    sound_alikes: tuple[SoundAlike, ...] = ()
    literals: tuple[Literal, ...] = ()


def _strip_comment(line: str) -> str:
    if line.lstrip().startswith("#"):
        return ""
    # " #" starts a trailing comment; a "#" glued to text (e.g. "#1") is part of the term.
    cut = line.find(" #")
    return line[:cut] if cut >= 0 else line


def _parse_file(path: Path, problems: list[str]) -> list[tuple[str, str | None, int, int]]:
    """(term, replacement, line, col) of each entry."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})")
        return []
    out = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw)
        if not line.strip():
            continue
        col = len(line) - len(line.lstrip()) + 1
        if ARROW in line:
            term, _, repl = line.partition(ARROW)
            term, repl = term.strip(), repl.strip()
            if not term:
                problems.append(f"{path}:{lineno}:{col}: '=>' without a term before it")
                continue
            out.append((term, repl, lineno, col))
        else:
            out.append((line.strip(), None, lineno, col))
    return out


def category_files(folder: Path) -> dict[str, tuple[Path, Path | None]]:
    """category → (list file, allow file or None)."""
    found: dict[str, tuple[Path, Path | None]] = {}
    for path in sorted(folder.glob(f"*{LIST_SUFFIX}")):
        if path.name.endswith((ALLOW_SUFFIX, MAP_SUFFIX)):
            continue
        category = path.name[: -len(LIST_SUFFIX)]
        allow = folder / f"{category}{ALLOW_SUFFIX}"
        found[category] = (path, allow if allow.is_file() else None)
    return found


def load_word_lists(folder: str | Path) -> WordLists:
    """Read every list in ``folder``. Raises WordListError naming each bad line."""
    folder = Path(folder)
    if not folder.is_dir():
        raise WordListError([f"{folder}: word list folder does not exist"])
    problems: list[str] = []
    terms: list[Term] = []
    allows: list[Allow] = []
    files: list[Path] = []
    cats = category_files(folder)
    for category, (list_path, allow_path) in cats.items():
        if not _CATEGORY_NAME.match(category):
            problems.append(f"{list_path}: category name {category!r} must be lower-case "
                            "letters, digits and _ (it is used as a config key)")
            continue
        files.append(list_path)
        for term, repl, lineno, col in _parse_file(list_path, problems):
            key = skeleton_of(term)
            if not key:
                problems.append(f"{list_path}:{lineno}:{col}: term {term!r} has no letters or "
                                "digits, so it can never match")
                continue
            terms.append(Term(category, term, key, repl, f"{list_path}:{lineno}"))
        if allow_path is not None:
            files.append(allow_path)
            for word, repl, lineno, col in _parse_file(allow_path, problems):
                if repl is not None:
                    problems.append(f"{allow_path}:{lineno}:{col}: exceptions take no "
                                    "replacement ('=>')")
                    continue
                key = skeleton_of(word)
                if key:
                    allows.append(Allow(category, word, key, f"{allow_path}:{lineno}"))
    for path in sorted(folder.glob(f"*{ALLOW_SUFFIX}")):
        if path.name[: -len(ALLOW_SUFFIX)] not in cats:
            problems.append(f"{path}: exceptions for a category that has no list "
                            f"({path.name[: -len(ALLOW_SUFFIX)]}{LIST_SUFFIX} is missing)")
    sound_alikes, literals = _load_maps(folder, problems, files)
    if problems:
        raise WordListError(problems)
    return WordLists(tuple(terms), tuple(allows), tuple(cats), tuple(files), sound_alikes, literals)


def _load_maps(folder: Path, problems: list[str],
               files: list[Path]) -> tuple[tuple[SoundAlike, ...], tuple[Literal, ...]]:
    """Sound-alikes and everyday words of every ``*.map.txt`` in ``folder``."""
    sound_alikes: list[SoundAlike] = []
    words: list[tuple[Literal, Path, int, int]] = []
    for path in sorted(folder.glob(f"*{MAP_SUFFIX}")):
        files.append(path)
        for left, right, lineno, col in _parse_file(path, problems):
            where = f"{path}:{lineno}:{col}"
            key = skeleton_of(left)
            if not key:
                problems.append(f"{where}: {left!r} has no letters or digits, so it can never match")
                continue
            if right is None:
                words.append((Literal(left, key, f"{path}:{lineno}"), path, lineno, col))
                continue
            target = skeleton_of(right)
            if len(target) != 1:
                problems.append(f"{where}: after '=>' write the one character it stands for "
                                f"(got {right!r})")
            elif target == key:
                problems.append(f"{where}: {left!r} and {right!r} are already the same after "
                                "folding (width, case, traditional forms and numerals are folded "
                                "anyway); remove the line")
            else:
                sound_alikes.append(SoundAlike(left, key, target, f"{path}:{lineno}"))
    spellings = [a.key for a in sound_alikes]
    literals = []
    for literal, path, lineno, col in words:
        if any(k in literal.key for k in spellings):
            literals.append(literal)
        else:
            problems.append(f"{path}:{lineno}:{col}: everyday word {literal.word!r} contains none "
                            "of the sound-alikes (left of '=>') in the map files, so it has no "
                            "effect")
    return tuple(sound_alikes), tuple(literals)
