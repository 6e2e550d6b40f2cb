"""A full login and credential fetch against the built-in emulator.

Everything happens in a temporary HOME with a throwaway config file; the
emulator listens on 127.0.0.1 and approves the device login by itself.
"""

from __future__ import annotations

import json
import os
import shlex
import sys

from .. import cli
from ..errors import EXIT_OK, CredentialProcessError

DEMO_CONFIG = """\
[sso-session demo]
sso_start_url = https://demo.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile demo-sso]
sso_session = demo
sso_account_id = 111122223333
sso_role_name = ReadOnly

[profile demo]
credential_process = {command} --profile demo-sso
region = eu-west-1
"""

CALLER_IDENTITY_SCRIPT = """\
import json, boto3
session = boto3.Session(profile_name="demo")
identity = session.client("sts").get_caller_identity()
print(json.dumps({k: identity[k] for k in ("Account", "Arn", "UserId")}, indent=2))
"""


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def add_parser(subparsers) -> None:
    parser = cli.add_command_parser(
        subparsers, "demo", "run a full login and credential fetch against the "
        "built-in emulator"
    )
    cli.add_logging_arguments(parser)


def run(arguments) -> int:
    # Imported here because every run builds the parser, which imports this module.
    import tempfile

    from ..emulator import Emulator

    with tempfile.TemporaryDirectory(prefix="sso-credential-process-demo-") as home:
        with Emulator() as emulator:
            environment = _demo_environment(home, emulator.url)
            command = [sys.executable, "-m", "credential_process"]
            _write_config(environment["AWS_CONFIG_FILE"], command)
            _say(f"Emulator of IAM Identity Center listening on {emulator.url}")
            _say(f"Temporary HOME: {home}\n")

            _say("$ sso-credential-process login --profile demo-sso "
                 "--use-device-code --no-browser")
            _run(command + ["login", "--profile", "demo-sso", "--use-device-code",
                            "--no-browser"], environment)

            _say("\n$ sso-credential-process --profile demo-sso")
            document = _run(command + ["--profile", "demo-sso"], environment,
                            capture=True)
            _say(_mask(document))

            _say("\nboto3 with [profile demo], whose credential_process runs this "
                 "tool:\n$ python -c 'boto3.Session(profile_name=\"demo\")"
                 ".client(\"sts\").get_caller_identity()'")
            _say(_run([sys.executable, "-c", CALLER_IDENTITY_SCRIPT], environment,
                      capture=True).rstrip())
            # The emulator also counts CreateToken per grant type; those are
            # the same calls again, so only the operations are shown.
            calls = {name: count for name, count in emulator.calls.items()
                     if ":" not in name}
            _say("\nService calls: " + json.dumps(calls))
    return EXIT_OK


def _demo_environment(home: str, url: str) -> dict:
    environment = {
        key: value for key, value in os.environ.items()
        if not key.startswith("AWS_")
    }
    environment.update(
        HOME=home,
        AWS_CONFIG_FILE=os.path.join(home, ".aws", "config"),
        AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, ".aws", "credentials"),
        AWS_ENDPOINT_URL_SSO_OIDC=url,
        AWS_ENDPOINT_URL_SSO=url,
        AWS_ENDPOINT_URL_STS=url,
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=os.pathsep.join(filter(None, [_package_root(),
                                                  os.environ.get("PYTHONPATH")])),
    )
    return environment


def _package_root() -> str:
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.dirname(package)


def _write_config(path: str, command) -> None:
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    line = " ".join(shlex.quote(part) for part in command)
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(DEMO_CONFIG.format(command=line))


def _run(command, environment, capture: bool = False) -> str:
    import subprocess

    result = subprocess.run(
        command,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if capture else None,
        text=True,
        start_new_session=True,
    )
    if result.returncode != 0:
        raise CredentialProcessError(
            f"the demo step {shlex.join(command[-3:])} failed with exit code "
            f"{result.returncode}"
        )
    return result.stdout or ""


def _mask(document: str) -> str:
    """Shorten the secret values, which are the emulator's but still look real."""
    values = json.loads(document)
    for key in ("SecretAccessKey", "SessionToken"):
        values[key] = values[key][:4] + "..."
    return json.dumps(values, indent=2)
