"""Command line: argument parsing, logging, and mapping failures to exit codes.

The default command prints credentials for ``credential_process``; subcommands
manage logins. Every failure is a CredentialProcessError with its exit code, and
is reported as one message on stderr; a traceback appears only with ``--debug``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from . import __version__
from .errors import EXIT_UNEXPECTED, ConfigError, CredentialProcessError

PROGRAM = "sso-credential-process"

EXIT_CODES_HELP = """exit codes:
  0  success
  1  unexpected error
  2  invalid usage or configuration
  3  login required (run the login command it prints)
  4  the service refused (access denied, invalid client, unknown account or role)
  5  network failure, timeout, the service unavailable, or an invalid response
"""


def add_selection_arguments(parser, with_role: bool) -> None:
    """Add the options that select an SSO session (and a role) to ``parser``."""
    group = parser.add_argument_group("SSO settings (options override the profile)")
    group.add_argument("--profile", help="profile in the AWS config file to read")
    group.add_argument("--sso-session", help="[sso-session NAME] section to use")
    group.add_argument("--start-url", help="AWS access portal URL (sso_start_url)")
    group.add_argument("--sso-region", help="IAM Identity Center region (sso_region)")
    if with_role:
        group.add_argument("--account-id", help="AWS account id (sso_account_id)")
        group.add_argument("--role-name", help="permission set role (sso_role_name)")


def add_logging_arguments(parser) -> None:
    # SUPPRESS keeps a subcommand's parser from resetting -v or --debug given
    # before the subcommand name; build_parser sets the real defaults once.
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log progress to stderr",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="like --verbose, and also name the logger of each line and show "
        "tracebacks (tokens and keys are never logged)",
    )


def build_parser() -> argparse.ArgumentParser:
    from .commands import SUBCOMMANDS, load_command

    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Print AWS credentials from IAM Identity Center for "
        "credential_process, sharing the AWS CLI's SSO caches.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=__version__)
    add_selection_arguments(parser, with_role=True)
    parser.add_argument(
        "--no-login",
        action="store_true",
        help="never start an interactive login; exit 3 with the command to run",
    )
    add_logging_arguments(parser)
    parser.set_defaults(verbose=False, debug=False)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        load_command(name).add_parser(subparsers)
    return parser


def add_command_parser(subparsers, name: str, help_text: str):
    """Add a subcommand parser that shows the exit codes in its help."""
    return subparsers.add_parser(
        name,
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


class _RedactingFilter(logging.Filter):
    """Masks secrets in log records, in case a library logs a request or response."""

    def filter(self, record: logging.LogRecord) -> bool:
        from .redact import redact

        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(verbose: bool, debug: bool) -> None:
    level_name = os.environ.get("SSO_CREDENTIAL_PROCESS_LOG_LEVEL", "").upper()
    level = logging.WARNING
    if level_name in ("DEBUG", "INFO", "WARNING", "ERROR"):
        level = getattr(logging, level_name)
    if verbose:
        level = min(level, logging.INFO)
    if debug:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RedactingFilter())
    if level <= logging.DEBUG:
        handler.setFormatter(
            logging.Formatter(f"{PROGRAM}: %(levelname)s %(name)s: %(message)s")
        )
    else:
        handler.setFormatter(logging.Formatter(f"{PROGRAM}: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # botocore logs whole requests and responses at DEBUG, bearer tokens and role
    # credentials included, so it never goes below INFO here.
    for noisy in ("botocore", "urllib3", "filelock"):
        logging.getLogger(noisy).setLevel(max(level, logging.INFO))
    if level_name and level_name not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        logging.getLogger(__name__).warning(
            "Ignoring SSO_CREDENTIAL_PROCESS_LOG_LEVEL=%s: expected debug, info, "
            "warning or error.", level_name.lower(),
        )


def run(argv) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    debug = bool(getattr(arguments, "debug", False))
    configure_logging(bool(getattr(arguments, "verbose", False)), debug)
    try:
        return dispatch(arguments)
    except CredentialProcessError as error:
        return report(error, error.exit_code, debug)
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROGRAM}: interrupted\n")
        return 130
    except Exception as error:  # The last resort: one message, no traceback.
        if debug:
            return report(error, EXIT_UNEXPECTED, debug)
        return report(
            f"unexpected error: {type(error).__name__}: {error}. Run again with "
            "--debug for details.",
            EXIT_UNEXPECTED,
            debug,
        )


def report(error, exit_code: int, debug: bool) -> int:
    from .redact import redact

    if debug and isinstance(error, BaseException):
        import traceback

        lines = traceback.format_exception(type(error), error, error.__traceback__)
        sys.stderr.write(redact("".join(lines)))
    sys.stderr.write(f"{PROGRAM}: {redact(str(error))}\n")
    sys.stderr.flush()
    return exit_code


def dispatch(arguments) -> int:
    from .commands import load_command

    return load_command(arguments.command or "credentials").run(arguments)


def follow_credential_process(config_file, arguments):
    """Return the selection that a profile's credential_process line passes to us.

    ``login --profile dev`` names the profile SDKs use, whose only key may be
    ``credential_process = sso-credential-process --profile dev-sso``; the login
    is for the SSO settings that line selects. Other selections are returned as is.
    """
    from . import sessions

    if not arguments.profile or arguments.sso_session or arguments.start_url:
        return arguments
    values = config_file.profiles.get(arguments.profile) or {}
    if values.get("sso_session") or values.get("sso_start_url"):
        return arguments
    options = sessions.tool_options(values.get("credential_process"))
    if not options or not (options.get("profile") or options.get("sso_session")
                           or options.get("start_url")):
        return arguments
    if options.get("profile") == arguments.profile:
        return arguments
    logging.getLogger(__name__).info(
        "Using the SSO settings that the credential_process of profile %s selects",
        arguments.profile,
    )
    followed = argparse.Namespace(**vars(arguments))
    followed.profile = options.get("profile")
    followed.sso_session = options.get("sso_session")
    followed.start_url = options.get("start_url")
    followed.sso_region = options.get("sso_region") or arguments.sso_region
    return followed


def selection(arguments, require_role: bool):
    """Return SsoSettings from the command-line options and the config file."""
    from . import config

    if not (arguments.profile or arguments.sso_session or arguments.start_url):
        raise ConfigError(
            "No SSO settings given. Pass --profile P, --sso-session S, or "
            "--start-url U with --sso-region R"
            + (" (with --account-id A --role-name R)." if require_role else ".")
        )
    if arguments.start_url and not arguments.sso_region and not (
        arguments.profile or arguments.sso_session
    ):
        raise ConfigError("--start-url needs --sso-region as well.")
    config_file = config.read_config_file(config.config_file_path())
    if not require_role:
        arguments = follow_credential_process(config_file, arguments)
    settings = config.resolve_settings(
        config_file,
        profile=arguments.profile,
        sso_session=arguments.sso_session,
        start_url=arguments.start_url,
        sso_region=arguments.sso_region,
        account_id=getattr(arguments, "account_id", None),
        role_name=getattr(arguments, "role_name", None),
        require_role=require_role,
    )
    from . import clockskew

    clockskew.use_session(settings.cache_identity)
    return settings

