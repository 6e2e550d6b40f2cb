"""Fixtures: a running emulator, a scratch HOME, and the real executable.

Every test that runs the tool starts it as a separate process, in a new session
with no controlling terminal unless the test gives it one, and with every AWS
endpoint pointed at the emulator on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from credential_process import cachefiles, timeutil
from credential_process.emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
START_URL = "https://example.awsapps.com/start"
SESSION = "my-sso"
REGION = "us-east-1"
ACCOUNT = "111122223333"
ROLE = "ReadOnly"


def tool_command() -> list:
    """Return the installed console script, or the module when not installed."""
    script = Path(sys.executable).parent / "sso-credential-process"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "credential_process"]


@pytest.fixture
def emulator():
    with Emulator() as running:
        yield running


class Home:
    """A scratch HOME with an AWS config file and the environment to use it."""

    def __init__(self, path: Path, emulator_url: str):
        self.path = path
        self.aws = path / ".aws"
        self.aws.mkdir(mode=0o700, parents=True)
        self.config_file = self.aws / "config"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "SSO_CREDENTIAL_PROCESS_"))
        }
        self.env.update(
            HOME=str(path),
            AWS_CONFIG_FILE=str(self.config_file),
            AWS_SHARED_CREDENTIALS_FILE=str(self.aws / "credentials"),
            AWS_ENDPOINT_URL_SSO_OIDC=emulator_url,
            AWS_ENDPOINT_URL_SSO=emulator_url,
            AWS_ENDPOINT_URL_STS=emulator_url,
            AWS_EC2_METADATA_DISABLED="true",
            AWS_DEFAULT_REGION="eu-west-1",
            PYTHONPATH=str(ROOT),
            PATH=os.pathsep.join([str(Path(sys.executable).parent),
                                  os.environ.get("PATH", "")]),
        )

    def write_config(self, text: str) -> None:
        command = " ".join(tool_command())
        self.config_file.write_text(textwrap.dedent(text).replace("TOOL", command))

    @property
    def sso_cache(self) -> Path:
        return self.aws / "sso" / "cache"

    @property
    def role_cache(self) -> Path:
        return self.aws / "cli" / "cache"

    def token_file(self, identity: str = SESSION) -> Path:
        return self.sso_cache / (cachefiles.token_cache_key(identity) + ".json")

    def role_file(self, session=SESSION, start_url=START_URL, account=ACCOUNT,
                  role=ROLE) -> Path:
        key = cachefiles.role_cache_key(account, role, session, start_url)
        return self.role_cache / (key + ".json")

    def write_json(self, path: Path, document) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(document if isinstance(document, str) else json.dumps(document))
        path.chmod(0o600)

    def read_json(self, path: Path) -> dict:
        return json.loads(path.read_text())

    def seed_token(self, emulator, identity=SESSION, expires_in=3600,
                   refreshable=True, **overrides) -> dict:
        """Write a token file as ``aws sso login`` leaves it; return the record."""
        scopes = ["sso:account:access"] if refreshable else []
        issued = emulator.issue_token(scopes=scopes, expires_in=max(expires_in, 1))
        record = {
            "startUrl": START_URL,
            "region": REGION,
            "accessToken": issued["accessToken"],
            "expiresAt": timeutil.format_timestamp(time.time() + expires_in),
            "clientId": issued["clientId"],
            "clientSecret": issued["clientSecret"],
            "registrationExpiresAt": timeutil.format_timestamp(time.time() + 86400),
        }
        if refreshable and issued.get("refreshToken"):
            record["refreshToken"] = issued["refreshToken"]
        record.update(overrides)
        self.write_json(self.token_file(identity), record)
        return record

    def run(self, arguments, extra_env=None, **kwargs):
        """Run the tool as botocore does: stdout and stderr piped, no terminal."""
        environment = dict(self.env, **(extra_env or {}))
        return subprocess.run(
            tool_command() + list(arguments),
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            start_new_session=True,
            timeout=kwargs.pop("timeout", 120),
            **kwargs,
        )

    def python(self, script: str, extra_env=None, timeout=120):
        environment = dict(self.env, **(extra_env or {}))
        return subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script)],
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            start_new_session=True,
            timeout=timeout,
        )


SESSION_CONFIG = f"""\
    [sso-session {SESSION}]
    sso_start_url = {START_URL}
    sso_region = {REGION}
    sso_registration_scopes = sso:account:access

    [profile dev-sso]
    sso_session = {SESSION}
    sso_account_id = {ACCOUNT}
    sso_role_name = {ROLE}
    region = {REGION}

    [profile dev]
    credential_process = TOOL --profile dev-sso
    region = eu-west-1
    """

LEGACY_CONFIG = f"""\
    [profile legacy-sso]
    sso_start_url = {START_URL}
    sso_region = {REGION}
    sso_account_id = {ACCOUNT}
    sso_role_name = {ROLE}

    [profile legacy]
    credential_process = TOOL --profile legacy-sso
    region = eu-west-1
    """


@pytest.fixture
def home(tmp_path, emulator):
    scratch = Home(tmp_path / "home", emulator.url)
    scratch.write_config(SESSION_CONFIG)
    return scratch


@pytest.fixture
def legacy_home(tmp_path, emulator):
    scratch = Home(tmp_path / "legacy-home", emulator.url)
    scratch.write_config(LEGACY_CONFIG)
    return scratch


def parse_credentials(stdout: str) -> dict:
    """Parse the tool's stdout, which must be exactly one JSON line."""
    assert stdout.endswith("\n")
    assert stdout.count("\n") == 1
    return json.loads(stdout)


def awscli_command():
    path = shutil.which("aws", path=str(Path(sys.executable).parent))
    return path
