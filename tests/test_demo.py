"""The demo runs a whole login and a boto3 call against the emulator."""

import subprocess

from conftest import tool_command


def test_demo_runs_end_to_end(home):
    result = subprocess.run(
        tool_command() + ["demo"], env=home.env, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, start_new_session=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert '"Account": "111122223333"' in result.stdout
    assert '"Version": 1' in result.stdout
    assert "GetCallerIdentity" in result.stdout
    assert '"CreateToken": 2' in result.stdout
    assert "CreateToken:" not in result.stdout
