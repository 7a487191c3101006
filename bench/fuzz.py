"""A long Schemathesis run against a local stack of its own: the same profiles and checks as
``tests/e2e/test_api_fuzz.py`` (``tests/support/fuzz.py``), with more cases and any seed.

    .venv/bin/python bench/fuzz.py [--cases 20000] [--seed 1] [--site-dir build/site]

Starts ``python -m infra.local --no-demo`` on a free port (building the site into
``--site-dir`` first when it holds none), opens the cases to follow and a survey, fuzzes,
and prints cases and statuses per operation and every distinct failure with an example.
Exits 1 when there was a failure. Record a run's figures in docs/fuzzing.md.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "functions"))

from tests.support import fuzz  # noqa: E402

FAKE_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "ap-east-1", "AWS_REGION": "ap-east-1"}


def build_site(site_dir: Path) -> None:
    print(f"building the site into {site_dir} …", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
                   cwd=ROOT, check=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, capture_output=True)


class Stack:
    """``python -m infra.local`` as a subprocess, as the e2e tests run it."""

    def __init__(self, site_dir: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        env.update(FAKE_AWS)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local", "--port", "0", "--site-dir", str(site_dir), "--no-demo",
             "--stop-with-parent"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        ready = threading.Event()

        def drain() -> None:
            for line in self.process.stdout:
                self.lines.append(line)
                if line.startswith("Press Ctrl-C"):
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(120) or self.process.poll() is not None:
            self.process.kill()
            raise SystemExit("local stack did not start:\n" + "".join(self.lines))
        text = "".join(self.lines)
        self.url = re.search(r"Site:\s+(http://\S+?)/\s", text).group(1)
        self.dynamodb = re.search(r"DynamoDB:\s+(http://\S+)", text).group(1)
        self.prefix = re.search(r"tables: (\S+)-repairs", text).group(1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def tracebacks(self) -> list[str]:
        """The last line of each traceback the stack printed (a stream or schedule function
        failing, say: nothing the HTTP answers show)."""
        found, inside = [], False
        for line in self.lines:
            if line.startswith("Traceback"):
                inside = True
            elif inside and not line.startswith((" ", "\t")):
                found.append(line.rstrip())
                inside = False
        return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20000, help="requests in all (default 20000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--site-dir", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--copies", type=int, default=3, help="real cases per state to follow (default 3)")
    parser.add_argument("--survey-codes", type=int, default=200, help="survey invitations (default 200)")
    parser.add_argument("--phone-reports", type=int, default=20,
                        help="phone reports of each kind with a one-time short code (default 20)")
    parser.add_argument("--stack-log", type=Path, default=ROOT / "build" / "fuzz-stack.log",
                        help="where the stack's output goes (default build/fuzz-stack.log)")
    args = parser.parse_args(argv)
    os.environ.update(FAKE_AWS)
    if not (args.site_dir / "index.html").is_file():
        build_site(args.site_dir)

    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    stack = Stack(args.site_dir)
    try:
        residents = fuzz.open_resident_cases(stack.url, stack.dynamodb, stack.prefix, copies=args.copies,
                                             survey_codes=args.survey_codes, phone_reports=args.phone_reports)
        report = fuzz.run(stack.url, cases=args.cases, seed=args.seed, residents=residents,
                          progress=lambda line: print(line, file=sys.stderr, flush=True))
    finally:
        stack.stop()
        args.stack_log.parent.mkdir(parents=True, exist_ok=True)
        args.stack_log.write_text("".join(stack.lines), encoding="utf-8")
    tracebacks = stack.tracebacks()
    print(f"schemathesis fuzz, {started:%Y-%m-%d %H:%M} UTC, seed {args.seed}, "
          f"{len(residents.cases)} cases followed, {len(residents.phone_reports)} phone reports with a short code, "
          f"{len(residents.survey_codes)} survey invitations")
    print(report.summary())
    print(f"tracebacks in the stack's output ({args.stack_log}): {len(tracebacks)}")
    for line in tracebacks:
        print(f"  {line}")
    print(f"wall time with the stack's start and set-up: {time.perf_counter() - clock:.0f} s")
    return 1 if report.failures or tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
