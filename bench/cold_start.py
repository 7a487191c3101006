"""Cold-start cost of each Lambda handler module, against a floor: a fresh Python process
that imports the handler, compared with one that only does ``import boto3`` and creates a
DynamoDB client (what any function touching DynamoDB pays anyway). Goal: at most 1.25×.

    .venv/bin/python bench/cold_start.py [--repeat 15] [--functions DIR] [--before DIR] [--out FILE|-]

Every function of template.yaml is measured (the list is read from the template). Each
process is ``python -c`` ending in ``os._exit(0)``: a cold start ends when the handler module
is loaded, and the interpreter's teardown (60 to 100 ms of freeing modules, which Lambda never
pays on the way to a first request) stays out of both figures. The floor and the handlers
are run in turns, ``--repeat`` rounds, so that load from other processes falls on all of
them alike; the ratio of the fastest runs is what the goal is judged on (other processes
only ever add time, and added time flatters a ratio), the ratio of the medians is shown too.

``--functions`` measures another copy of ``functions/`` with the same template; ``--before``
measures a second copy in the same turns (e.g. an older commit's, from ``git archive``) and
adds its ratios to the table. The table is printed, and written between the markers in
docs/cold-start.md (or ``--out``; ``-`` prints only).
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
EXIT = "import os; os._exit(0)"
GOAL = 1.25
BEGIN, END = "<!-- cold-start table: written by bench/cold_start.py -->", "<!-- end of cold-start table -->"


def environment(functions_dir: Path) -> dict[str, str]:
    return {**os.environ, "AWS_DEFAULT_REGION": "ap-east-1", "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x", "POWERTOOLS_METRICS_NAMESPACE": "PropertyButler",
            "POWERTOOLS_SERVICE_NAME": "bench", "PYTHONDONTWRITEBYTECODE": "",
            "PYTHONPATH": str(functions_dir)}


def module_file(functions_dir: Path, module: str) -> Path:
    return functions_dir / (module.replace(".", "/") + ".py")


def seconds(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"{code}; {EXIT}"], check=True, env=env, cwd=ROOT,
                   capture_output=True)
    return time.perf_counter() - started


def measure(codes: dict[str, tuple[str, dict[str, str]]], repeat: int) -> dict[str, list[float]]:
    """Wall times of each code (with its environment), run in turns: round after round,
    each code once."""
    for code, env in codes.values():  # warm the file cache and write the bytecode
        seconds(code, env)
    times: dict[str, list[float]] = {key: [] for key in codes}
    for _ in range(repeat):
        for key, (code, env) in codes.items():
            times[key].append(seconds(code, env))
    return times


def table(times: dict[str, list[float]], modules: dict[str, str], before: bool) -> list[str]:
    floor = times["floor"]
    fastest, median = min(floor), statistics.median(floor)
    lines = [f"Floor: fastest {fastest * 1000:.0f} ms, median {median * 1000:.0f} ms.", "",
             "| function | module | fastest | × floor | median | × floor | goal met |"
             + (" before: × floor, fastest (median) |" if before else ""),
             "|---|---|---|---|---|---|---|" + ("---|" if before else "")]
    for logical_id, module in modules.items():
        best, middle = min(times[logical_id]), statistics.median(times[logical_id])
        row = (f"| {logical_id} | `{module}` | {best * 1000:.0f} ms | {best / fastest:.2f} | "
               f"{middle * 1000:.0f} ms | {middle / median:.2f} | {'yes' if best / fastest <= GOAL else 'no'} |")
        if before:
            earlier = times.get(f"before {logical_id}")
            row += (f" {min(earlier) / fastest:.2f} ({statistics.median(earlier) / median:.2f}) |"
                    if earlier else " (new) |")
        lines.append(row)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--functions", type=Path, default=ROOT / "functions",
                        help="the copy of functions/ to import (default: this checkout's)")
    parser.add_argument("--before", type=Path,
                        help="another copy of functions/ to measure in the same turns, for comparison")
    parser.add_argument("--out", default=str(ROOT / "docs" / "cold-start.md"),
                        help="Markdown file to write the table into, or - to print only")
    args = parser.parse_args(argv)
    modules = {spec.logical_id: spec.handler.rsplit(".", 1)[0] for spec in functions(load_template())}
    env = environment(args.functions.resolve())
    codes = {"floor": (FLOOR, env),
             **{logical_id: (f"{FLOOR}; import {module}", env) for logical_id, module in modules.items()}}
    if args.before:
        earlier = environment(args.before.resolve())
        codes.update({f"before {logical_id}": (f"{FLOOR}; import {module}", earlier)
                      for logical_id, module in modules.items()
                      if module_file(args.before, module).exists()})  # a function added since has no before
    times = measure(codes, args.repeat)
    lines = [
        BEGIN,
        f"Measured by `bench/cold_start.py --repeat {args.repeat}` on "
        f"{datetime.now(timezone.utc):%Y-%m-%d} ({os.cpu_count()} CPUs, Python {sys.version.split()[0]}): "
        f"{args.repeat} rounds of fresh interpreters, floor and handlers in turns"
        + (f"; before: `{args.before}`." if args.before else "."),
        "",
        *table(times, modules, bool(args.before)),
        END,
    ]
    print("\n".join(lines))
    if args.out != "-":
        out = Path(args.out)
        text = out.read_text(encoding="utf-8") if out.exists() else ""
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            text = head + "\n".join(lines) + rest.split(END, 1)[1]
        else:
            text = "# Cold start: handler imports against the floor\n\n" + "\n".join(lines) + "\n"
        out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
