"""What the resident forms take from the code at build time, so that the pages cannot drift
from the server: the length limits of every text field, read from the API's request
models (``butler.web.schemas``: pydantic models, no handler, no AWS client), and the
estate's layout for the house-number pickers.

Template names (``template_globals``):

``limits``
    ``limits[form][field]`` → ``Limit(min, max)`` of that request model's field (``None``
    where the schema sets none); forms: ``repair``, ``complaint``, ``survey``, ``rating``,
    ``not_fixed``, ``not_satisfied``, ``cancel``
``length_attrs(form, field)``
    ``data-min-chars="…" data-max-chars="…"`` for the field's control. The page's
    script (forms.js) counts characters as the server does (code points of the stripped
    text, Python's ``len``) and says when text is too long; no ``maxlength``, which counts
    UTF-16 units and cuts a paste silently.
``estate_buildings``
    the estate's buildings (``butler.domain.estate.Building``: number, units, floors,
    rooms per floor), in order: the layout the server checks house numbers against
"""
from __future__ import annotations

from typing import NamedTuple

from markupsafe import Markup

from butler.domain.estate import load_estate
from butler.web import schemas

MODELS = {
    "repair": schemas.RepairReportIn,
    "complaint": schemas.ComplaintIn,
    "survey": schemas.SurveyIn,
    "rating": schemas.RatingIn,
    "not_fixed": schemas.NotFixedIn,
    "not_satisfied": schemas.NotSatisfiedIn,
    "cancel": schemas.CancelIn,
}


class Limit(NamedTuple):
    min: int | None
    max: int | None


def field_limits(model) -> dict[str, Limit]:
    """``Limit`` of every string field of a pydantic model (its MinLen / MaxLen metadata)."""
    found = {}
    for name, info in model.model_fields.items():
        lows = [m.min_length for m in info.metadata if hasattr(m, "min_length")]
        highs = [m.max_length for m in info.metadata if hasattr(m, "max_length")]
        if lows or highs:
            found[name] = Limit(lows[0] if lows else None, highs[0] if highs else None)
    return found


def limits() -> dict[str, dict[str, Limit]]:
    return {form: field_limits(model) for form, model in MODELS.items()}


def length_attrs(form: str, field: str) -> Markup:
    limit = limits()[form][field]  # KeyError: the page names a field the schema has no limit for
    attrs = []
    if limit.min:
        attrs.append(Markup('data-min-chars="{}"').format(limit.min))
    if limit.max:
        attrs.append(Markup('data-max-chars="{}"').format(limit.max))
    return Markup(" ").join(attrs)


def template_globals() -> dict:
    return {"limits": limits(), "length_attrs": length_attrs, "estate_buildings": load_estate().buildings}
