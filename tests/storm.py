"""Start many credential processes at once, optionally each on its own terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

from conftest import tool_command

PROMPT_MARKER = "and enter the code"


class Outcome:
    """Exit code and output of one process of a storm."""

    def __init__(self, returncode, stdout, stderr, screen):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.screen = screen


def _attach_terminal(slave_name):
    def attach():
        os.setsid()
        os.close(os.open(slave_name, os.O_RDWR))  # becomes the controlling terminal

    return attach


def run_storm(environment, count, arguments=("--profile", "dev-sso"),
              terminal=False, timeout=600):
    """Start ``count`` processes together; return their Outcomes in start order.

    With ``terminal`` each process gets a pseudo-terminal as controlling terminal
    (stdin, stdout and stderr stay pipes, as under botocore in a shell).
    """
    processes, masters = [], []
    for _ in range(count):
        options = {"start_new_session": True}
        master = None
        if terminal:
            master, slave = pty.openpty()
            options = {"preexec_fn": _attach_terminal(os.ttyname(slave))}
        process = subprocess.Popen(
            tool_command() + list(arguments), env=environment,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, **options,
        )
        if terminal:
            os.close(slave)
        processes.append(process)
        masters.append(master)
    screens = _read_terminals(processes, masters, timeout) if terminal else None
    outcomes = []
    for index, process in enumerate(processes):
        stdout, stderr = process.communicate(timeout=timeout)
        screen = screens[index] if screens else ""
        outcomes.append(Outcome(process.returncode, stdout, stderr, screen))
    return outcomes


def _read_terminals(processes, masters, timeout):
    """Collect what each process writes to its terminal until all have exited.

    A master stays open until its process exits: closing it would hang up the
    terminal and send SIGHUP. Reading it fails with EIO while the process has no
    descriptor on the terminal open, which happens between prompts.
    """
    screens = {index: b"" for index in range(len(masters))}
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
        screens[index] += _drain(master)
        os.close(master)
    return {index: data.decode(errors="replace") for index, data in screens.items()}


def _drain(master) -> bytes:
    data = b""
    while select.select([master], [], [], 0)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data
