"""Photos of a repair: residents attach a few to their report, technicians add before and
after photos. Files go straight to S3 through presigned requests; the work order keeps a
small record of each."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from butler.domain.errors import DomainError
from butler.domain.timefmt import iso

CONTENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
MAX_BYTES = 5 * 1024 * 1024
MAX_PER_KIND = {"resident": 4, "before": 6, "after": 6}
KIND_LABELS = {"resident": "业主上传", "before": "维修前", "after": "维修后"}
KEY_PREFIX = "photo-uploads"  # also the CloudFront path the uploads travel through


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

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def new_photo(reference: str, existing: list[dict], *, kind: str, content_type: str, size: int,
              by: str, now: datetime) -> Photo:
    if kind not in MAX_PER_KIND:
        raise PhotoRefused(f"未知的照片类别：{kind}")
    if content_type not in CONTENT_TYPES:
        raise PhotoRefused("只能上传 JPG、PNG 或 WebP 格式的照片。")
    if not 0 < size <= MAX_BYTES:
        raise PhotoRefused(f"每张照片不能超过 {MAX_BYTES // (1024 * 1024)} MB。")
    if sum(1 for p in existing if p["kind"] == kind) >= MAX_PER_KIND[kind]:
        raise PhotoRefused(f"{KIND_LABELS[kind]}的照片最多 {MAX_PER_KIND[kind]} 张。")
    photo_id = secrets.token_hex(8)
    key = f"{KEY_PREFIX}/{reference}/{kind}-{photo_id}.{CONTENT_TYPES[content_type]}"
    return Photo(photo_id, kind, key, content_type, size, iso(now), by)
