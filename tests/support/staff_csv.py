"""What every CSV export of the staff tool promises, whatever kind of case it lists: it opens
in Excel (one UTF-8 byte-order mark), the resident's contact is masked unless staff ask for
it (``--with-contact``), and times are Shanghai time."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any, Callable

BOM = "\ufeff"
SHANGHAI_OFFSET = timedelta(hours=8)


def read(out: str) -> list[dict[str, str]]:
    """The rows of an export, after checking it starts with exactly one byte-order mark."""
    assert out.startswith(BOM) and not out.startswith(BOM * 2), "no single byte-order mark for Excel"
    return list(csv.DictReader(io.StringIO(out.removeprefix(BOM))))


def only_row(cli: Callable[..., Any], argv: list[str], case: Any, *, contact: tuple[str, str],
             masked: tuple[str, str]) -> dict[str, str]:
    """Export a list that shows one case (a stored work order or complaint), masked and with
    ``--with-contact``; check the promises above and return the masked row for the checks of
    its kind. ``contact`` is (phone, name) as the resident gave them, ``masked`` as the
    masked export shows them."""
    masked_run = cli(*argv, "--csv")
    full_run = cli(*argv, "--csv", "--with-contact")
    assert masked_run.code == full_run.code == 0

    (row,) = read(masked_run.out)
    assert row["reference"] == case.reference
    assert (row["contact_phone"], row["contact_name"]) == masked
    for value in contact:
        assert value not in masked_run.out, "the masked export shows the resident's contact"
    created = datetime.fromisoformat(row["created_at"])
    assert created == case.created_at and created.utcoffset() == SHANGHAI_OFFSET

    (full,) = read(full_run.out)
    assert full["reference"] == case.reference
    assert (full["contact_phone"], full["contact_name"]) == contact
    return row
