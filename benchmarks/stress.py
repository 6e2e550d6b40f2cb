"""Run storms of parallel credential processes against the emulator; print the figures.

    .venv/bin/python benchmarks/stress.py                 # all three storms, 200 each
    .venv/bin/python benchmarks/stress.py --count 500 --storm refresh

Storms: ``cold`` has a valid token and no cached role credentials. ``refresh`` has an
expired access token, with refresh-token rotation on. ``login`` has no token, each
process has its own pseudo-terminal as controlling terminal, and the emulator
approves the login.
For each storm the script prints the service calls the emulator counted, the
processes that failed, the number of login prompts shown, and the wall time from
the first start to the last exit. Everything runs on 127.0.0.1 in a scratch HOME.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from credential_process import cachefiles, timeutil  # noqa: E402
from credential_process.emulator import Emulator  # noqa: E402

SESSION = "my-sso"
START_URL = "https://example.awsapps.com/start"
CONFIG = f"""\
    [sso-session {SESSION}]
    sso_start_url = {START_URL}
    sso_region = us-east-1
    sso_registration_scopes = sso:account:access

    [profile dev-sso]
    sso_session = {SESSION}
    sso_account_id = 111122223333
    sso_role_name = ReadOnly
    """
PROMPT_MARKER = "and enter the code"
STORMS = ("cold", "refresh", "login")


def tool_command() -> list:
    script = Path(sys.executable).parent / "sso-credential-process"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "credential_process"]


def scratch_environment(home: Path, emulator_url: str) -> dict:
    environment = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("AWS_", "SSO_CREDENTIAL_PROCESS_"))
    }
    environment.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        AWS_ENDPOINT_URL_SSO_OIDC=emulator_url,
        AWS_ENDPOINT_URL_SSO=emulator_url,
        AWS_ENDPOINT_URL_STS=emulator_url,
        AWS_EC2_METADATA_DISABLED="true",
        SSO_CREDENTIAL_PROCESS_NO_BROWSER="1",
        PYTHONPATH=str(ROOT),
    )
    return environment


def seed_token(home: Path, emulator, expires_in: int) -> None:
    """Write the token file that ``aws sso login`` would leave."""
    issued = emulator.issue_token(expires_in=max(expires_in, 1))
    record = {
        "startUrl": START_URL,
        "region": "us-east-1",
        "accessToken": issued["accessToken"],
        "expiresAt": timeutil.format_timestamp(time.time() + expires_in),
        "clientId": issued["clientId"],
        "clientSecret": issued["clientSecret"],
        "registrationExpiresAt": timeutil.format_timestamp(time.time() + 86400),
        "refreshToken": issued["refreshToken"],
    }
    path = home / ".aws" / "sso" / "cache"
    path.mkdir(parents=True, mode=0o700, exist_ok=True)
    target = path / (cachefiles.token_cache_key(SESSION) + ".json")
    target.write_text(json.dumps(record))
    target.chmod(0o600)


def prepare(storm: str, home: Path, emulator) -> None:
    (home / ".aws").mkdir(parents=True, mode=0o700)
    (home / ".aws" / "config").write_text(textwrap.dedent(CONFIG))
    if storm == "cold":
        seed_token(home, emulator, 3600)
        emulator.response_delay["GetRoleCredentials"] = 0.3
    elif storm == "refresh":
        seed_token(home, emulator, -60)
        emulator.response_delay["CreateToken"] = 0.3
    emulator.reset_counters()


def _attach_terminal(slave_name: str):
    def attach():
        os.setsid()
        os.close(os.open(slave_name, os.O_RDWR))  # becomes the controlling terminal

    return attach


def launch(environment: dict, count: int, terminal: bool):
    processes, masters = [], []
    for _ in range(count):
        options = {"start_new_session": True}
        if terminal:
            master, slave = pty.openpty()
            options = {"preexec_fn": _attach_terminal(os.ttyname(slave))}
        process = subprocess.Popen(
            tool_command() + ["--profile", "dev-sso"], env=environment,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, **options,
        )
        if terminal:
            os.close(slave)
            masters.append(master)
        processes.append(process)
    return processes, masters


def collect_screens(processes, masters, timeout: float) -> list:
    """Read every terminal until its process exits; keep masters open meanwhile."""
    screens = [b""] * len(masters)
    deadline = time.time() + timeout
    while time.time() < deadline:
        running = [i for i, process in enumerate(processes) if process.poll() is None]
        if not running:
            break
        ready, _, _ = select.select([masters[i] for i in running], [], [], 0.2)
        received = False
        for master in ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                continue
            received = received or bool(chunk)
            screens[masters.index(master)] += chunk
        if ready and not received:
            time.sleep(0.05)
    for index, master in enumerate(masters):
        # A process that exited before the loop reached it left its output here.
        while select.select([master], [], [], 0)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            screens[index] += chunk
        os.close(master)
    return [screen.decode(errors="replace") for screen in screens]


def run_storm(storm: str, count: int, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="sso-stress-") as scratch, \
            Emulator() as emulator:
        home = Path(scratch) / "home"
        prepare(storm, home, emulator)
        environment = scratch_environment(home, emulator.url)
        started = time.monotonic()
        processes, masters = launch(environment, count, terminal=storm == "login")
        screens = collect_screens(processes, masters, timeout) if masters else []
        failures, keys = [], set()
        for process in processes:
            stdout, stderr = process.communicate(timeout=timeout)
            if process.returncode != 0:
                failures.append(stderr.strip().splitlines()[-1:] or ["(no message)"])
            else:
                keys.add(json.loads(stdout)["AccessKeyId"])
        elapsed = time.monotonic() - started
        calls = dict(emulator.calls)
    return {
        "storm": storm,
        "processes": count,
        "GetRoleCredentials": calls.get("GetRoleCredentials", 0),
        "refreshes": calls.get("CreateToken:refresh_token", 0),
        "StartDeviceAuthorization": calls.get("StartDeviceAuthorization", 0),
        "RegisterClient": calls.get("RegisterClient", 0),
        "prompts": sum(PROMPT_MARKER in screen for screen in screens),
        "failures": len(failures),
        "distinct_credentials": len(keys),
        "wall_seconds": round(elapsed, 1),
        "first_failure": failures[0][0] if failures else "",
    }


COLUMNS = ("storm", "processes", "GetRoleCredentials", "refreshes",
           "StartDeviceAuthorization", "RegisterClient", "prompts", "failures",
           "distinct_credentials", "wall_seconds")


def print_table(rows) -> None:
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "|".join(" --- " for _ in COLUMNS) + "|")
    for row in rows:
        print("| " + " | ".join(str(row[column]) for column in COLUMNS) + " |")
    for row in rows:
        if row["first_failure"]:
            print(f"{row['storm']}: first failure: {row['first_failure']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200,
                        help="processes started at once per storm (default 200)")
    parser.add_argument("--storm", choices=STORMS + ("all",), default="all",
                        help="which storm to run (default: all three)")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds to wait for the processes of one storm")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    arguments = parser.parse_args(argv)
    storms = STORMS if arguments.storm == "all" else (arguments.storm,)
    rows = [run_storm(storm, arguments.count, arguments.timeout) for storm in storms]
    if arguments.json:
        for row in rows:
            print(json.dumps(row))
    else:
        print_table(rows)
    return 1 if any(row["failures"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
