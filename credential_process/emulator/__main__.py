"""Run the emulator until SIGTERM or SIGINT and print its URL as one JSON line."""

import argparse
import json
import logging
import signal
import ssl
import sys
import threading
from typing import List, Optional

from .emulator import Emulator
from .state import AUTHORIZE_MODES, REFRESH_TOKEN_MODES


def parse_arguments(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m credential_process.emulator",
        description="Serve emulated SSO OIDC, SSO portal and STS endpoints on "
        "a loopback address.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="IPv4 loopback address")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0 picks one)")
    parser.add_argument("--user-name", default="user@example.com")
    parser.add_argument(
        "--certfile",
        help="PEM certificate chain: serve HTTPS with it instead of HTTP",
    )
    parser.add_argument(
        "--keyfile", help="PEM private key of --certfile (default: in --certfile)"
    )

    parser.add_argument("--access-token-ttl", type=float, help="seconds")
    parser.add_argument("--role-credentials-ttl", type=float, help="seconds")
    parser.add_argument("--registration-ttl", type=float, help="seconds")
    parser.add_argument("--device-code-ttl", type=float, help="seconds")
    parser.add_argument("--device-poll-interval", type=int, help="seconds")

    parser.add_argument(
        "--no-auto-approve",
        dest="auto_approve",
        action="store_false",
        default=None,
        help="leave device authorizations pending (they are approved at once by "
        "default) until GET /device?user_code=CODE or POST /_emulator/approve",
    )
    parser.add_argument(
        "--approve-after-polls",
        type=int,
        help="AuthorizationPendingException responses before a device "
        "authorization approves itself",
    )
    parser.add_argument(
        "--no-rotate-refresh-tokens",
        dest="rotate_refresh_tokens",
        action="store_false",
        default=None,
        help="return the same refresh token instead of a new one",
    )
    parser.add_argument("--issue-refresh-tokens", choices=REFRESH_TOKEN_MODES)
    parser.add_argument(
        "--enforce-poll-interval",
        action="store_true",
        default=None,
        help="respond with SlowDownException to polls faster than the interval",
    )
    parser.add_argument("--authorize-mode", choices=AUTHORIZE_MODES)

    parser.add_argument("--clock-offset", type=float, help="seconds added to the clock")
    parser.add_argument("--log-level", default="WARNING", help="logging level name")
    return parser.parse_args(argv)


SETTING_ARGUMENTS = (
    "access_token_ttl",
    "role_credentials_ttl",
    "registration_ttl",
    "device_code_ttl",
    "device_poll_interval",
    "auto_approve",
    "approve_after_polls",
    "rotate_refresh_tokens",
    "issue_refresh_tokens",
    "enforce_poll_interval",
    "authorize_mode",
    "clock_offset",
)


def server_tls_context(
    certfile: Optional[str], keyfile: Optional[str]
) -> Optional[ssl.SSLContext]:
    """Return a server TLS context for ``certfile``, or None to serve plain HTTP."""
    if certfile is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    return context


def main(argv: Optional[List[str]] = None) -> int:
    arguments = parse_arguments(argv)
    logging.basicConfig(level=arguments.log_level.upper(), stream=sys.stderr)
    if not 0 <= arguments.port <= 65535:
        print(f"emulator: invalid port {arguments.port}: expected 0 to 65535",
              file=sys.stderr)
        return 2
    settings = {
        name: getattr(arguments, name)
        for name in SETTING_ARGUMENTS
        if getattr(arguments, name) is not None
    }
    if arguments.keyfile and not arguments.certfile:
        print("emulator: --keyfile requires --certfile", file=sys.stderr)
        return 2
    try:
        tls_context = server_tls_context(arguments.certfile, arguments.keyfile)
    except (OSError, ssl.SSLError) as error:
        print(f"emulator: cannot load the certificate {arguments.certfile}: {error}",
              file=sys.stderr)
        return 2
    try:
        emulator = Emulator(
            user_name=arguments.user_name, host=arguments.host, tls_context=tls_context
        )
        emulator.configure(**settings)
    except ValueError as error:
        print(f"emulator: {error}", file=sys.stderr)
        return 2

    stop_requested = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop_requested.set())
    emulator.start(port=arguments.port)
    try:
        print(json.dumps({"url": emulator.url}), flush=True)
        while not stop_requested.wait(1.0):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
