"""Parallel invocations share one refresh and one GetRoleCredentials call."""

import json
import subprocess
import threading

from conftest import tool_command

PARALLEL = 50


def run_parallel(home, count, arguments=("--profile", "dev-sso")):
    processes = [
        subprocess.Popen(
            tool_command() + list(arguments), env=home.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )
        for _ in range(count)
    ]
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        results.append((process.returncode, stdout, stderr))
    return results


def test_cold_role_cache_one_call(home, emulator):
    home.seed_token(emulator)
    emulator.response_delay["GetRoleCredentials"] = 0.3
    results = run_parallel(home, PARALLEL)
    assert [code for code, _, _ in results] == [0] * PARALLEL, results[0][2]
    assert emulator.calls["GetRoleCredentials"] == 1
    keys = {json.loads(stdout)["AccessKeyId"] for _, stdout, _ in results}
    assert len(keys) == 1


def test_expired_token_one_refresh(home, emulator):
    home.seed_token(emulator, expires_in=-60)
    emulator.response_delay["CreateToken"] = 0.3
    results = run_parallel(home, PARALLEL)
    assert [code for code, _, _ in results] == [0] * PARALLEL, results[0][2]
    assert emulator.calls["CreateToken:refresh_token"] == 1
    assert emulator.calls["GetRoleCredentials"] == 1


def test_readers_never_see_partial_token(home, emulator):
    home.seed_token(emulator, expires_in=-60)
    emulator.response_delay["CreateToken"] = 0.2
    failures = []
    stop = threading.Event()

    def read_loop():
        while not stop.is_set():
            try:
                json.loads(home.token_file().read_text())
            except (ValueError, OSError) as error:
                failures.append(error)

    reader = threading.Thread(target=read_loop)
    reader.start()
    try:
        results = run_parallel(home, 20)
    finally:
        stop.set()
        reader.join()
    assert [code for code, _, _ in results] == [0] * 20
    assert failures == []
    leftovers = [p.name for p in home.sso_cache.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
