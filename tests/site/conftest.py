"""Site fixtures: built pages (the root ``built_site``) and the facts they are built from."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMMUNITY_FILE = ROOT / "site" / "data" / "community.yml"
HOOKS_FILE = ROOT / "site" / "hooks.py"

# Pages residents need, by their URL path under the site root.
PAGES = {
    "home": "index.html",
    "repairs": "repairs/index.html",
    "track": "track/index.html",
    "complaints": "complaints/index.html",
    "survey": "survey/index.html",
    "survey_results": "survey/results/index.html",
    "emergency": "emergency/index.html",
    "process": "service/repair-process/index.html",
    "complaint_process": "service/complaint-process/index.html",
    "standards": "service/standards/index.html",
    # the service charter (site/charter.py, tests/site/test_charter.py)
    "charter": "charter/index.html",
    "charter_goals": "charter/goals/index.html",
    "charter_services": "charter/services/index.html",
    "charter_processes": "charter/processes/index.html",
    "charter_staffing": "charter/staffing/index.html",
    "charter_quality": "charter/quality/index.html",
    "charter_emergency": "charter/emergency/index.html",
    "charter_budget": "charter/budget/index.html",
    "charter_commitments": "charter/commitments/index.html",
    "events": "events/index.html",
    "event": "events/fire-drill/index.html",  # one generated event page
    # the bulletin board (site/notices.py): the list, a category, an archive, a notice
    "notices": "notices/index.html",
    "notices_category": "notices/category/outages/index.html",
    "notices_archive": "notices/archive/2026/index.html",
    "notice": "notices/2026/11/22/winter-pipe-protection/index.html",
    # an emergency plan and the QR posters (site/emergency_hooks.py)
    "emergency_plan": "emergency/fire/index.html",
    "posters": "posters/index.html",
    "poster": "posters/building-3/index.html",
}


@pytest.fixture(scope="session")
def page_html(built_site):
    """Read a built page by its key in PAGES."""
    def read(key: str) -> str:
        return (built_site / PAGES[key]).read_text(encoding="utf-8")
    return read


@pytest.fixture(scope="session")
def community() -> dict:
    from butler.domain.estate import load_estate

    data = yaml.safe_load(COMMUNITY_FILE.read_text(encoding="utf-8"))
    return {**data, "buildings": load_estate().as_data()}  # as site/hooks.py load_community reads it


@pytest.fixture(scope="session")
def hooks():
    """site/hooks.py loaded the way MkDocs loads it: by path, not as a package."""
    spec = importlib.util.spec_from_file_location("butler_site_hooks_under_test", HOOKS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
