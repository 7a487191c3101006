"""The photo check: every file that lands under ``photo-uploads/`` is read back and kept
only if it is the picture its record was made for (``butler.domain.photos.check_file``).

- a picture: its record is marked verified, and from then on shown and linked;
- anything else (HTML, a script, another format, another size): the file is deleted and
  its record dropped, freeing the slot;
- a file with no record (a link that expired and was pruned, a case anonymised since, a
  key nobody handed out): deleted.

Every upload is checked, also a second PUT to a link still valid after the first was
verified: the check reads what is in the bucket now.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Protocol, Sequence

from butler.domain.image_headers import HEAD_BYTES, NotAnImage
from butler.domain.photos import check_file, key_reference
from butler.domain.timefmt import iso
from butler.repository.work_orders import WorkOrderRepository

ATTEMPTS = 5  # optimistic-lock retries when the order is written at the same time


class PhotoFiles(Protocol):
    def head(self, key: str, length: int) -> Optional[tuple[bytes, int]]: ...

    def delete(self, keys: Sequence[str]) -> None: ...


@dataclass(frozen=True)
class Checked:
    outcome: str  # "verified", "dropped", "orphan"
    reference: str = ""
    photo_id: str = ""
    reason: str = ""  # why a file was dropped (a NotAnImage reason code)


def check_upload(repo: WorkOrderRepository, files: PhotoFiles, key: str, *, now: datetime) -> Checked:
    reference = key_reference(key) or ""
    for _ in range(ATTEMPTS):
        order = repo.get(reference) if reference else None
        photo = next((p for p in order.photos if p["key"] == key), None) if order else None
        if photo is None:
            files.delete([key])
            return Checked("orphan", reference)
        found = files.head(key, HEAD_BYTES)
        try:
            if found is None:  # deleted since: by an earlier check whose record write lost a race
                raise NotAnImage("missing")
            check_file(photo, *found)
        except NotAnImage as refused:
            files.delete([key])  # first: a record without its file is never shown
            order.photos = [p for p in order.photos if p["key"] != key]
            if repo.save(order):
                return Checked("dropped", reference, photo["id"], refused.reason)
            continue
        if photo.get("verified_at"):
            return Checked("verified", reference, photo["id"])
        photo["verified_at"] = iso(now)
        if repo.save(order):
            return Checked("verified", reference, photo["id"])
    raise RuntimeError(f"photo check of {reference} kept conflicting with other writes")
