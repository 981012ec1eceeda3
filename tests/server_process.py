"""Start a real server in a subprocess for a test, wait until it answers, stop it afterwards."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server_process(command: list[str], ready_url: str, log_path: Path, *, timeout: float = 120,
                   is_ready: Callable[[bytes], bool] = lambda body: True, **popen_options):
    """Run `command` until the `with` block ends; ready once `ready_url` answers and `is_ready(body)`.

    Output goes to `log_path` (a file, not a pipe: a full pipe would block the server), and its tail
    is shown when the server exits early or never becomes ready.
    """
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, **popen_options)
        try:
            _wait_until_ready(server, ready_url, log_path, timeout, is_ready)
            yield server
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_ready(server, url, log_path, timeout, is_ready) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            pytest.fail(f"{server.args[:3]} exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if is_ready(response.read()):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer within {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.5)
