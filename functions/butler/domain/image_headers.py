"""What an uploaded file really is: the header of a JPEG, PNG or WebP picture, decoded.

Pure and standard library only (``zlib`` for PNG's CRC), so the Lambda bundle needs no
imaging library. It reads the structure a decoder reads before the pixels: the signature,
then the block that carries the picture's size (JPEG's SOF segment after walking the
segments before it, PNG's IHDR chunk with its CRC, WebP's RIFF header and its VP8 / VP8L /
VP8X chunk). A file that is anything else (HTML, script, SVG, GIF, a PDF renamed ``.png``),
that is cut short, or whose header is inconsistent is refused with a reason code.

It does not decode the pixels: a file with a valid header and garbage after it shows as a
broken picture, never as a page (the bucket serves it with the checked image type).
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

HEAD_BYTES = 512 * 1024  # enough for a camera JPEG's EXIF, ICC and MPF segments before its SOF
MAX_SIDE = 20_000  # pixels; bigger is no phone photo and could exhaust a viewer's memory
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (baseline, extended, progressive, lossless; not DHT C4,
# JPG C8, DAC CC), which carry the frame's height and width.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn carry no length


@dataclass(frozen=True)
class ImageInfo:
    content_type: str
    width: int
    height: int


class NotAnImage(Exception):
    """``reason`` is a stable code for logs and tests (never the file's content)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def sniff(head: bytes, total_size: int | None = None) -> ImageInfo:
    """The picture ``head`` (the first bytes of a file of ``total_size`` bytes) starts."""
    if head.startswith(b"\xff\xd8\xff"):
        info = _jpeg(head)
    elif head.startswith(PNG_SIGNATURE):
        info = _png(head)
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        info = _webp(head, total_size)
    else:
        raise NotAnImage("unknown-format")
    if not (0 < info.width <= MAX_SIDE and 0 < info.height <= MAX_SIDE):
        raise NotAnImage("bad-dimensions")
    return info


def _jpeg(data: bytes) -> ImageInfo:
    at = 2  # after SOI
    while True:
        if at + 4 > len(data):
            raise NotAnImage("truncated")
        if data[at] != 0xFF:
            raise NotAnImage("bad-segment")
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker in _STANDALONE:
            at += 2
            continue
        if marker in (0xD8, 0xD9, 0xDA):  # another SOI, EOI or scan data before any frame
            raise NotAnImage("no-frame")
        (length,) = struct.unpack_from(">H", data, at + 2)
        if length < 2:
            raise NotAnImage("bad-segment")
        if marker in _SOF:
            if length < 8 or at + 2 + length > len(data):
                raise NotAnImage("truncated")
            precision, height, width, components = struct.unpack_from(">BHHB", data, at + 4)
            if precision not in (8, 12, 16) or components not in (1, 3, 4) or length != 8 + 3 * components:
                raise NotAnImage("bad-frame")
            return ImageInfo("image/jpeg", width, height)
        at += 2 + length


def _png(data: bytes) -> ImageInfo:
    if len(data) < 33:
        raise NotAnImage("truncated")
    length, kind = struct.unpack_from(">I4s", data, 8)
    if kind != b"IHDR" or length != 13:
        raise NotAnImage("bad-header")
    body = data[16:29]
    (crc,) = struct.unpack_from(">I", data, 29)
    if zlib.crc32(kind + body) != crc:
        raise NotAnImage("bad-checksum")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", body)
    allowed_depths = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
    if depth not in allowed_depths.get(colour, ()) or compression or filtering or interlace not in (0, 1):
        raise NotAnImage("bad-header")
    return ImageInfo("image/png", width, height)


def _webp(data: bytes, total_size: int | None) -> ImageInfo:
    if len(data) < 30:
        raise NotAnImage("truncated")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    if total_size is not None and riff_size + 8 not in (total_size, total_size - 1):
        raise NotAnImage("bad-size")
    chunk = data[12:16]
    payload = data[20:30]
    if chunk == b"VP8 ":
        if payload[3:6] != b"\x9d\x01\x2a" or payload[0] & 1:  # start code; a key frame
            raise NotAnImage("bad-header")
        width, height = struct.unpack_from("<HH", payload, 6)
        return ImageInfo("image/webp", width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L":
        if payload[0] != 0x2F:
            raise NotAnImage("bad-header")
        (bits,) = struct.unpack_from("<I", payload, 1)
        if bits >> 29:  # version 0
            raise NotAnImage("bad-header")
        return ImageInfo("image/webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X":
        width = int.from_bytes(payload[4:7], "little") + 1
        height = int.from_bytes(payload[7:10], "little") + 1
        return ImageInfo("image/webp", width, height)
    raise NotAnImage("bad-header")
