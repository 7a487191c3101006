"""The local stack as a subprocess (exactly what `make dev` runs, without demo data), and
Debian's Chromium driven by Playwright on a phone-sized screen."""
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from tests.support import privacy

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@dataclass
class RunningStack:
    url: str
    dynamodb_endpoint: str
    repairs_table: str
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def repairs(self) -> list[dict]:
        client = boto3.client("dynamodb", endpoint_url=self.dynamodb_endpoint)
        return client.scan(TableName=self.repairs_table)["Items"]


@pytest.fixture(scope="session")
def local_stack(built_site, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("stack") / "stack.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local", "--port", "0", "--site-dir", str(built_site),
         "--no-demo", "--stop-with-parent"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        with open(log_path, "w", encoding="utf-8") as log:
            for line in process.stdout:
                log.write(line)
                log.flush()
                lines.append(line)
                if line.startswith("Press Ctrl-C"):
                    ready.set()
        ready.set()

    threading.Thread(target=drain, daemon=True).start()
    if not ready.wait(120) or process.poll() is not None:
        process.kill()
        pytest.fail("local stack did not start:\n" + "".join(lines))
    text = "".join(lines)
    stack = RunningStack(
        url=re.search(r"Site:\s+(http://\S+?)/\s", text).group(1),
        dynamodb_endpoint=re.search(r"DynamoDB:\s+(http://\S+)", text).group(1),
        repairs_table=re.search(r"tables: (\S+-repairs)", text).group(1),
        log_path=log_path,
    )
    yield stack
    process.send_signal(signal.SIGINT)
    try:  # generous: a busy two-core machine can be slow to wind the threads down
        process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("local stack did not stop on Ctrl-C:\n" + stack.log_text()[-2000:])
    privacy.scan("local stack output", stack.log_text())
    assert "Stopped." in stack.log_text()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert shutil.which("chromium") or os.path.exists(CHROMIUM), \
        "Chromium is missing: run `make system-deps` (Debian package chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, local_stack):
    """A new phone-sized page (390×844, touch, zh-CN, Asia/Shanghai) on the local stack."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
        locale="zh-CN", timezone_id="Asia/Shanghai", base_url=local_stack.url,
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The local front sends template.yaml's CSP: anything it blocks is a defect of the page.
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def local_sdk(local_stack, monkeypatch):
    """This process's AWS SDKs (staff tools in the tests) pointed at the local stack."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.setenv(name, local_stack.dynamodb_endpoint)
    return local_stack
