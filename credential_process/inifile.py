"""Read plain AWS config files without configparser, which imports ``re``.

``parse`` returns what ``configparser.RawConfigParser`` (the parser botocore uses,
with its default settings) reads from the same text: ``{section: {option:
value}}`` with option names in lower case and multi-line values joined. It
returns None for text outside the subset it handles, so the caller parses the
file with configparser, which also reports the errors:

* a ``[DEFAULT]`` section, whose options configparser adds to every section;
* a line starting with ``[`` that is not exactly ``[name]`` with no ``]`` inside;
* an option line with no ``=`` or ``:``, or with an empty name;
* an option before the first section header;
* a section or an option (within one section) given twice.

Tests compare ``parse`` with configparser and botocore on generated files.
"""

from __future__ import annotations

COMMENT_PREFIXES = ("#", ";")
DEFAULT_SECTION = "DEFAULT"


def parse(text: str):
    """Return the sections of ``text`` as configparser reads them, or None.

    ``text`` must have universal newlines already, as ``open()`` in text mode
    returns it, because configparser reads the file's lines after that translation.
    """
    sections = {}
    options = None  # The current section: option name -> list of value lines.
    option = None  # The option that indented lines continue.
    indent_level = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(COMMENT_PREFIXES):
            # Comment lines neither end a value nor change the indent level.
            continue
        if not stripped:
            # Blank lines belong to a value that continues after them.
            if option is not None:
                options[option].append("")
            continue
        indent = len(line) - len(line.lstrip())
        if option is not None and indent > indent_level:
            options[option].append(stripped)
            continue
        indent_level = indent
        if stripped.startswith("["):
            name = _section_header(stripped)
            if name is None or name == DEFAULT_SECTION or name in sections:
                return None
            options = sections[name] = {}
            option = None
            continue
        if options is None:
            return None
        option, value = _split_option(stripped)
        if option is None or option in options:
            return None
        options[option] = [value]
    return {
        name: {key: "\n".join(lines).rstrip() for key, lines in values.items()}
        for name, values in sections.items()
    }


def _section_header(stripped: str):
    """Return the name in ``[name]``, or None for any other use of brackets."""
    name = stripped[1:-1]
    if not stripped.endswith("]") or not name or "]" in name:
        return None
    return name


def _split_option(stripped: str):
    """Split ``name = value`` (or ``name: value``) at the first ``=`` or ``:``.

    Returns (lower-case name, value), or (None, None) if there is no delimiter or
    the name is empty.
    """
    equals, colon = stripped.find("="), stripped.find(":")
    positions = [position for position in (equals, colon) if position >= 0]
    if not positions:
        return None, None
    delimiter = min(positions)
    name = stripped[:delimiter].rstrip()
    if not name:
        return None, None
    return name.lower(), stripped[delimiter + 1 :].strip()
