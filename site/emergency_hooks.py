"""MkDocs hook for the emergency plans, the offline copy and the QR posters (the second
entry of ``hooks:`` in mkdocs.yml, after site/hooks.py, whose ``on_config`` puts the checked
community facts in ``config.extra["community"]``):

``on_config``
    checks the assembly points of community.yml (every building evacuates to exactly one
    point) and that ``site_url`` is set (the posters' QR codes need an absolute address)
``on_files``
    adds the generated poster pages (``posters/``, see site/posters.py)
``on_post_build``
    writes ``sw.js`` at the site root (see site/offline.py)

The logic is in site/posters.py and site/offline.py, loaded by path like this file.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

SITE_DIR = Path(__file__).resolve().parent


def _load_sibling(name: str):
    spec = importlib.util.spec_from_file_location(f"butler_site_{name}", SITE_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


posters = _load_sibling("posters")
offline = _load_sibling("offline")


def check_assembly_points(community: dict) -> None:
    points = community.get("assembly_points")
    if not isinstance(points, dict) or not points:
        raise PluginError("community.yml: assembly_points is missing (the emergency plans name them)")
    for key, point in points.items():
        if not isinstance(point, dict) or not point.get("name") or not point.get("where"):
            raise PluginError(f"community.yml: assembly_points.{key} needs 'name' and 'where'")
    numbers = [b["number"] for b in community["buildings"]]
    for number in numbers:
        at = [key for key, p in points.items() if number in (p.get("buildings") or [])]
        if len(at) != 1:
            raise PluginError(f"community.yml: building {number} must evacuate to exactly one assembly "
                              f"point, found {at or 'none'}")
    for key, point in points.items():
        unknown = [n for n in point.get("buildings") or [] if n not in numbers]
        if unknown:
            raise PluginError(f"community.yml: assembly_points.{key} names unknown buildings {unknown}")


def on_config(config, **kwargs):
    check_assembly_points(config.extra["community"])
    try:
        posters.require_site_url(config.site_url)
    except posters.PosterError as exc:
        raise PluginError(str(exc)) from exc
    return config


def on_files(files, config, **kwargs):
    try:
        generated = posters.pages(config.extra["community"], config.site_url)
    except posters.PosterError as exc:
        raise PluginError(f"QR posters: {exc}") from exc
    for src_uri, content in generated.items():
        files.append(File.generated(config, src_uri, content=content))
    return files


def on_post_build(config, **kwargs):
    try:
        offline.write_service_worker(Path(config.site_dir))
    except offline.OfflineError as exc:
        raise PluginError(f"sw.js: {exc}") from exc
