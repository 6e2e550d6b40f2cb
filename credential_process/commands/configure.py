"""The configure command: write credential_process profiles for the user's roles.

``configure populate`` writes one profile per account and role the portal lists;
``configure profile`` writes one. Each profile's only credential key is a
``credential_process`` line that runs this tool by its absolute path, plus the
marker key ``sso_credential_process_generated = true`` (botocore ignores unknown
keys), so that ``--prune`` removes only profiles this command wrote.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys

from .. import cli
from ..errors import ConfigError

log = logging.getLogger(__name__)

MARKER_KEY = "sso_credential_process_generated"
DEFAULT_TEMPLATE = "{session}-{account_name}-{role_name}"


def add_parser(subparsers) -> None:
    parser = cli.add_command_parser(
        subparsers, "configure", "write credential_process profiles for your "
        "accounts and roles"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    populate = actions.add_parser(
        "populate", help="write a profile for every account and role you can use",
        description="Write a profile for every account and role you can use.",
    )
    _add_common(populate)
    populate.add_argument(
        "--profile-template", default=DEFAULT_TEMPLATE,
        help="profile name pattern with {session}, {account_id}, {account_name} "
        f"and {{role_name}} (default: {DEFAULT_TEMPLATE})".replace("{{", "{"),
    )
    populate.add_argument(
        "--prune", action="store_true",
        help="remove profiles this command wrote for roles you can no longer use",
    )
    single = actions.add_parser(
        "profile", help="write a profile for one account and role (a picker on a "
        "terminal when they are not given)",
        description="Write a profile for one account and role.",
    )
    _add_common(single)
    single.add_argument("--account-id", help="AWS account id")
    single.add_argument("--role-name", help="permission set role name")
    single.add_argument("--profile-name", help="name of the profile to write")


def _add_common(parser) -> None:
    parser.add_argument("--sso-session", required=True,
                        help="[sso-session NAME] section whose roles to use")
    parser.add_argument("--region", help="region key to write into each profile")
    cli.add_logging_arguments(parser)


def run(arguments) -> int:
    from .. import accounts, config, configedit
    from ..clients import ClientFactory
    from ..errors import EXIT_OK
    from ..tokens import LoginPolicy, TokenResolver

    if getattr(arguments, "profile_name", None) is not None:
        configedit.check_profile_name(arguments.profile_name, "--profile-name")
    settings = config.resolve_settings(
        config.load_config_file(config.config_file_path()),
        sso_session=arguments.sso_session, require_role=False,
    )
    factory = ClientFactory(None)
    resolver = TokenResolver(settings, factory, LoginPolicy(False, lambda: None))
    portal = factory.create("sso", settings.sso_region)
    roles = accounts.list_roles(portal, settings, resolver.access_token())
    text = configedit.ConfigText(config.config_file_path())
    if arguments.action == "populate":
        changes = populate(text, settings, roles, arguments)
    else:
        changes = write_one(text, settings, roles, arguments)
    if text.save():
        for line in changes:
            _say(line)
        _say(f"Wrote {text.path} (previous version in {text.path}"
             f"{configedit.BACKUP_SUFFIX}).")
    else:
        _say(f"{text.path} is up to date.")
    return EXIT_OK


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def tool_command_line() -> str:
    """Return the command that runs this tool, absolute, for credential_process.

    SDKs split the line with shlex (botocore) or Windows rules and run it without a
    shell, so the path is absolute and double-quoted when it contains spaces.
    """
    words = _tool_words()
    for word in words:
        if '"' in word:
            raise ConfigError(
                f'The path {word} contains a double quote, which credential_process '
                "lines cannot carry. Install the tool under another path."
            )
    return " ".join(f'"{word}"' if any(c.isspace() for c in word) else word
                    for word in words)


def _tool_words() -> list:
    invoked = sys.argv[0]
    if os.path.basename(invoked).startswith("sso-credential-process"):
        path = invoked if os.sep in invoked else shutil.which(invoked)
        if path and os.access(path, os.X_OK):
            return [os.path.abspath(path)]
    script = os.path.join(os.path.dirname(sys.executable), "sso-credential-process")
    if os.access(script, os.X_OK):
        return [script]
    return [os.path.abspath(sys.executable), "-m", "credential_process"]


def profile_values(settings, account_id: str, role_name: str, region) -> dict:
    values = {
        "credential_process": (
            f"{tool_command_line()} --sso-session {settings.session_name} "
            f"--account-id {account_id} --role-name {role_name}"
        ),
    }
    if region:
        values["region"] = region
    values[MARKER_KEY] = "true"
    return values


def _write_profile(text, name: str, values: dict, changes: list) -> bool:
    """Add or update one generated profile; return False if the name is taken."""
    section = text.profile(name)
    lines = text.render_profile(name, values)
    if section is None:
        text.append(lines)
        changes.append(f"Added profile {name}")
        return True
    if text.profile_values(section).get(MARKER_KEY) != "true":
        changes.append(f"Skipped profile {name}: it exists and was not written by "
                       "this command")
        return False
    if text.profile_values(section) != values:
        text.replace(section, lines)
        changes.append(f"Updated profile {name}")
    return True


def populate(text, settings, roles, arguments) -> list:
    from .. import configedit

    changes = []
    wanted = set()
    for role in roles:
        name = configedit.safe_profile_name(_format(arguments.profile_template, {
            "session": settings.session_name, "account_id": role["accountId"],
            "account_name": role["accountName"], "role_name": role["roleName"],
        }))
        wanted.add((role["accountId"], role["roleName"]))
        values = profile_values(settings, role["accountId"], role["roleName"],
                                arguments.region)
        _write_profile(text, name, values, changes)
    if arguments.prune:
        changes += prune(text, settings, wanted)
    return changes


def _format(template: str, fields: dict) -> str:
    try:
        return template.format(**fields)
    except (KeyError, IndexError, ValueError) as error:
        raise ConfigError(
            f"The --profile-template {template!r} is invalid ({error}). Use the "
            "fields {session}, {account_id}, {account_name} and {role_name}."
        ) from None


def prune(text, settings, wanted: set) -> list:
    """Remove generated profiles of this session for roles no longer listed."""
    from .. import sessions

    changes = []
    for section in reversed(text.sections()):
        values = text.profile_values(section)
        if values.get(MARKER_KEY) != "true" or section.profile_name is None:
            continue
        options = sessions.tool_options(values.get("credential_process")) or {}
        if options.get("sso_session") != settings.session_name:
            continue
        pair = (options.get("account_id"), options.get("role_name"))
        if pair in wanted:
            continue
        text.remove(section)
        changes.append(f"Removed profile {section.profile_name} (no access to role "
                       f"{pair[1]} in account {pair[0]})")
    return changes


def write_one(text, settings, roles, arguments) -> list:
    from .. import configedit

    matching = [
        role for role in roles
        if arguments.account_id in (None, role["accountId"])
        and arguments.role_name in (None, role["roleName"])
    ]
    if not matching:
        raise ConfigError(
            f"No role matches --account-id {arguments.account_id or '(any)'} "
            f"--role-name {arguments.role_name or '(any)'} for "
            f"{settings.description}. Run sso-credential-process configure profile "
            f"--sso-session {settings.session_name} on a terminal to pick one."
        )
    role = matching[0] if len(matching) == 1 else pick(matching, settings)
    name = arguments.profile_name
    if name is None:
        name = configedit.safe_profile_name(_format(DEFAULT_TEMPLATE, {
            "session": settings.session_name, "account_id": role["accountId"],
            "account_name": role["accountName"], "role_name": role["roleName"],
        }))
    changes = []
    values = profile_values(settings, role["accountId"], role["roleName"],
                            arguments.region)
    if not _write_profile(text, name, values, changes):
        raise ConfigError(
            f"The profile {name} already exists in {text.path} and was not written "
            "by this command. Pass --profile-name with another name."
        )
    return changes


def pick(roles, settings) -> dict:
    """Ask on the terminal which role to write; return it."""
    try:
        descriptor = os.open("/dev/tty", os.O_RDWR | getattr(os, "O_NOCTTY", 0))
    except OSError:
        raise ConfigError(
            f"{len(roles)} roles match for {settings.description} and there is no "
            "terminal to pick one. Pass --account-id and --role-name."
        ) from None
    # A terminal cannot seek, so reads and writes get their own buffered streams.
    terminal = _TerminalStreams(descriptor)
    with terminal:
        terminal.write(f"Roles you can use in {settings.description}:\n")
        for number, role in enumerate(roles, 1):
            terminal.write(f"  {number:>3}) {role['accountId']}  "
                           f"{role['accountName']}  {role['roleName']}\n")
        for _ in range(3):
            terminal.write(f"Number of the role to write [1-{len(roles)}]: ")
            terminal.flush()
            line = terminal.readline()
            if not line:
                # End of input (Ctrl-D) cancels the command as Ctrl-C does.
                terminal.write("\n")
                raise KeyboardInterrupt
            answer = line.strip()
            if answer.isdigit() and 1 <= int(answer) <= len(roles):
                return roles[int(answer) - 1]
            terminal.write(f"{answer!r} is not a number from 1 to {len(roles)}.\n")
    raise ConfigError("No role was picked. Run the command again, or pass "
                      "--account-id and --role-name.")


class _TerminalStreams:
    """Line reads and flushed writes on one terminal descriptor."""

    def __init__(self, descriptor: int):
        self._descriptor = descriptor
        self._reader = os.fdopen(os.dup(descriptor), "r", encoding="utf-8",
                                 errors="replace")

    def write(self, text: str) -> None:
        os.write(self._descriptor, text.encode("utf-8"))

    def flush(self) -> None:
        pass

    def readline(self) -> str:
        return self._reader.readline()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._reader.close()
        os.close(self._descriptor)
