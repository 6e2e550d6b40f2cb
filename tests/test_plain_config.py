"""The plain config reader reads exactly what configparser and botocore read."""

import configparser
import io
import shlex
import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credential_process import config, inifile
from credential_process.errors import ConfigError

SPACE = st.sampled_from(["", " ", "  ", "\t", " \t", "\x0c", "\xa0", "\u3000"])
SECTION_NAMES = st.sampled_from([
    "default", "DEFAULT", "profile dev", "profile  dev", "profile\tdev",
    'profile "dev sso"', "profile dev sso", "sso-session my-sso", "services local",
    " profile x ", "a]b", "profile 'q", "", "x\\y",
])
ODD_KEYS = st.sampled_from(["", "key with space", "x#y", "k;", "[k", "K\xe9"])
# Mostly distinct plain keys, because configparser rejects a repeated option.
KEYS = st.one_of(
    st.text(alphabet="abcdeSO_", min_size=1, max_size=8),
    st.sampled_from(["sso_session", "sso_start_url", "SSO_Region", "region"]),
    ODD_KEYS,
)
DELIMITERS = st.sampled_from(["=", ":", " = ", ": ", "==", ":="])
VALUE = st.text(
    alphabet=st.sampled_from(list("ab =:#;[]\"'\\\t") + ["\xe9", "\u3000"]),
    max_size=12,
)
NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])

HEADER_LINE = st.builds("{}[{}]{}".format, SPACE, SECTION_NAMES, SPACE)
OPTION_LINE = st.builds(
    "{}{}{}{}{}{}".format, SPACE, KEYS, SPACE, DELIMITERS, SPACE, VALUE
)
COMMENT_LINE = st.builds("{}{}{}".format, SPACE, st.sampled_from(["#", ";"]), VALUE)
CONTINUATION_LINE = st.builds("  {}{}".format, SPACE, VALUE)
# Option lines are listed three times so that most files have some options.
ANY_LINE = st.one_of(
    HEADER_LINE, OPTION_LINE, OPTION_LINE, OPTION_LINE, COMMENT_LINE, SPACE,
    CONTINUATION_LINE, st.text(max_size=10),
)
RANDOM_TEXT = st.builds(
    lambda first, lines, newline, end: newline.join([first] + lines) + end,
    st.one_of(HEADER_LINE, ANY_LINE), st.lists(ANY_LINE, max_size=16), NEWLINES,
    st.sampled_from(["", "\n"]),
)

# Files that configparser mostly accepts, with unusual spacing, values and comments.
VALID_HEADER_LINE = st.builds(
    "{}[{}]{}".format,
    SPACE,
    st.sampled_from(["default", "profile dev", 'profile "dev sso"', " x ", "s\xe9"]),
    SPACE,
)
VALID_OPTION_LINE = st.builds(
    "{}{}{}{}{}{}".format,
    st.sampled_from(["", "", " ", "\t"]),
    st.text(alphabet="abcdeSO_ ", min_size=1, max_size=8).map(str.strip).filter(bool),
    SPACE, st.sampled_from(["=", ":"]), SPACE, VALUE,
)
VALID_CONTINUATION_LINE = st.builds(
    "{}{}{} = {}".format, st.sampled_from(["  ", "\t", "    "]), SPACE,
    st.sampled_from(["endpoint_url", "max", "Key"]), VALUE,
)
VALID_LINE = st.one_of(
    VALID_HEADER_LINE, VALID_OPTION_LINE, VALID_OPTION_LINE, VALID_OPTION_LINE,
    VALID_CONTINUATION_LINE, COMMENT_LINE, SPACE,
)
VALID_TEXT = st.builds(
    lambda first, lines, newline: newline.join([first] + lines),
    VALID_HEADER_LINE, st.lists(VALID_LINE, max_size=12), NEWLINES,
)
CONFIG_TEXT = st.one_of(RANDOM_TEXT, VALID_TEXT)


def read_with_configparser(text: str):
    """Return configparser's sections of ``text``, or the exception it raised."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_file(io.StringIO(text, newline=None))
    except configparser.Error as error:
        return error
    return {
        section: {option: parser.get(section, option)
                  for option in parser.options(section)}
        for section in parser.sections()
    }


def read_plain(text: str):
    # StringIO with newline=None translates newlines as open() does for files.
    return inifile.parse(io.StringIO(text, newline=None).read())


@settings(max_examples=500, deadline=None)
@given(CONFIG_TEXT)
def test_plain_reader_matches_configparser(text):
    plain = read_plain(text)
    if plain is not None:
        assert plain == read_with_configparser(text)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=CONFIG_TEXT)
def test_plain_reader_matches_botocore(tmp_path, text):
    from botocore.configloader import raw_config_parse

    path = tmp_path / "config"
    path.write_bytes(text.encode("utf-8"))
    plain = inifile.parse(path.read_text(encoding="utf-8"))
    if plain is not None:
        assert plain == raw_config_parse(str(path), parse_subsections=False)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=CONFIG_TEXT)
def test_plain_loader_matches_loader(tmp_path, text):
    path = tmp_path / "config"
    path.write_bytes(text.encode("utf-8"))
    try:
        plain = config.load_plain_config_file(str(path))
    except ConfigError:
        plain = "ConfigError"
    if plain is None:
        return
    try:
        full = config.load_config_file(str(path))
    except ConfigError:
        full = "ConfigError"
    if plain == "ConfigError":
        assert full == "ConfigError"
    else:
        assert vars(plain) == vars(full)


WELL_FORMED_HEADER = st.builds(
    "[{}]".format,
    st.sampled_from(["default", "profile dev", "sso-session my-sso", "services x"]),
)
WELL_FORMED_OPTION = st.builds(
    "{}{}{}{}".format,
    st.sampled_from(["region", "sso_session", "Output"]),
    st.sampled_from([" = ", "=", ": "]),
    st.sampled_from(["eu-west-1", "a # b", "https://x/start", ""]),
    st.sampled_from(["", "\n  endpoint_url = http://127.0.0.1:1"]),
)
WELL_FORMED_SECTION = st.builds(
    lambda header, options, comment: "\n".join([comment, header] + options),
    WELL_FORMED_HEADER,
    st.lists(WELL_FORMED_OPTION, max_size=4, unique_by=lambda line: line[:4]),
    st.sampled_from(["", "# comment", "; comment"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(WELL_FORMED_SECTION, max_size=4,
                unique_by=lambda section: section.split("[")[1].split("]")[0]))
def test_plain_reader_accepts_usual_files(sections):
    text = "\n\n".join(sections) + "\n"
    plain = read_plain(text)
    assert plain is not None
    assert plain == read_with_configparser(text)


HEADER_WITHOUT_QUOTES = st.text(
    alphabet=st.sampled_from(list("profile x-\t\r\n\x0b\xa0")), max_size=14
)


@given(HEADER_WITHOUT_QUOTES)
def test_section_name_split_like_shlex(header):
    parts = shlex.split(header)
    expected = parts[1] if len(parts) == 2 else None
    assert config._section_name(header) == expected


def test_default_section_declined():
    text = "[DEFAULT]\nregion = x\n[profile a]\nsso_session = s\n"
    assert read_plain(text) is None


def test_duplicate_option_declined():
    assert read_plain("[profile a]\nregion = x\nREGION = y\n") is None


def test_continuation_after_blank_line():
    text = textwrap.dedent("""\
        [profile a]
        s3 =
          max_concurrent_requests = 10

          max_queue_size = 5
        region = x
        """)
    plain = read_plain(text)
    assert plain == read_with_configparser(text)
    assert plain["profile a"]["s3"] == (
        "\nmax_concurrent_requests = 10\n\nmax_queue_size = 5"
    )
