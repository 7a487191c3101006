"""Root fixtures. Fake AWS credentials are set before anything creates a client, and a
session-wide guard reads every captured log line of the suite for residents' phone
numbers, tracking tokens and the short codes of phone reports (tests.support.privacy)."""
import os

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ap-east-1",
    "AWS_REGION": "ap-east-1",
    "POWERTOOLS_LOG_LEVEL": "DEBUG",
    "POWERTOOLS_SERVICE_NAME": "tests",
})
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
    os.environ.pop(_name, None)

from infra.template import load_template  # noqa: E402

# What every function gets from the template's Globals (the metrics namespace ...), set
# before any handler module is imported, as Lambda does.
for _name, _value in load_template()["Globals"]["Function"]["Environment"]["Variables"].items():
    if _name != "POWERTOOLS_LOG_LEVEL":
        os.environ.setdefault(_name, str(_value))

import logging  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.support import privacy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

logging.getLogger("werkzeug").setLevel(logging.ERROR)
# Everything is captured at DEBUG (pyproject's log_level) and read by the privacy guard.
# butler.repository keeps the SDK's payload logging at INFO in the functions; importing it
# here does the same for the tests' own clients (which scan tables full of phone numbers).
import butler.repository  # noqa: E402,F401


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """``mkdocs build --strict`` once per session; any WARNING line fails it too.

    Not ``--quiet``: it lowers the mkdocs logger to ERROR, so warnings would never reach
    the strict-mode counter and a broken link would pass.
    """
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    warnings = [line for line in output.splitlines() if "WARNING" in line]
    assert not warnings, "\n".join(warnings)
    return out


def pytest_runtest_logreport(report):
    for title, text in report.sections:
        privacy.scan(f"{report.nodeid} [{title}]", text)


def pytest_sessionfinish(session, exitstatus):
    leaks = privacy.leaks()
    if leaks:
        sys.stderr.write("\nPersonal data found in captured log output:\n")
        for where, what in leaks[:20]:
            sys.stderr.write(f"  {where}: {what}\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
