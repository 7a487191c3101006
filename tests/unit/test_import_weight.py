"""What each function loads at a cold start (docs/cold-start.md; bench/cold_start.py measures
the time): the functions that answer no HTTP request load neither pydantic nor powertools'
event handler (nor the survey domain, which none of them uses), and every handler module
leaves the garbage collector running. Each handler is imported in a fresh interpreter, as
Lambda does; the assertions are on the modules loaded, not on timing."""
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from infra.template import functions, load_template

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = functions(load_template())
HEAVY = ("pydantic", "aws_lambda_powertools.event_handler", "butler.domain.surveys")

PROBE = """
import gc, json, sys
import {module}
print(json.dumps({{"loaded": [name for name in {heavy!r} if name in sys.modules],
                  "gc_enabled": gc.isenabled()}}))
"""


@lru_cache(maxsize=None)
def loaded_by(handler: str) -> dict:
    module = handler.rsplit(".", 1)[0]
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module, heavy=HEAVY)], cwd=ROOT, check=True,
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT / "functions"), "PYTHONDONTWRITEBYTECODE": "1"})
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("spec", [s for s in FUNCTIONS if not s.routes], ids=lambda s: s.logical_id)
def test_functions_without_http_routes_load_no_validation_or_event_handler(spec):
    assert loaded_by(spec.handler)["loaded"] == []


def test_the_non_http_functions_are_the_scheduled_stream_and_event_ones():
    kinds = {spec.logical_id: sorted({e["Type"] for e in spec.events.values()})
             for spec in FUNCTIONS if not spec.routes}
    assert kinds and all(types and set(types) <= {"Schedule", "DynamoDB", "EventBridgeRule"}
                         for types in kinds.values()), kinds


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda s: s.logical_id)
def test_every_handler_module_leaves_the_garbage_collector_running(spec):
    assert loaded_by(spec.handler)["gc_enabled"] is True
