"""The exchange command: identity-enhanced credentials through CreateTokenWithIAM."""

from __future__ import annotations

import json

from .. import cli


def add_parser(subparsers) -> None:
    parser = cli.add_command_parser(
        subparsers,
        "exchange",
        "print identity-enhanced role credentials for a trusted token issuer's "
        "token (trusted identity propagation)",
    )
    group = parser.add_argument_group(
        "exchange settings (options override the sso_credential_process_* keys of "
        "the profile)"
    )
    group.add_argument("--profile", help="profile whose sso_credential_process_* "
                       "keys hold the settings")
    group.add_argument("--application-arn", help="ARN of the IAM Identity Center "
                       "application that trusts the token issuer")
    group.add_argument("--role-arn", help="ARN of the IAM role to assume")
    group.add_argument("--sso-region", help="IAM Identity Center region")
    source = group.add_mutually_exclusive_group()
    source.add_argument("--assertion-file", metavar="FILE",
                        help="file holding the issuer's JWT")
    source.add_argument("--assertion-env", metavar="VARIABLE",
                        help="environment variable holding the issuer's JWT")
    source.add_argument("--assertion-process", metavar="COMMAND",
                        help="command that prints the issuer's JWT (run without a "
                        "shell)")
    group.add_argument("--source-profile", help="profile with the application's IAM "
                       "credentials (default: the default credential chain)")
    group.add_argument("--role-session-name", help="role session name (default: "
                       "sso-credential-process)")
    group.add_argument("--duration-seconds", metavar="SECONDS",
                       help="role session duration in seconds, 900 to 43200 "
                       "(default: the STS default of 3600)")
    parser.add_argument(
        "--print-token",
        action="store_true",
        help="print the Identity Center access token as JSON (accessToken, "
        "expiresAt) instead of role credentials",
    )
    cli.add_logging_arguments(parser)


def run(arguments) -> int:
    from .. import output
    from ..errors import EXIT_OK
    from ..tip import flow, settings

    require_role = not arguments.print_token
    exchange_settings = settings.resolve(arguments, require_role=require_role)
    if arguments.print_token:
        record = flow.access_token(exchange_settings)
        document = {"accessToken": record["accessToken"],
                    "expiresAt": record["expiresAt"]}
        output.write_stdout(json.dumps(document) + "\n")
        return EXIT_OK
    credentials = flow.role_credentials(exchange_settings)
    output.write_stdout(output.format_credentials(credentials))
    return EXIT_OK
