"""Lighthouse (mobile) against the built site, one run per page type; the scores go to
docs/lighthouse.md.

    make site
    (cd bench && npm ci)              # Lighthouse 12.2.3, pinned in bench/package-lock.json
    .venv/bin/python bench/lighthouse.py [--site-dir build/site] [--runs N]

The site is served on 127.0.0.1 the way CloudFront serves it: gzip for text, the
security headers of template.yaml's response-headers policy. Lighthouse drives Debian's
Chromium (CHROME_PATH=/usr/bin/chromium) with its default mobile emulation and simulated
throttling. Each page's score is the median of ``--runs`` runs (default one).
"""
from __future__ import annotations

import argparse
import functools
import gzip
import io
import json
import mimetypes
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from datetime import datetime, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.template import load_template, security_headers  # noqa: E402
from tests.site.conftest import PAGES  # noqa: E402

LIGHTHOUSE = ROOT / "bench" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
                "--disable-component-update --disable-sync --no-first-run --disable-quic")


class CloudFrontLike(SimpleHTTPRequestHandler):
    headers_to_add: dict[str, str] = {}

    def log_message(self, *args):  # quiet
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            return super().send_head()
        body = path.read_bytes()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        compress = kind.startswith(TEXT_TYPES) and "gzip" in self.headers.get("Accept-Encoding", "")
        if compress:
            body = gzip.compress(body, compresslevel=6)
        self.send_response(200)
        self.send_header("Content-Type", kind + ("; charset=utf-8" if kind.startswith("text/") else ""))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "public, max-age=3600")
        if compress:
            self.send_header("Content-Encoding", "gzip")
        for name, value in self.headers_to_add.items():
            self.send_header(name, value)
        self.end_headers()
        return io.BytesIO(body)


def serve(site_dir: Path) -> tuple[ThreadingHTTPServer, str]:
    handler = functools.partial(CloudFrontLike, directory=str(site_dir))
    CloudFrontLike.headers_to_add = security_headers(load_template())
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def run_lighthouse(url: str) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        env = dict(os.environ, CHROME_PATH=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
        subprocess.run([str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
                        f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"],
                       check=True, env=env, capture_output=True, timeout=300)
        report = json.loads(out.read_text(encoding="utf-8"))
    return {c: round(100 * report["categories"][c]["score"]) for c in CATEGORIES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site-dir", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--runs", type=int, default=1, help="runs per page; the score is their median")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "lighthouse.md")
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        print("Lighthouse is missing: run `cd bench && npm ci` first.", file=sys.stderr)
        return 2
    server, base = serve(args.site_dir)
    rows = []
    try:
        for key, built in PAGES.items():
            url = f"{base}/{built.removesuffix('index.html')}"
            runs = [run_lighthouse(url) for _ in range(args.runs)]
            median = {c: int(statistics.median(r[c] for r in runs)) for c in CATEGORIES}
            rows.append((key, "/" + built.removesuffix("index.html"), median))
            print(key, median, flush=True)
    finally:
        server.shutdown()
    write_report(args.out, rows, args.runs)
    return 0


def write_report(path: Path, rows, runs: int) -> None:
    lines = [
        "# Lighthouse scores (mobile)",
        "",
        "Measured by `bench/lighthouse.py` on "
        f"{datetime.now(timezone.utc):%Y-%m-%d} (Lighthouse 12.2.3, Debian Chromium, default mobile",
        f"emulation and simulated throttling; {'one run' if runs == 1 else f'median of {runs} runs'} per page; the built site served",
        "with gzip and the template's security headers, as CloudFront serves it). Command:",
        "",
        "```sh",
        "make site && (cd bench && npm ci) && .venv/bin/python bench/lighthouse.py",
        "```",
        "",
        "Targets (issue 6): performance 95+, accessibility 100, best practices 100, SEO 95+.",
        "",
        "| page | path | performance | accessibility | best practices | SEO |",
        "|---|---|---|---|---|---|",
    ]
    for key, url, scores in rows:
        lines.append(f"| {key} | `{url}` | " + " | ".join(str(scores[c]) for c in CATEGORIES) + " |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
