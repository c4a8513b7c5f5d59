"""PNG bytes of screenshots: what episodes record and what vision prompts send."""

from __future__ import annotations

import io
from typing import Any


def encode_png(pixels: Any) -> bytes:
    """PNG bytes of an RGB array (height, width, 3)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()
