#!/usr/bin/env python3
"""Benchmark sso-credential-process against botocore's SSO provider and aws-sso-util.

Run from anywhere with Python 3.9 or later (standard library only):

    python3 benchmarks/run.py                      # 30 runs, storms of 1 to 200
    python3 benchmarks/run.py --runs 10 --storm-sizes 1,50 --storm 50

The script creates a work directory with a throwaway virtual environment, installs
this repository (not editable, because editable installs add import hooks),
aws-sso-util and, for the plot, matplotlib from the package index. It starts the
emulator from the installed package on 127.0.0.1 and runs every command with a
scratch HOME, the three AWS_ENDPOINT_URL_* variables pointed at the emulator,
AWS_EC2_METADATA_DISABLED=true and no proxy variables, so no command reaches any
host but 127.0.0.1. Only the installation step uses the network (the package
index); ``--venv`` reuses an environment and skips it.

Timings come from hyperfine (``-N``, absolute interpreter paths) when it is on
PATH and from a subprocess timer otherwise. Peak RSS comes from GNU time
(``/usr/bin/time -f %M``) or a small ``os.wait4`` helper.
Service calls are read from the emulator's ``GET /_emulator/calls``. The script
prints a Markdown table and writes ``results.json`` into the work directory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
SESSION = "bench-sso"
START_URL = "https://bench.awsapps.com/start"
REGION = "us-east-1"
ACCOUNT = "111122223333"
ROLE = "ReadOnly"
SESSION_PROFILE = "bench-session"
LEGACY_PROFILE = "bench-legacy"

CONFIG = f"""\
[sso-session {SESSION}]
sso_start_url = {START_URL}
sso_region = {REGION}
sso_registration_scopes = sso:account:access

[profile {SESSION_PROFILE}]
sso_session = {SESSION}
sso_account_id = {ACCOUNT}
sso_role_name = {ROLE}
region = {REGION}

[profile {LEGACY_PROFILE}]
sso_start_url = {START_URL}
sso_region = {REGION}
sso_account_id = {ACCOUNT}
sso_role_name = {ROLE}
region = {REGION}
"""

# botocore's own provider, exactly as an application resolves SSO credentials.
BOTOCORE_SCRIPT = (
    "import boto3; "
    f"c = boto3.Session(profile_name={SESSION_PROFILE!r}).get_credentials()"
    ".get_frozen_credentials(); print(c.access_key)"
)

# Cache states that a scenario restores before every timed run.
STATES = ("warm", "cold-role", "cold-refresh")


# --------------------------------------------------------------------------- setup


def run_checked(command, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise SystemExit(
            f"command failed with exit code {result.returncode}: "
            f"{shlex.join(map(str, command))}\n{result.stdout}{result.stderr}"
        )
    return result


def create_venv(venv: Path, python: str, with_matplotlib: bool) -> None:
    """Create ``venv`` and install the package, aws-sso-util and matplotlib."""
    print(f"Creating {venv} and installing the tools from the package index ...",
          file=sys.stderr)
    run_checked([python, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    # pip before 25.0 wrote console scripts that import re, which costs milliseconds
    # on every cache hit; the current pip writes scripts without it.
    run_checked(pip + ["--upgrade", "pip"])
    run_checked(pip + [str(REPOSITORY), "aws-sso-util"])
    if with_matplotlib:
        result = subprocess.run(pip + ["matplotlib"], capture_output=True, text=True)
        if result.returncode != 0:
            print("matplotlib could not be installed; the plot is skipped.",
                  file=sys.stderr)


def command_environment(home: Path, url: str) -> dict:
    """Return the environment of every benchmarked command: scratch HOME, emulator."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_ENDPOINT_URL_SSO_OIDC": url,
        "AWS_ENDPOINT_URL_SSO": url,
        "AWS_ENDPOINT_URL_STS": url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    return environment


class Emulator:
    """The installed package's emulator, run as a child process on 127.0.0.1."""

    def __init__(self, python: Path):
        self.process = subprocess.Popen(
            [str(python), "-m", "credential_process.emulator", "--port", "0"],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        line = self.process.stdout.readline()
        try:
            self.url = json.loads(line)["url"]
        except (ValueError, KeyError):
            self.stop()
            raise SystemExit(f"the emulator did not print its URL: {line!r}")
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise SystemExit(f"the emulator is not on 127.0.0.1: {self.url}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def control(url: str, action: str, body=None):
    """Call the emulator's control API, bypassing any proxy settings."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    data = None if body is None else json.dumps(body).encode()
    method = "GET" if body is None else "POST"
    request = urllib.request.Request(f"{url}/_emulator/{action}", data, method=method)
    with opener.open(request, timeout=10) as response:
        return json.load(response)


def sha1_hex(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode()).hexdigest()


def write_private_json(path: Path, document: dict) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document))
    temporary.chmod(0o600)
    temporary.replace(path)


def seed_token(home: Path, url: str, identity: str, expired: bool) -> None:
    """Write a token file as ``aws sso login`` leaves it, issued by the emulator."""
    refreshable = identity == SESSION
    scopes = ["sso:account:access"] if refreshable else []
    issued = control(url, "issue-token", {"scopes": scopes})
    expires_at = issued["expiresAt"]
    if expired:
        expires_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    record = {
        "startUrl": START_URL,
        "region": REGION,
        "accessToken": issued["accessToken"],
        "expiresAt": expires_at,
        "clientId": issued["clientId"],
        "clientSecret": issued["clientSecret"],
        "registrationExpiresAt": issued["registrationExpiresAt"],
    }
    if refreshable and issued.get("refreshToken"):
        record["refreshToken"] = issued["refreshToken"]
    path = home / ".aws" / "sso" / "cache" / (sha1_hex(identity) + ".json")
    write_private_json(path, record)


def prepare_state(home: Path, url: str, state: str) -> None:
    """Restore a cache state: ``warm`` keeps it, the cold states delete role caches.

    ``cold-refresh`` also replaces the session token with an expired one that has
    a new refresh token, because the emulator rotates refresh tokens and the
    previous run used the last one.
    """
    if state == "warm":
        return
    role_cache = home / ".aws" / "cli" / "cache"
    if role_cache.is_dir():
        for entry in role_cache.iterdir():
            entry.unlink()
    if state == "cold-refresh":
        seed_token(home, url, SESSION, expired=True)


def prepare_home(home: Path, url: str) -> None:
    (home / ".aws").mkdir(mode=0o700, parents=True, exist_ok=True)
    (home / ".aws" / "config").write_text(CONFIG)
    seed_token(home, url, SESSION, expired=False)
    seed_token(home, url, START_URL, expired=False)


# ------------------------------------------------------------------------- commands


class Tools:
    def __init__(self, venv: Path):
        self.python = venv / "bin" / "python"
        self.ours = venv / "bin" / "sso-credential-process"
        self.aws_sso_util = venv / "bin" / "aws-sso-util"

    def baseline(self) -> list:
        return [str(self.python), "-I", "-c", "pass"]

    def our_command(self, profile: str) -> list:
        return [str(self.ours), "--profile", profile]

    def botocore_command(self) -> list:
        return [str(self.python), "-c", BOTOCORE_SCRIPT]

    def aws_sso_util_command(self) -> list:
        return [str(self.aws_sso_util), "credential-process", "--profile",
                LEGACY_PROFILE]


def scenarios(tools: Tools) -> list:
    """Return (scenario, cache state, [(label, command)]) in table order."""
    return [
        ("cache hit", "warm", [
            ("python -I -c pass", tools.baseline()),
            ("ours, sso-session profile", tools.our_command(SESSION_PROFILE)),
            ("ours, legacy profile", tools.our_command(LEGACY_PROFILE)),
            ("aws-sso-util, legacy profile", tools.aws_sso_util_command()),
        ]),
        ("GetRoleCredentials", "cold-role", [
            ("ours", tools.our_command(SESSION_PROFILE)),
            ("botocore SSO provider (boto3.Session)", tools.botocore_command()),
        ]),
        ("refresh + GetRoleCredentials", "cold-refresh", [
            ("ours", tools.our_command(SESSION_PROFILE)),
            ("botocore SSO provider (boto3.Session)", tools.botocore_command()),
        ]),
    ]


def prepare_command(workdir: Path, state: str) -> list:
    return [sys.executable, str(Path(__file__).resolve()), "prepare", str(workdir),
            state]


# -------------------------------------------------------------------------- timing


# Linux keeps a process's peak RSS across exec, so a child forked from this script
# would report this script's own size. The peak is therefore measured in a child
# of a small process: GNU time, or this helper run with ``python -S``.
RSS_HELPER = """import os, sys
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_RDWR)
    for descriptor in (0, 1, 2):
        os.dup2(null, descriptor)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def rss_wrapper() -> list:
    """Return the command prefix that prints the peak RSS (KiB) of its command."""
    time_command = "/usr/bin/time"
    if os.path.exists(time_command):
        probe = subprocess.run([time_command, "--version"], capture_output=True,
                               text=True)
        if "GNU" in probe.stdout + probe.stderr:
            return [time_command, "-f", "%M"]
    return [sys.executable, "-S", "-c", RSS_HELPER]


def run_measured(command, environment) -> tuple:
    """Run ``command``; return (wall seconds, exit code). Output is discarded."""
    started = time.perf_counter()
    result = subprocess.run(command, env=environment, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, result.returncode


def measure_rss(command, environment) -> float:
    """Return the peak RSS of one run of ``command`` in KiB."""
    wrapper = rss_wrapper()
    result = subprocess.run(wrapper + command, env=environment,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{shlex.join(command)} failed: {result.stderr.strip()}")
    # GNU time writes the figure as the last line of stderr, the helper to stdout.
    text = result.stdout if wrapper[0] == sys.executable else result.stderr
    return float(text.strip().splitlines()[-1])


def summary(samples: list) -> dict:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "runs": len(samples),
    }


def time_with_hyperfine(commands, environment, prepare, runs, warmup, workdir):
    export = workdir / "hyperfine.json"
    arguments = ["hyperfine", "-N", "--warmup", str(warmup), "--runs", str(runs),
                 "--export-json", str(export), "--style", "none"]
    if prepare:
        arguments += ["--prepare", shlex.join(prepare)]
    for label, command in commands:
        arguments += ["--command-name", label, shlex.join(command)]
    run_checked(arguments, env=environment)
    results = json.loads(export.read_text())["results"]
    return [summary(result["times"]) for result in results]


def time_with_subprocess(commands, environment, prepare, runs, warmup):
    samples = [[] for _ in commands]
    for index in range(warmup + runs):
        for position, (label, command) in enumerate(commands):
            if prepare:
                run_checked(prepare)
            elapsed, code = run_measured(command, environment)
            if code != 0:
                raise SystemExit(f"{label} failed with exit code {code}")
            if index >= warmup:
                samples[position].append(elapsed)
    return [summary(times) for times in samples]


def peak_rss(command, environment, prepare, runs) -> float:
    peaks = []
    for _ in range(runs):
        if prepare:
            run_checked(prepare)
        peaks.append(measure_rss(command, environment))
    return max(peaks)


def calls_of(url, command, environment, prepare) -> dict:
    """Return the service calls one invocation makes, after ``prepare``.

    Without ``prepare`` the command runs once first, so that its cache is warm.
    """
    if prepare:
        run_checked(prepare)
    else:
        run_checked(command, env=environment)
    control(url, "reset", {})
    result = subprocess.run(command, env=environment, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{shlex.join(command)} failed: {result.stderr.strip()}")
    return {name: count for name, count in control(url, "calls").items() if count}


def storm(command, environment, size: int) -> dict:
    """Start ``size`` copies of ``command`` at once; return wall time and latencies.

    Each latency runs from the copy's start to the moment ``waitpid`` reaps it.
    """
    # The Popen objects stay referenced until their pid is reaped here: subprocess
    # reaps the children of collected Popen objects itself, and waitpid(-1) would
    # then wait for the emulator, the only other child, forever.
    running = {}
    first = time.perf_counter()
    for _ in range(size):
        process = subprocess.Popen(command, env=environment, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        running[process.pid] = (process, time.perf_counter())
    latencies, failures = [], 0
    while running:
        pid, status = os.waitpid(-1, 0)
        if pid not in running:
            continue
        process, started = running.pop(pid)
        latencies.append(time.perf_counter() - started)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            failures += 1
    wall = time.perf_counter() - first
    latencies.sort()
    return {
        "size": size,
        "wall": wall,
        "median": statistics.median(latencies),
        "p90": latencies[int(0.9 * (len(latencies) - 1))],
        "max": latencies[-1],
        "failures": failures,
    }


# ------------------------------------------------------------------------- reports


def machine_description(tools: Tools) -> dict:
    versions = {}
    listing = run_checked([str(tools.python), "-m", "pip", "list", "--format", "json"])
    reported = ("sso-credential-process", "boto3", "botocore", "aws-sso-util",
              "aws-sso-lib", "filelock", "pip", "matplotlib")
    for package in json.loads(listing.stdout):
        if package["name"].lower() in reported:
            versions[package["name"].lower()] = package["version"]
    model = ""
    if shutil.which("lscpu"):
        for line in run_checked(["lscpu"]).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    hyperfine = ""
    if shutil.which("hyperfine"):
        hyperfine = run_checked(["hyperfine", "--version"]).stdout.strip()
    python_version = run_checked([str(tools.python), "-c",
                                  "import sys; print(sys.version.split()[0])"])
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "system": f"{platform.system()} {platform.release()}",
        "python": python_version.stdout.strip(),
        "packages": versions,
        "timer": hyperfine or "subprocess timer (hyperfine not found)",
        "memory_mib": memory_mib(),
    }


def memory_mib():
    try:
        with open("/proc/meminfo") as stream:
            for line in stream:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def format_calls(calls: dict) -> str:
    parts = [f"{name} {count}" for name, count in sorted(calls.items())]
    return ", ".join(parts) or "none"


def print_report(results: dict) -> None:
    machine = results["machine"]
    print(f"Machine: {machine['cpus']} CPUs ({machine['cpu_model']}), "
          f"{machine['memory_mib']} MiB, {machine['system']}, Python "
          f"{machine['python']}; timer: {machine['timer']}")
    print("Packages: " + ", ".join(f"{name} {version}" for name, version in
                                   sorted(machine["packages"].items())))
    print(f"1-minute load average: {machine['load_average_before']:.1f} before, "
          f"{machine['load_average_after']:.1f} after")
    print()
    print("| scenario | command | median ms | min ms | max ms | ratio | peak RSS MB "
          "| service calls per run |")
    print("| --- | --- | ---: | ---: | ---: | --- | ---: | --- |")
    for row in results["rows"]:
        print(f"| {row['scenario']} | {row['label']} | {row['median'] * 1000:.1f} | "
              f"{row['min'] * 1000:.1f} | {row['max'] * 1000:.1f} | "
              f"{row.get('ratio', '')} | {row['peak_rss_kib'] / 1024:.1f} | "
              f"{format_calls(row['calls'])} |")
    print()
    print(f"Storms (parallel invocations started at once, {machine['cpus']} CPUs):")
    print()
    print("| storm | parallel | wall s | median latency s | p90 s | max s | failures "
          "| service calls |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for row in results["storms"]:
        print(f"| {row['label']} | {row['size']} | {row['wall']:.2f} | "
              f"{row['median']:.2f} | {row['p90']:.2f} | {row['max']:.2f} | "
              f"{row['failures']} | {format_calls(row['calls'])} |")
    print()
    for line in results["checks"]:
        print(f"- {line}")


def ratio_text(numerator: float, denominator: float, unit: str) -> str:
    return f"{numerator / denominator:.2f}x {unit}"


def add_checks(results: dict, main_size: int) -> None:
    rows = {(row["scenario"], row["label"]): row for row in results["rows"]}
    baseline = rows[("cache hit", "python -I -c pass")]["median"]
    ours_hit = rows[("cache hit", "ours, sso-session profile")]
    ours_legacy = rows[("cache hit", "ours, legacy profile")]
    util = rows[("cache hit", "aws-sso-util, legacy profile")]
    checks = results["checks"]
    ours_hit["ratio"] = ratio_text(ours_hit["median"], baseline, "python -I")
    ours_legacy["ratio"] = ratio_text(ours_legacy["median"], baseline, "python -I")
    util["ratio"] = ratio_text(util["median"], ours_legacy["median"], "ours")
    checks.append(
        f"cache hit: {ours_hit['median'] / baseline:.2f}x `python -I -c pass` "
        f"(target at most 1.8x); aws-sso-util takes "
        f"{util['median'] / ours_legacy['median']:.1f}x ours on the legacy profile "
        f"(target at least 15x); peak RSS {ours_hit['peak_rss_kib'] / 1024:.1f} MB "
        "(target at most 15 MB)"
    )
    for scenario in ("GetRoleCredentials", "refresh + GetRoleCredentials"):
        ours = rows[(scenario, "ours")]
        native = rows[(scenario, "botocore SSO provider (boto3.Session)")]
        ours["ratio"] = ratio_text(ours["median"], native["median"], "botocore")
        ratio = ours["median"] / native["median"]
        checks.append(
            f"{scenario}: ours {ours['median'] * 1000:.0f} ms, botocore "
            f"{native['median'] * 1000:.0f} ms ({ratio:.2f}x, target at most 1x)"
        )
    storms = {(row["label"], row["size"]): row for row in results["storms"]}
    hits = storms.get(("ours, cache hit", main_size))
    for label, scenario in (("ours, cold role cache", "GetRoleCredentials"),
                            ("ours, refresh", "refresh + GetRoleCredentials")):
        cold = storms.get((label, main_size))
        if hits is None or cold is None:
            continue
        budget = hits["wall"] + rows[(scenario, "ours")]["median"]
        checks.append(
            f"storm of {main_size}, {label}: {cold['wall']:.2f} s = "
            f"{cold['wall'] / budget:.2f}x (hit storm {hits['wall']:.2f} s + one cold "
            f"call {rows[(scenario, 'ours')]['median']:.2f} s), target at most 3x; "
            f"{cold['failures']} failures; calls: {format_calls(cold['calls'])}"
        )
    native = storms.get(("botocore, refresh (rotating refresh tokens)", main_size))
    if native is not None:
        checks.append(
            f"storm of {main_size}, botocore with refresh-token rotation: "
            f"{native['wall']:.2f} s, {native['failures']} failures; calls: "
            f"{format_calls(native['calls'])}"
        )


def plot(results_path: Path, output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    results = json.loads(results_path.read_text())
    figure, axes = pyplot.subplots(figsize=(7, 4.2))
    labels = []
    for row in results["storms"]:
        if row["label"] not in labels:
            labels.append(row["label"])
    for label in labels:
        rows = [row for row in results["storms"] if row["label"] == label]
        sizes = [row["size"] for row in rows]
        axes.plot(sizes, [row["median"] for row in rows], marker="o", label=label)
    axes.set_xlabel("parallel invocations")
    axes.set_ylabel("median latency per invocation (s)")
    axes.set_yscale("log")
    machine = results["machine"]
    axes.set_title(f"Invocation latency, {machine['cpus']} CPUs, Python "
                   f"{machine['python']}")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(output, dpi=110)
    print(f"Plot written to {output}", file=sys.stderr)


# ----------------------------------------------------------------------------- main


def measure(args, workdir: Path, tools: Tools, emulator: Emulator) -> dict:
    home = workdir / "home"
    prepare_home(home, emulator.url)
    (workdir / "state.json").write_text(json.dumps({"home": str(home),
                                                    "url": emulator.url}))
    environment = command_environment(home, emulator.url)
    use_hyperfine = shutil.which("hyperfine") is not None and not args.no_hyperfine
    results = {"machine": machine_description(tools), "rows": [], "storms": [],
               "checks": []}
    if not use_hyperfine:
        results["machine"]["timer"] = "subprocess timer"
    # Other work on the machine shows in every figure, so the load is recorded.
    results["machine"]["load_average_before"] = os.getloadavg()[0]

    for scenario, state, commands in scenarios(tools):
        prepare = None if state == "warm" else prepare_command(workdir, state)
        for label, command in commands:
            calls = calls_of(emulator.url, command, environment, prepare)
            print(f"{scenario}: {label}: calls {format_calls(calls)}", file=sys.stderr)
        print(f"Timing {scenario} ...", file=sys.stderr)
        if use_hyperfine:
            timings = time_with_hyperfine(commands, environment, prepare, args.runs,
                                          args.warmup, workdir)
        else:
            timings = time_with_subprocess(commands, environment, prepare, args.runs,
                                           args.warmup)
        for (label, command), timing in zip(commands, timings):
            print(f"  {label}: median {timing['median'] * 1000:.1f} ms",
                  file=sys.stderr)
            row = dict(timing, scenario=scenario, label=label)
            row["peak_rss_kib"] = peak_rss(command, environment, prepare,
                                           args.rss_runs)
            row["calls"] = calls_of(emulator.url, command, environment, prepare)
            results["rows"].append(row)

    storm_commands = [
        ("ours, cache hit", "warm", tools.our_command(SESSION_PROFILE)),
        ("ours, cold role cache", "cold-role", tools.our_command(SESSION_PROFILE)),
        ("ours, refresh", "cold-refresh", tools.our_command(SESSION_PROFILE)),
        ("botocore, refresh (rotating refresh tokens)", "cold-refresh",
         tools.botocore_command()),
    ]
    sizes = sorted(set(args.storm_sizes) | {args.storm})
    for size in sizes:
        for label, state, command in storm_commands:
            prepare_state(home, emulator.url, state)
            if state == "warm":
                run_checked(command, env=environment)
            control(emulator.url, "reset", {})
            print(f"Storm of {size}: {label} ...", file=sys.stderr)
            row = storm(command, environment, size)
            row["label"] = label
            row["calls"] = {name: count for name, count in
                            control(emulator.url, "calls").items() if count}
            print(f"  wall {row['wall']:.2f} s, {row['failures']} failures, calls "
                  f"{format_calls(row['calls'])}", file=sys.stderr)
            results["storms"].append(row)
    results["machine"]["load_average_after"] = os.getloadavg()[0]
    add_checks(results, args.storm)
    return results


def parse_arguments(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs per command")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first")
    parser.add_argument("--rss-runs", type=int, default=5,
                        help="runs per command for the peak RSS figure")
    parser.add_argument("--storm", type=int, default=200,
                        help="storm size that the storm targets are checked at")
    parser.add_argument("--storm-sizes", default="1,10,50,100,200",
                        help="comma-separated storm sizes for the plot")
    parser.add_argument("--workdir", type=Path,
                        help="work directory (default: a new temporary directory)")
    parser.add_argument("--venv", type=Path,
                        help="reuse this virtual environment instead of creating one")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter for the new virtual environment")
    parser.add_argument("--plot", type=Path, help="write the storm plot to this PNG")
    parser.add_argument("--no-hyperfine", action="store_true",
                        help="use the subprocess timer even if hyperfine is installed")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary work directory (one given with "
                        "--workdir is always kept)")
    arguments = parser.parse_args(argv)
    arguments.storm_sizes = [int(size) for size in arguments.storm_sizes.split(",")]
    return arguments


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["prepare"]:
        state = json.loads((Path(argv[1]) / "state.json").read_text())
        prepare_state(Path(state["home"]), state["url"], argv[2])
        return 0
    if argv[:1] == ["plot"]:
        plot(Path(argv[1]), Path(argv[2]))
        return 0

    args = parse_arguments(argv)
    created = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="sso-bench-")) if created else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    venv = args.venv or workdir / "venv"
    if args.venv is None:
        create_venv(venv, args.python, with_matplotlib=args.plot is not None)
    tools = Tools(venv)
    emulator = Emulator(tools.python)
    try:
        results = measure(args, workdir, tools, emulator)
    finally:
        emulator.stop()
    results_path = workdir / "results.json"
    results_path.write_text(json.dumps(results, indent=2))
    print_report(results)
    print(f"\nResults: {results_path}", file=sys.stderr)
    if args.plot is not None:
        has_matplotlib = subprocess.run(
            [str(tools.python), "-c", "import matplotlib"], capture_output=True
        ).returncode == 0
        if has_matplotlib:
            run_checked([str(tools.python), str(Path(__file__).resolve()), "plot",
                         str(results_path), str(args.plot.resolve())])
        else:
            print("matplotlib is not installed in the environment; no plot.",
                  file=sys.stderr)
    if created and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
