"""QR posters for the staff to print and put up: one per building (its public areas) and
one per elevator (one elevator per unit of each building), from ``buildings`` in
``site/data/community.yml``.

Each poster's QR code opens the repair form with the place filled in, e.g.
``https://cuihu.example.cn/repairs/#location=3%E5%8F%B7%E6%A5%BC2%E5%8D%95%E5%85%83%E7%94%B5%E6%A2%AF``
(``3号楼2单元电梯``; repair-form.js reads the fragment, selects 公共区域 and removes the
fragment). The place is percent-encoded so the code holds plain ASCII: every scanner reads
it the same way. The codes are inline SVG made at build time with segno; they need an
absolute address, so the build fails without ``site_url`` in mkdocs.yml.

The pages are generated (no file under docs_dir): ``posters/index.md`` and one
``posters/building-<number>.md`` per building. They are left out of the nav and the search.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import quote

REPAIRS_PATH = "repairs/"
INDEX_URI = "posters/index.md"
QR_ERROR = "m"  # 15 % of the code may be dirty or torn and it still reads


class PosterError(ValueError):
    """The data or the configuration cannot make posters; the message says why."""


@dataclass(frozen=True)
class Poster:
    id: str        # HTML id, e.g. poster-3-elevator-2
    kind: str      # "building" or "elevator"
    location: str  # what the form's location field gets, e.g. 3号楼2单元电梯
    url: str       # what the QR code opens


@dataclass(frozen=True)
class BuildingPosters:
    number: str
    src_uri: str   # posters/building-3.md
    posters: tuple[Poster, ...]


def require_site_url(site_url: str | None) -> str:
    """The absolute site address the QR codes point at (``https://…/``)."""
    url = (site_url or "").strip()
    if not url.startswith(("https://", "http://")):
        raise PosterError("the QR posters need an absolute site_url in mkdocs.yml "
                          "(e.g. https://cuihu.example.cn/): a QR code cannot hold a relative link")
    return url.rstrip("/") + "/"


def repair_url(site_url: str, location: str) -> str:
    """The repair form with ``location`` filled in (a public area)."""
    return f"{require_site_url(site_url)}{REPAIRS_PATH}#location={quote(location, safe='')}"


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG that scales to its box (no width/height)."""
    import segno

    return segno.make(url, error=QR_ERROR, micro=False).svg_inline(
        dark="#000", omitsize=True, svgclass="poster__qr", lineclass=None)


def building_posters(buildings: list[dict], site_url: str) -> list[BuildingPosters]:
    """A poster for each building and for each unit's elevator, in the data file's order."""
    found: list[BuildingPosters] = []
    seen: set[str] = set()
    for building in buildings:
        number = str(building.get("number", "")).strip()
        units = building.get("units")
        if not number or type(units) is not int or units < 1:
            raise PosterError(f"buildings: {building!r} needs a number and a count of units (1 or more)")
        if number in seen:
            raise PosterError(f"buildings: building {number} is listed twice")
        seen.add(number)
        posters = [Poster(f"poster-{number}", "building", f"{number}号楼", repair_url(site_url, f"{number}号楼"))]
        for unit in range(1, units + 1):
            location = f"{number}号楼{unit}单元电梯"
            posters.append(Poster(f"poster-{number}-elevator-{unit}", "elevator", location,
                                  repair_url(site_url, location)))
        found.append(BuildingPosters(number, f"posters/building-{number}.md", tuple(posters)))
    return found


# ---------------------------------------------------------------------- pages


def _tel(phone: dict) -> str:
    return f'<a class="tel" href="tel:{html.escape(phone["dial"])}">{html.escape(phone["display"])}</a>'


def poster_html(poster: Poster, community: dict, site_url: str) -> str:
    """One A4 poster. Raw HTML inside Markdown: no blank lines."""
    hotline = community["phones"]["hotline"]
    where = html.escape(poster.location)
    if poster.kind == "elevator":
        lead = "电梯停运、异响、按键或照明坏了？用手机扫一扫，在网上报修，地点已经替您填好。"
        urgent = f"有人被困在电梯里：请按轿厢里的警铃，并拨打{html.escape(hotline['name'])} {_tel(hotline)}"
    else:
        lead = "楼道、门禁、照明、公共设施坏了？用手机扫一扫，在网上报修，写上楼层和具体位置即可。"
        urgent = f"着火、燃气泄漏、水管爆裂等紧急情况请先打电话：{html.escape(hotline['name'])} {_tel(hotline)}"
    site = html.escape(require_site_url(site_url) + REPAIRS_PATH)
    return (
        f'<section class="poster poster--{poster.kind}" id="{poster.id}" data-location="{where}" '
        f'data-url="{html.escape(poster.url)}" aria-labelledby="{poster.id}-title">\n'
        f'<p class="poster__estate">{html.escape(community["short_name"])} · 物业报修</p>\n'
        f'<h2 class="poster__title" id="{poster.id}-title">{where}</h2>\n'
        f'<p class="poster__lead">{lead}</p>\n'
        f'<div class="poster__code" role="img" aria-label="报修二维码：{where}">{qr_svg(poster.url)}</div>\n'
        f'<p class="poster__scan">扫码报修 · {where}</p>\n'
        f'<p class="poster__urgent">{urgent}</p>\n'
        f'<p class="poster__site">不方便扫码：打开 {site} 选择“公共区域”，地点写“{where}”。</p>\n'
        f'</section>'
    )


def _front_matter(title: str) -> str:
    return (f"---\ntitle: {title}\nhide:\n  - navigation\n  - toc\nsearch:\n  exclude: true\n---\n\n")


def building_page(building: BuildingPosters, community: dict, site_url: str) -> str:
    title = f"{building.number} 号楼报修二维码海报"
    posters = "\n".join(poster_html(p, community, site_url) for p in building.posters)
    return (
        _front_matter(title)
        + f'<div class="posters-intro">\n<h1>{html.escape(title)}</h1>\n'
        f'<p>共 {len(building.posters)} 张：楼栋公共区域 1 张，每个单元的电梯各 1 张。'
        '打印时每张海报占一页 A4，楼栋海报贴在单元门厅，电梯海报贴在该单元一层电梯厅。'
        '<a href="../">全部楼栋</a></p>\n</div>\n\n'
        f'<div class="posters">\n{posters}\n</div>\n'
    )


def index_page(buildings: list[BuildingPosters]) -> str:
    items = "\n".join(
        f'- [{b.number} 号楼](building-{b.number}.md)：{len(b.posters)} 张'
        f'（楼栋 1 张，电梯 {len(b.posters) - 1} 张）' for b in buildings)
    return (
        _front_matter("报修二维码海报")
        + "# 报修二维码海报\n\n"
        "物业员工用：每栋楼一页，打开后用浏览器打印（A4，每张海报一页）。"
        "住户扫描海报上的二维码，就会打开网上报修页，并自动选好“公共区域”、填好地点。\n\n"
        f"{items}\n\n"
        "海报由网站根据 `site/data/community.yml` 里的楼栋清单自动生成，楼栋或单元有变化时改那个文件即可。\n"
    )


def pages(community: dict, site_url: str) -> dict[str, str]:
    """{src_uri: Markdown} of every poster page."""
    buildings = building_posters(community["buildings"], site_url)
    generated = {INDEX_URI: index_page(buildings)}
    for building in buildings:
        generated[building.src_uri] = building_page(building, community, site_url)
    return generated
