"""The header decoder behind the photo check: pictures are recognised by their structure,
everything else (and anything inconsistent) is refused with a reason code."""
import struct
import zlib
from pathlib import Path

import pytest

from butler.domain.image_headers import ImageInfo, NotAnImage, sniff
from butler.domain.photos import PhotoRefused, refuse_unless_picture

IMAGES = Path(__file__).parent.parent / "support" / "images"


def png(width, height, *, depth=8, colour=2, crc=None):
    body = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    check = zlib.crc32(b"IHDR" + body) if crc is None else crc
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + body + struct.pack(">I", check) + b"\0" * 12


def riff(chunk, payload, *, size=None):
    body = b"WEBP" + chunk + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body) if size is None else size) + body


def vp8(width, height):
    return riff(b"VP8 ", b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"\0" * 10)


def vp8l(width, height):
    bits = (width - 1) | ((height - 1) << 14)
    return riff(b"VP8L", b"\x2f" + struct.pack("<I", bits) + b"\0" * 10)


def jpeg_with(segments, sof=b"\xff\xc0\x00\x11\x08\x00\x30\x00\x40\x03" + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"):
    return b"\xff\xd8" + b"".join(segments) + sof + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 20 + b"\xff\xd9"


def app(marker, size):
    return bytes([0xFF, marker]) + struct.pack(">H", size + 2) + b"x" * size


@pytest.mark.parametrize("name, content_type", [
    ("python.jpg", "image/jpeg"), ("python.png", "image/png"), ("python.webp", "image/webp")])
def test_real_pictures_are_recognised_with_their_size(name, content_type):
    data = (IMAGES / name).read_bytes()

    assert sniff(data, len(data)) == ImageInfo(content_type, 16, 16)


def test_a_jpeg_frame_is_found_after_large_exif_and_icc_segments():
    data = jpeg_with([app(0xE1, 65000), app(0xE2, 65000), app(0xE2, 30000), b"\xff\xff"])

    info = sniff(data, len(data))

    assert (info.content_type, info.width, info.height) == ("image/jpeg", 64, 48)


@pytest.mark.parametrize("data, width, height", [(vp8(320, 240), 320, 240), (vp8l(17, 9), 17, 9)])
def test_every_webp_kind_gives_its_size(data, width, height):
    info = sniff(data, len(data))

    assert (info.content_type, info.width, info.height) == ("image/webp", width, height)


@pytest.mark.parametrize("data, reason", [
    (b"<!doctype html><title>x</title>" + b" " * 40, "unknown-format"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>" + b" " * 40, "unknown-format"),
    ((IMAGES / "python.gif").read_bytes(), "unknown-format"),
    (b"%PDF-1.7\n" + b"\0" * 60, "unknown-format"),
    (png(16, 16, crc=0), "bad-checksum"),
    (png(16, 16, depth=3), "bad-header"),
    (png(0, 16), "bad-dimensions"),
    (png(50_000, 16), "bad-dimensions"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 10, "truncated"),
    (b"\xff\xd8\xff\xe0\x30\x30" + b"0" * 2000 + b"\xff\xd9", "truncated"),  # a segment longer than the file
    (b"\xff\xd8\xff\xda\x00\x08" + b"\0" * 40, "no-frame"),  # scan data before any frame header
    (jpeg_with([], sof=b"\xff\xc0\x00\x11\x07\x00\x30\x00\x40\x03" + b"\0" * 9), "bad-frame"),
    (riff(b"VP8 ", b"\0" * 20), "bad-header"),
    (riff(b"ICCP", b"\0" * 20), "bad-header"),
])
def test_anything_else_is_refused_with_a_reason(data, reason):
    with pytest.raises(NotAnImage) as refused:
        sniff(data, len(data))

    assert refused.value.reason == reason


def test_a_webp_whose_riff_size_is_not_the_file_size_is_refused():
    data = vp8(32, 32)

    with pytest.raises(NotAnImage, match="bad-size"):
        sniff(data, len(data) + 100)


def test_a_file_in_hand_that_is_not_its_declared_picture_is_refused_in_chinese():
    with pytest.raises(PhotoRefused) as refused:
        refuse_unless_picture("image/jpeg", (IMAGES / "python.png").read_bytes())
    assert "不是有效的" in refused.value.message
    refuse_unless_picture("image/png", (IMAGES / "python.png").read_bytes())
