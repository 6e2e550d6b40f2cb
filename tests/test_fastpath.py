"""The cache-hit path loads only the standard library and writes nothing."""

import json
import subprocess
import sys

from conftest import parse_credentials

HEAVY_MODULES = ("botocore", "boto3", "filelock", "dateutil", "argparse", "logging",
                 "urllib3")

PROBE = """\
import json, sys
from credential_process.entry import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def test_hit_imports_only_stdlib(home, emulator):
    home.seed_token(emulator)
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "--profile", "dev-sso"], env=home.env,
        capture_output=True, text=True, start_new_session=True,
    )
    report = json.loads(result.stderr)
    assert report["code"] == 0
    parse_credentials(result.stdout)
    loaded = {name.split(".")[0] for name in report["modules"]}
    for module in HEAVY_MODULES:
        assert module not in loaded


def test_hit_writes_nothing(home, emulator):
    home.seed_token(emulator)
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    before = {p: p.stat().st_mtime_ns for p in home.path.rglob("*")}
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0
    after = {p: p.stat().st_mtime_ns for p in home.path.rglob("*")}
    assert after == before


def test_unusual_option_takes_full_path(home, emulator):
    home.seed_token(emulator)
    assert home.run(["--profile", "dev-sso"]).returncode == 0
    result = home.run(["--profile", "dev-sso", "-v"])
    assert result.returncode == 0
    assert "Found endpoint" not in result.stdout
    parse_credentials(result.stdout)
