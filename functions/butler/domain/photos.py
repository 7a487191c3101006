"""Photos of a repair: residents attach a few to their report, technicians add before and
after photos. Files go straight to S3 through presigned requests; the work order keeps a
small record of each.

A record starts *pending* (an upload link was handed out) and becomes *verified* once the
file in the bucket has been read and found to be the picture it claims to be
(``butler.domain.image_headers``; the photo check runs on every upload). Only verified
photos are shown or linked. A pending record holds a slot only while its link can still be
used (``UPLOAD_SECONDS`` plus ``CHECK_GRACE_SECONDS`` for the check to run): a link asked
for and never used frees its slot by itself. A file that is not a picture is deleted
together with its record.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from butler.domain.errors import DomainError
from butler.domain.image_headers import NotAnImage, sniff
from butler.domain.timefmt import iso, parse_iso

CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
MAX_BYTES = 5 * 1024 * 1024
MAX_PER_KIND = {"resident": 4, "before": 6, "after": 6}
TYPES_MESSAGE = "只能上传 JPG、PNG 或 WebP 格式的照片。"
KIND_LABELS = {"resident": "业主上传", "before": "维修前", "after": "维修后"}
KEY_PREFIX = "photo-uploads"  # also the CloudFront path the uploads travel through
UPLOAD_SECONDS = 600  # how long an upload link works
CHECK_GRACE_SECONDS = 300  # after that, how long an upload may wait for its check


class PhotoRefused(DomainError):
    code = "PHOTO_REFUSED"
    message = "照片不符合要求。"


@dataclass(frozen=True)
class Photo:
    id: str
    kind: str
    key: str
    content_type: str
    size: int
    at: str
    by: str
    verified_at: Optional[str] = None  # when the file was checked to be this kind of picture

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def is_verified(photo: dict) -> bool:
    return bool(photo.get("verified_at"))


def holds_slot(photo: dict, now: datetime) -> bool:
    """Verified, or pending with a link that can still bring the file."""
    deadline = parse_iso(photo["at"]) + timedelta(seconds=UPLOAD_SECONDS + CHECK_GRACE_SECONDS)
    return is_verified(photo) or now < deadline


def shown(photos: list[dict]) -> list[dict]:
    """The photos anyone may see or be linked to: the verified ones."""
    return [photo for photo in photos if is_verified(photo)]


def check_file(photo: dict, head: bytes, total_size: int) -> None:
    """Raise ``NotAnImage`` unless the file (its first bytes ``head``, ``total_size`` long)
    is a picture of the type and size the record was made for."""
    if total_size != int(photo["size"]):
        raise NotAnImage("size-mismatch")
    if sniff(head, total_size).content_type != photo["content_type"]:
        raise NotAnImage("type-mismatch")


def refuse_unless_picture(content_type: str, data: bytes) -> None:
    """For a file in hand (the staff CLI): the same check, as a refusal people can read."""
    if content_type not in CONTENT_TYPES:
        raise PhotoRefused(TYPES_MESSAGE)
    try:
        check_file({"size": len(data), "content_type": content_type}, data, len(data))
    except NotAnImage as error:
        raise PhotoRefused("文件不是有效的 JPG、PNG 或 WebP 照片（或内容与扩展名不符），没有上传。") from error


def new_photo(reference: str, existing: list[dict], *, kind: str, content_type: str, size: int,
              by: str, now: datetime) -> Photo:
    if kind not in MAX_PER_KIND:
        raise PhotoRefused(f"未知的照片类别：{kind}")
    if content_type not in CONTENT_TYPES:
        raise PhotoRefused(TYPES_MESSAGE)
    if not 0 < size <= MAX_BYTES:
        raise PhotoRefused(f"每张照片不能超过 {MAX_BYTES // (1024 * 1024)} MB。")
    if sum(1 for p in existing if p["kind"] == kind and holds_slot(p, now)) >= MAX_PER_KIND[kind]:
        raise PhotoRefused(f"{KIND_LABELS[kind]}的照片最多 {MAX_PER_KIND[kind]} 张。")
    photo_id = secrets.token_hex(8)
    key = f"{KEY_PREFIX}/{reference}/{kind}-{photo_id}.{CONTENT_TYPES[content_type]}"
    return Photo(photo_id, kind, key, content_type, size, iso(now), by)


def key_reference(key: str) -> str | None:
    """The reference a photo file belongs to, from its key (``photo-uploads/R-…/…``)."""
    parts = key.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == KEY_PREFIX and parts[1] else None
