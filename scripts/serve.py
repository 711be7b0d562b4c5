"""`make run`: the web server and, in the same session, the task worker (embedded default)."""

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
    args = parser.parse_args()
    python = sys.executable
    # Links in emails and PDFs point at the address served here (unless configured), also
    # from a command run by hand beside the server (settings read var/served-address).
    os.environ.setdefault("GUICHET_BASE_URL", f"http://127.0.0.1:{args.port}")
    var = Path(os.environ.get("GUICHET_VAR_DIR", ROOT / "var"))
    var.mkdir(parents=True, exist_ok=True)
    (var / "served-address").write_text(os.environ["GUICHET_BASE_URL"] + "\n")
    # The worker logs each task's start and end: only its warnings and errors here.
    os.environ.setdefault("TASKS_LOG_LEVEL", "WARNING")
    manage = str(ROOT / "manage.py")
    worker = subprocess.Popen(
        [python, manage, "run_worker", "--interval", "1", "--no-reload"], cwd=ROOT
    )
    # Enqueues the periodic tasks (deadline sweep, journal checkpoint…) when they are due.
    scheduler = subprocess.Popen([python, manage, "run_periodic", "--loop"], cwd=ROOT)
    try:
        server = subprocess.run(
            [python, manage, "runserver", f"127.0.0.1:{args.port}", "--noreload"], cwd=ROOT
        )
        return server.returncode
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (scheduler, worker):
            process.send_signal(signal.SIGTERM)
        for process in (scheduler, worker):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
