"""The CJK font for exports: WenQuanYi Micro Hei (文泉驿微米黑, Apache 2.0 / GPLv3 with font exception), a TrueType
font, so that PDFs embed it as CID TrueType (Type 42) and their text copies, searches and extracts intact.

Noto Sans SC (the font before) is OpenType/CFF: matplotlib embeds it either as Type 3 glyph programs, whose text
extracts scrambled ("雅安市覆盖情况（2 1 年）", "± km"), or as a CFF file labelled TrueType, which PDF readers warn
about or reject. The font comes from the PyPI package paperang-p2-fonts-cjk (the file is byte-identical to Debian's
fonts-wqy-microhei 0.2.0-beta, checked by its SHA-256), or from Debian's package when that is installed; the exports
never depend on whatever other fonts the machine has. DejaVu Sans (shipped with matplotlib, also TrueType) draws
the few symbols Micro Hei lacks (✗).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402

FONT_FAMILY = "WenQuanYi Micro Hei"
FALLBACK_FAMILY = "DejaVu Sans"  # matplotlib's own TrueType font: symbols missing from the CJK font
FONT_SHA256 = "2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3"  # wqy-microhei.ttc 0.2.0-beta
DEBIAN_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian package fonts-wqy-microhei


class FontMissing(RuntimeError):
    """No copy of the exports' CJK font was found."""


def _pypi_font() -> Path | None:
    try:
        import paperang_p2_fonts_cjk
    except ImportError:
        return None
    return Path(paperang_p2_fonts_cjk.__file__).resolve().parent / "fonts" / "wqy-microhei.ttc"


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """Return the path of the exports' CJK font (TrueType collection), checked against its known SHA-256."""
    candidates = [p for p in (_pypi_font(), DEBIAN_FONT) if p is not None and p.exists()]
    for path in candidates:
        if hashlib.sha256(path.read_bytes()).hexdigest() == FONT_SHA256:
            return path
    tried = ", ".join(str(p) for p in candidates) or "none found"
    raise FontMissing(f"WenQuanYi Micro Hei 0.2.0-beta is needed for the exports (tried: {tried}); install the "
                      "pinned requirements (`make run`) or the Debian package fonts-wqy-microhei")


@lru_cache(maxsize=1)
def use_cjk_font() -> str:
    """Register the CJK font with matplotlib, make it the default family and embed fonts as TrueType; return its
    family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = [name, FALLBACK_FAMILY]
    matplotlib.rcParams["axes.unicode_minus"] = False  # a hyphen-minus: the same glyph whatever the font
    matplotlib.rcParams["pdf.fonttype"] = 42  # CID TrueType: the text of the PDF extracts and searches intact
    matplotlib.rcParams["ps.fonttype"] = 42
    return name
