"""Edit profiles in the AWS config file and leave every other byte alone.

configparser would rewrite the whole file, dropping comments and reordering keys,
so edits work on lines: a section runs from its ``[header]`` to its last key line,
and only the sections being added, replaced or removed change. The new file is
written to a temporary file in the same directory, flushed to disk and renamed
over the old one with the old mode. The previous content is kept as ``config.bak``.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile

from .errors import ConfigError

HEADER = re.compile(r"^\s*\[([^\]]*)\]")
# Profile names that need no quoting in a section header or on a command line.
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
# Characters rejected in profile names: brackets delimit the section header, and
# botocore splits the header with shlex.split, which removes quotes and backslashes.
HEADER_SPECIAL = "[]\"'\\"
BACKUP_SUFFIX = ".bak"


class Section:
    def __init__(self, header: str, start: int, end: int):
        self.header = header
        self.start = start  # index of the header line
        self.end = end  # index after the last key or continuation line

    @property
    def profile_name(self):
        if self.header == "default":
            return "default"
        try:
            words = shlex.split(self.header)
        except ValueError:
            return None
        if len(words) == 2 and words[0] == "profile":
            return words[1]
        return None


class ConfigText:
    """The config file as lines that keep their own line endings."""

    def __init__(self, path: str):
        self.path = path
        try:
            with open(path, encoding="utf-8", newline="") as stream:
                self.original = stream.read()
        except FileNotFoundError:
            self.original = ""
        except OSError as error:
            raise ConfigError(f"Unable to read {path}: {error.strerror}.") from None
        self.lines = self.original.splitlines(keepends=True)
        self.newline = "\r\n" if "\r\n" in self.original else "\n"

    def sections(self) -> list:
        found = []
        for index, line in enumerate(self.lines):
            match = HEADER.match(line)
            if match:
                found.append(Section(match.group(1).strip(), index, index + 1))
            elif found and line.strip() and not line.lstrip().startswith(("#", ";")):
                found[-1].end = index + 1
        return found

    def profile(self, name: str):
        for section in self.sections():
            if section.profile_name == name:
                return section
        return None

    def profile_values(self, section: Section) -> dict:
        """Return the top-level keys of a section (indented lines are skipped)."""
        values = {}
        for line in self.lines[section.start + 1: section.end]:
            if line[:1].isspace() or line.lstrip().startswith(("#", ";")):
                continue
            key, separator, value = line.partition("=")
            if separator:
                values[key.strip()] = value.strip()
        return values

    def render_profile(self, name: str, values: dict) -> list:
        header = f'"{name}"' if " " in name else name
        lines = [f"[profile {header}]"] + [f"{key} = {value}" for key, value in
                                           values.items()]
        return [line + self.newline for line in lines]

    def replace(self, section: Section, lines: list) -> None:
        self.lines[section.start: section.end] = lines

    def remove(self, section: Section) -> None:
        end = section.end
        while end < len(self.lines) and not self.lines[end].strip():
            end += 1
        self.lines[section.start: end] = []

    def append(self, lines: list) -> None:
        if self.lines and not self.lines[-1].endswith(("\n", "\r")):
            self.lines[-1] += self.newline
        if self.lines and self.lines[-1].strip():
            self.lines.append(self.newline)
        self.lines.extend(lines)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def save(self) -> bool:
        """Write the edited file atomically; return False when nothing changed."""
        if self.text == self.original:
            return False
        mode = 0o600
        try:
            mode = os.stat(self.path).st_mode & 0o777
        except FileNotFoundError:
            pass
        directory = os.path.dirname(os.path.abspath(self.path))
        if self.original:
            _write_atomic(self.path + BACKUP_SUFFIX, self.original, mode, directory)
        _write_atomic(self.path, self.text, mode, directory)
        return True


def _write_atomic(path: str, text: str, mode: int, directory: str) -> None:
    os.makedirs(directory, mode=0o700, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            os.fchmod(stream.fileno(), mode)
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise ConfigError(f"Unable to write {path}: {error.strerror}.") from None


def safe_profile_name(name: str) -> str:
    return SAFE_NAME.sub("-", name).strip("-") or "profile"


def check_profile_name(name: str, option: str) -> None:
    """Raise ConfigError unless botocore reads [profile NAME] back as NAME."""
    problem = _profile_name_problem(name)
    if problem:
        raise ConfigError(
            f"The {option} {name!r} is invalid: {problem}. A profile name may "
            "contain letters, digits, spaces and punctuation except "
            f"{' '.join(HEADER_SPECIAL)}, and no control characters. It must not "
            "start or end with a space."
        )


def _profile_name_problem(name: str):
    if not name:
        return "it is empty"
    if not name.isprintable():
        return "it contains a control or other non-printable character"
    special = sorted({character for character in name if character in HEADER_SPECIAL})
    if special:
        return f"it contains {' '.join(special)}"
    if name != name.strip():
        return "it starts or ends with a space"
    return None
