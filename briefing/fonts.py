"""The CJK font for exports: Noto Sans SC from the PyPI package pylopdf-fonts-zh-cn (SIL OFL 1.1).

Chosen over mplfonts because it ships exactly one needed font (17 MB against 85 MB) under the OFL; the exports
never depend on the fonts of the machine they run on.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402

FONT_FAMILY = "Noto Sans SC"


def cjk_font_path() -> Path:
    """Return the path of the bundled Noto Sans SC font file."""
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.__file__).resolve().parent / "NotoSansSC-Regular.otf"


@lru_cache(maxsize=1)
def use_cjk_font() -> str:
    """Register Noto Sans SC with matplotlib and make it the default family; return the family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = [name]
    matplotlib.rcParams["axes.unicode_minus"] = False  # Noto Sans SC has no U+2212 in every weight
    # Type 3: Noto Sans SC is an OpenType/CFF font, which matplotlib cannot embed as TrueType (Type 42) without
    # writing a file that PDF readers reject; Type 3 subsets keep a ToUnicode map, so the text stays searchable.
    matplotlib.rcParams["pdf.fonttype"] = 3
    return name
