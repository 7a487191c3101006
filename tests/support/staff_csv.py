"""What every CSV export of the staff tool promises, whatever kind of case it lists: it opens
in Excel (one UTF-8 byte-order mark), its headers are Chinese, the resident's contact is
masked unless staff ask for it (``--with-contact``), and times are Shanghai time.

The tests read the rows by the columns' keys, through the tool's own table of (key, Chinese
header): ``read`` checks that the header line is exactly those headers."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from collections.abc import Sequence
from typing import Any, Callable

from butler.cli import render

BOM = "\ufeff"
CODE = re.compile(r"[A-Za-z]")
SHANGHAI_OFFSET = timedelta(hours=8)


def read(out: str, columns: Sequence[tuple[str, str]] | None = None) -> list[dict[str, str]]:
    """The rows of an export, after checking it starts with exactly one byte-order mark and
    (if given) that its headers are the Chinese headers of ``columns``; rows keyed by the
    columns' keys."""
    assert out.startswith(BOM) and not out.startswith(BOM * 2), "no single byte-order mark for Excel"
    header, *lines = list(csv.reader(io.StringIO(out.removeprefix(BOM))))
    if columns is None:
        return [dict(zip(header, line, strict=True)) for line in lines]
    assert header == [title for _, title in columns], header
    assert not any(CODE.search(title) for title in header), "an English column header"
    return [dict(zip([key for key, _ in columns], line, strict=True)) for line in lines]


def only_row(cli: Callable[..., Any], argv: list[str], case: Any, *, contact: tuple[str, str],
             masked: tuple[str, str]) -> dict[str, str]:
    """Export a list that shows one case (a stored work order or complaint), masked and with
    ``--with-contact``; check the promises above and return the masked row for the checks of
    its kind. ``contact`` is (phone, name) as the resident gave them, ``masked`` as the
    masked export shows them."""
    masked_run = cli(*argv, "--csv")
    full_run = cli(*argv, "--csv", "--with-contact")
    assert masked_run.code == full_run.code == 0

    columns = render.COMPLAINT_CSV_COLUMNS if case.reference.startswith("C-") else render.CSV_COLUMNS
    (row,) = read(masked_run.out, columns)
    assert row["reference"] == case.reference
    assert (row["contact_phone"], row["contact_name"]) == masked
    for value in contact:
        assert value not in masked_run.out, "the masked export shows the resident's contact"
    created = datetime.fromisoformat(row["created_at"])
    assert created == case.created_at and created.utcoffset() == SHANGHAI_OFFSET

    (full,) = read(full_run.out, columns)
    assert full["reference"] == case.reference
    assert (full["contact_phone"], full["contact_name"]) == contact
    return row
