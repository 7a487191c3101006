"""The resident site at scale: N generated notices (and events), one strict build, sizes.

    .venv/bin/python bench/site_scale.py                  # 1,000 notices
    .venv/bin/python bench/site_scale.py --notices 3000 --events 500 --keep /tmp/big-site

Copies ``mkdocs.yml`` and ``site/`` into a temporary directory, writes the generated
notices into the copy's ``site/content/notices/posts/`` (never into this repository),
builds with ``mkdocs build --strict`` and prints the build time, the largest HTML page,
the number of pages and the size of the whole site. ``--events N`` appends N one-off
events to the copy's ``site/data/events.yml`` when that file exists (the event calendar,
``site/events.py``); without it events are skipped and the script says so. Figures go in
``docs/site-scale.md`` with the command; tests never assert timings.

``copy_site`` and ``build`` are also what the site tests use for builds of a modified copy.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
POSTS = Path("site/content/notices/posts")
EVENTS = Path("site/data/events.yml")
CATEGORIES = ("社区动态", "政策法规", "生活常识", "停水停电通知")
EVENT_CATEGORIES = ("festival", "family", "sports", "interest", "drill")
BODY = ("物业服务中心提醒各位业主：本条为规模测试生成的示例公告，内容不针对任何具体事项。"
        "请大家留意小区公告栏和本网站的通知，有问题随时联系管家。\n\n")


def copy_site(dest: Path) -> Path:
    """``mkdocs.yml`` and ``site/`` copied into ``dest``, ready to build there."""
    shutil.copytree(ROOT / "site", dest / "site", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    return dest


def build(root: Path, out: Path, **env: str) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` of the site at ``root`` into ``out``, with extra environment."""
    environ = dict(os.environ, NO_MKDOCS_2_WARNING="1", **env)
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=root, capture_output=True, text=True, env=environ, timeout=1800)


def write_notices(root: Path, count: int, today: date) -> None:
    """``count`` notices, one a day going back from ``today``: the four categories in turn,
    every outage notice ending (half of them already ended), the newest one pinned."""
    posts = root / POSTS
    for i in range(count):
        day = today - timedelta(days=i)
        category = CATEGORIES[i % len(CATEGORIES)]
        lines = ["---", f"date: {day.isoformat()}", f"slug: scale-notice-{i:05d}", "categories:",
                 f"  - {category}"]
        if i == 0:
            lines.append("pin: true")
        if category == "停水停电通知":
            end = day + timedelta(days=1 if i % 8 else 400)
            lines.append(f"expires: {end.isoformat()}T18:00:00+08:00")
        lines += ["---", "", f"# 示例公告第 {i + 1} 号（{category}）", "", BODY, "<!-- more -->", "", BODY * 3]
        (posts / f"scale-notice-{i:05d}.md").write_text("\n".join(lines), encoding="utf-8")


def write_events(root: Path, count: int, today: date) -> bool:
    """Append ``count`` one-off evening events to the copy's events.yml; False without it."""
    path = root / EVENTS
    if not path.is_file():
        return False
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for i in range(count):
        day = today + timedelta(days=i % 365)
        data["events"].append({
            "slug": f"scale-event-{i:05d}", "title": f"示例活动第 {i + 1} 场",
            "category": EVENT_CATEGORIES[i % len(EVENT_CATEGORIES)],
            "start": f"{day.isoformat()} 19:00", "end": f"{day.isoformat()} 20:30",
            "place": "物业服务中心二楼活动室（示例）",
            "description": "规模测试生成的示例活动，内容不针对任何具体安排。",
        })
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return True


def measure(site: Path) -> dict:
    pages = list(site.rglob("*.html"))
    largest = max(pages, key=lambda p: p.stat().st_size)
    board = max((site / "notices").rglob("*.html"), key=lambda p: p.stat().st_size)
    return {"pages": len(pages), "largest": largest.relative_to(site), "largest_bytes": largest.stat().st_size,
            "board": board.relative_to(site), "board_bytes": board.stat().st_size,
            "site_bytes": sum(p.stat().st_size for p in site.rglob("*") if p.is_file())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notices", type=int, default=1000, help="generated notices (default 1000)")
    parser.add_argument("--events", type=int, default=0, help="generated events, if site/data/events.yml exists")
    parser.add_argument("--keep", type=Path, help="build into this directory and keep it")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="site-scale-") as tmp:
        root = copy_site(Path(tmp))
        today = datetime.now().date()
        write_notices(root, args.notices, today)
        if args.events:
            if write_events(root, args.events, today):
                print(f"events: {args.events} generated into {EVENTS}")
            else:
                print(f"events: skipped, {EVENTS} does not exist in this tree yet")
        out = args.keep or root / "build-out"
        started = time.perf_counter()
        result = build(root, out, BUTLER_BUILD_TIME=f"{today.isoformat()}T12:00:00+08:00")
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            print(result.stdout + result.stderr, file=sys.stderr)
            return 1
        m = measure(out)
        print(f"notices: {args.notices}   build: {seconds:.1f} s   HTML pages: {m['pages']}   "
              f"site: {m['site_bytes'] / 1e6:.1f} MB")
        print(f"largest HTML page: {m['largest']} ({m['largest_bytes'] / 1024:.1f} KiB)")
        print(f"largest notices page: {m['board']} ({m['board_bytes'] / 1024:.1f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
