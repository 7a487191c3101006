"""Cold-start cost of each Lambda handler module, against a floor: a fresh Python process
that imports the handler, compared with one that only does ``import boto3`` and creates a
DynamoDB client (what any function touching DynamoDB pays anyway). Goal: at most 1.25×.

    .venv/bin/python bench/cold_start.py [--repeat 7]

Each figure is the median wall time of ``--repeat`` fresh interpreters (``python -c``), the
process start itself included in both, measured in one run; the table goes to
docs/cold-start.md with the command.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.template import functions, load_template  # noqa: E402

FLOOR = "import boto3; boto3.client('dynamodb', region_name='ap-east-1')"
GOAL = 1.25
ENV = {**os.environ, "AWS_DEFAULT_REGION": "ap-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
       "POWERTOOLS_METRICS_NAMESPACE": "PropertyButler", "POWERTOOLS_SERVICE_NAME": "bench",
       "PYTHONDONTWRITEBYTECODE": "", "PYTHONPATH": str(ROOT / "functions")}


def seconds(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=ENV, cwd=ROOT, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "cold-start.md")
    args = parser.parse_args(argv)
    seconds("pass", 2)  # warm the file cache
    floor = seconds(FLOOR, args.repeat)
    rows = []
    for spec in functions(load_template()):
        module = spec.handler.rsplit(".", 1)[0]
        took = seconds(f"{FLOOR}; import {module}", args.repeat)
        rows.append((spec.logical_id, module, took, took / floor))
        print(f"{spec.logical_id:28} {took * 1000:7.0f} ms  {took / floor:4.2f}×", flush=True)
    lines = [
        "# Cold start: handler imports against the floor",
        "",
        f"Measured by `bench/cold_start.py` on {datetime.now(timezone.utc):%Y-%m-%d} (2 vCPU, Python "
        f"{sys.version.split()[0]}): median wall time of {args.repeat} fresh interpreters each. The floor is a",
        "process that imports boto3 and creates a DynamoDB client; each handler's process does the same",
        "and then imports the handler module, as Lambda does at a cold start. Goal: at most "
        f"{GOAL}× the floor.",
        "",
        "```sh",
        ".venv/bin/python bench/cold_start.py",
        "```",
        "",
        f"Floor: {floor * 1000:.0f} ms.",
        "",
        "| function | module | cold import | × floor | goal met |",
        "|---|---|---|---|---|",
    ]
    for logical_id, module, took, ratio in rows:
        lines.append(f"| {logical_id} | `{module}` | {took * 1000:.0f} ms | {ratio:.2f} | "
                     f"{'yes' if ratio <= GOAL else 'no'} |")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
