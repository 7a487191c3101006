"""Photo files in S3, reached through presigned requests.

Uploads and views travel through the site's own origin: CloudFront sends
``/photo-uploads/*`` to the photos bucket unchanged, so the API hands out relative URLs
(no CORS, and the page's Content-Security-Policy stays ``'self'``).
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Optional, Sequence
from urllib.parse import urlsplit

from butler.domain.photos import KEY_PREFIX, UPLOAD_SECONDS, Photo

__all__ = ["PhotoStore", "UPLOAD_SECONDS", "VIEW_SECONDS"]
VIEW_SECONDS = 900


class PhotoStore:
    def __init__(self, bucket: str):
        if not bucket:
            raise RuntimeError("PHOTOS_BUCKET is not set")
        self.bucket = bucket

    def upload_url(self, photo: Photo) -> str:
        """A PUT that S3 accepts only with this content type and exactly this size."""
        url = _s3().generate_presigned_url(
            "put_object", ExpiresIn=UPLOAD_SECONDS,
            Params={"Bucket": self.bucket, "Key": photo.key, "ContentType": photo.content_type,
                    "ContentLength": photo.size})
        return self._relative(url)

    def view_url(self, photo: Photo | dict) -> str:
        key = photo["key"] if isinstance(photo, dict) else photo.key
        url = _s3().generate_presigned_url("get_object", ExpiresIn=VIEW_SECONDS,
                                           Params={"Bucket": self.bucket, "Key": key})
        return self._relative(url)

    def put(self, photo: Photo, data: bytes) -> None:
        """Staff upload from the CLI, with the same limits as a presigned upload."""
        if len(data) != photo.size:
            raise ValueError("size differs from the photo record")
        _s3().put_object(Bucket=self.bucket, Key=photo.key, Body=data, ContentType=photo.content_type)

    def head(self, key: str, length: int) -> Optional[tuple[bytes, int]]:
        """The first ``length`` bytes of a file and its full size; None if there is no file."""
        try:
            answer = _s3().get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{length - 1}")
        except _s3().exceptions.NoSuchKey:
            return None
        data = answer["Body"].read()
        total = answer.get("ContentRange", "").rpartition("/")[2]
        return data, int(total) if total.isdigit() else int(answer["ContentLength"])

    def delete(self, keys: Sequence[str]) -> None:
        """Delete photo files (a missing one counts as deleted); raises if any is left."""
        for start in range(0, len(keys), 1000):  # DeleteObjects takes up to 1,000 keys
            batch = [{"Key": key} for key in keys[start:start + 1000]]
            answer = _s3().delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
            if answer.get("Errors"):
                codes = sorted({error.get("Code", "?") for error in answer["Errors"]})
                raise RuntimeError(f"{len(answer['Errors'])} photo files not deleted: {', '.join(codes)}")

    def _relative(self, url: str) -> str:
        parts = urlsplit(url)
        path = parts.path
        if path.startswith(f"/{self.bucket}/"):  # path-style (local S3)
            path = path[len(self.bucket) + 1:]
        assert path.startswith(f"/{KEY_PREFIX}/"), path
        return f"{path}?{parts.query}"


@lru_cache(maxsize=1)
def _s3():
    import boto3
    from botocore.config import Config

    local = bool(os.environ.get("AWS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL_S3"))
    return boto3.client("s3", config=Config(signature_version="s3v4",
                                            s3={"addressing_style": "path" if local else "virtual"}))
