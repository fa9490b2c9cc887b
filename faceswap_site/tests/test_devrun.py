"""`make run`'s supervisor (faceswap_site/devrun.py), run for real as a subprocess."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from testing import REPO_DIR


def start(tmp_path: Path, procfile: str) -> subprocess.Popen:
    (tmp_path / "Procfile").write_text(procfile)
    env = {
        **os.environ,
        "DEVRUN_PROCFILE": str(tmp_path / "Procfile"),
        # Not used by these processes; set so no embedded server is started.
        "REDIS_URL": "redis://127.0.0.1:9/0",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "faceswap_site.devrun"],
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_line(process: subprocess.Popen, text: str, timeout: float = 20) -> list[str]:
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if text in line:
            return lines
    raise AssertionError(f"never saw {text!r}: {lines}")


def running(pid: int) -> bool:
    """Whether the process runs (a zombie waiting for its parent to read its end does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_ctrl_c_stops_every_process_and_exits_0(tmp_path):
    """Ctrl-C the moment the last process speaks, a few times: a Ctrl-C that came while devrun was still
    putting the process on its list used to leave it running on (one time in four)."""
    procfile = "".join(
        f"{name}: echo $$ > {tmp_path}/{name}.pid && echo {name} up && exec sleep 60\n" for name in ("web", "worker")
    )
    for _ in range(4):
        devrun = start(tmp_path, procfile)
        try:
            # Both have written their pid (each does before it says "up"); under load either may speak last.
            seen = wait_for_line(devrun, " up")
            wait_for_line(devrun, "worker | worker up" if "web | web up" in seen[-1] else "web | web up")
            devrun.send_signal(signal.SIGINT)
            out, _ = devrun.communicate(timeout=20)
        finally:
            devrun.kill()
        assert devrun.returncode == 0
        assert "devrun: stopping (Ctrl-C)…" in out and "devrun: stopped." in out
        pids = [int((tmp_path / f"{name}.pid").read_text()) for name in ("web", "worker")]
        assert not [pid for pid in pids if running(pid)], out


def test_a_worker_that_keeps_dying_is_restarted_up_to_the_limit_then_named_with_its_exit_code(tmp_path):
    devrun = start(
        tmp_path,
        "web: echo web up && exec sleep 60\nworker: echo loading models && echo 'ImportError: no dlib' && exit 3\n",
    )
    try:
        out, _ = devrun.communicate(timeout=40)
    finally:
        devrun.kill()
    assert devrun.returncode == 1
    assert "devrun: worker stopped by itself (exit code 3)." in out
    assert "devrun:   ImportError: no dlib" in out
    for n in (1, 2, 3):
        assert f"devrun: restarting worker in {n} s (restart {n} of 3)." in out
    assert out.count("worker | loading models") == 4
    assert "devrun: worker keeps stopping; not restarting it again." in out
    assert "devrun: stopping web." in out


def _child(devrun: subprocess.Popen, newest: bool = True) -> int:
    found = subprocess.run(["pgrep", "-P", str(devrun.pid), "-n" if newest else "-o"], capture_output=True, text=True)
    return int(found.stdout.split()[-1])


def test_a_killed_worker_is_restarted_and_says_so_and_a_killed_web_server_stops_everything(tmp_path):
    devrun = start(tmp_path, "web: echo web up && exec sleep 60\nworker: echo worker up && exec sleep 60\n")
    try:
        wait_for_line(devrun, "worker | worker up")
        time.sleep(0.3)
        os.kill(_child(devrun), signal.SIGKILL)  # the worker: started last
        lines = wait_for_line(devrun, "worker | worker up")
        assert "devrun: worker stopped by itself (killed by SIGKILL)." in lines
        assert "devrun: restarting worker in 1 s (restart 1 of 3)." in lines
        time.sleep(0.3)
        os.kill(_child(devrun, newest=False), signal.SIGKILL)  # the web server: started first
        out, _ = devrun.communicate(timeout=30)
    finally:
        devrun.kill()
    assert devrun.returncode == 1
    assert "devrun: web stopped by itself (killed by SIGKILL)." in out
    assert "devrun: stopping worker." in out


def test_ctrl_c_in_a_terminal_ends_make_with_exit_code_0(tmp_path):
    """As a person runs it: `make` in a terminal (a pseudo-terminal here), Ctrl-C typed into it."""
    import pty

    (tmp_path / "Procfile").write_text("web: echo web up && exec sleep 60\nworker: echo worker up && exec sleep 60\n")
    (tmp_path / "Makefile").write_text(f"run:\n\t{sys.executable} -m faceswap_site.devrun\n")
    env = {**os.environ, "DEVRUN_PROCFILE": str(tmp_path / "Procfile"), "REDIS_URL": "redis://127.0.0.1:9/0"}
    pid, master = pty.fork()
    if pid == 0:  # the child: make, in the terminal's foreground group
        os.chdir(REPO_DIR)
        os.execvpe("make", ["make", "--no-print-directory", "-f", str(tmp_path / "Makefile"), "run"], env)
    output = b""
    deadline = time.monotonic() + 30
    while b"worker up" not in output and time.monotonic() < deadline:
        try:
            output += os.read(master, 4096)
        except OSError:
            break
    assert b"worker up" in output, output
    os.write(master, b"\x03")  # Ctrl-C
    while time.monotonic() < deadline + 30:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    os.close(master)
    text = output.decode(errors="replace")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, (status, text)
    assert "devrun: stopped." in text and "Error" not in text and "Interrupt" not in text
