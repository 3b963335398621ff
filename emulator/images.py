"""Width and height of PNG, JPEG, GIF and WebP images, read from their headers (no imaging library)."""
from __future__ import annotations

import struct


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height), or (512, 512) when the format is not recognised."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", data[6:10])
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and data[12:16] == b"VP8X":
            w = int.from_bytes(data[24:27], "little") + 1
            h = int.from_bytes(data[27:30], "little") + 1
            return w, h
        if data[:2] == b"\xff\xd8":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                length = struct.unpack(">H", data[i + 2:i + 4])[0]
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", data[i + 5:i + 9])
                    return w, h
                i += 2 + length
    except (struct.error, IndexError):
        pass
    return 512, 512


SIZE_LIMITS = (90, 320, 800, 1280)


def thumbnails(data: bytes, width: int, height: int) -> list[tuple[bytes, int, int]]:
    """Smaller JPEG copies of a photo (longest side 90, 320, 800, 1280 where the photo is larger),
    as Telegram makes them. Needs Pillow (installed with the bot); without it, none."""
    longest = max(width, height)
    limits = [n for n in SIZE_LIMITS if n < longest]
    if not limits:
        return []
    try:
        import io

        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        return []
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception:  # not an image Pillow reads: no thumbnails, as for a broken upload
        return []
    out = []
    for limit in limits:
        w, h = max(1, round(width * limit / longest)), max(1, round(height * limit / longest))
        buf = io.BytesIO()
        image.convert("RGB").resize((w, h)).save(buf, "JPEG", quality=80)
        out.append((buf.getvalue(), w, h))
    return out
