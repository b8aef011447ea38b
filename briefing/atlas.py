"""The atlas PDF: a cover page (overview map and published vs computed) and one page per zone or belt."""
from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from datetime import date

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from briefing.card import card_figure, indicator_label, indicator_of_card
from briefing.fonts import use_cjk_font
from geo.coverage.report import published_table
from geo.i18n import t
from geo.region_data import RegionData

COVER_ROWS = 18  # published figures listed on the cover (the computable ones first)


COVER_WRAP = {"zh": (12, 9), "en": (26, 16)}  # characters per line: figure name, published value


def _wrap(text: str, width: int) -> str:
    """Wrap a cell's text on word boundaries (English) or at a width (Chinese): never cut a name off."""
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False)) or text


def cover_rows(data: RegionData, year: int, lang: str) -> list[list[str]]:
    """Return the cover's published-vs-computed rows (figure, published, computed, ✓/✗), computable ones first,
    with the figure's year when it is not the atlas' and computed values formatted as the page shows them."""
    report = published_table(data, year, lang, data.membership)
    if report.empty:
        return []
    report = report.assign(order=report["computed"].isna()).sort_values("order", kind="stable")
    label_width, value_width = COVER_WRAP[lang]
    rows = []
    for row in report.head(COVER_ROWS).itertuples():
        mark = "" if row.match is None or row.match != row.match else ("✓" if row.match else "✗")
        rows.append([_wrap(row.label, label_width), _wrap(row.published_text, value_width),
                     _wrap(row.computed_text, value_width) if isinstance(row.computed_text, str) else "—", mark])
    return rows


def indicator_cover_rows(data: RegionData, year: int, lang: str, indicator: str) -> tuple[list[str], list[list[str]]]:
    """Return the header and rows of an indicator atlas' cover table: each zone's value (as public exports show it:
    1–2 households "<3", unknown "—") and how many of its villages report one."""
    from briefing.indicators import indicator_tables

    zones = indicator_tables(data, indicator, year, lang=lang)["zones"]
    label_width, value_width = COVER_WRAP[lang]
    rows = [[_wrap(str(r[0]), label_width), "—" if r[1] is None or r[1] != r[1] else _wrap(f"{r[1]:,.6g}" if
             isinstance(r[1], float) else str(r[1]), value_width), str(r[2])] for r in zones.iloc[:, :3].itertuples(
             index=False)]
    return [str(c) for c in zones.columns[:3]], rows[:COVER_ROWS]


def _cover(data: RegionData, year: int, lang: str, today: date | None, pages: int,
           indicator: str | None = None) -> Figure:
    # the cover's right column holds the published-vs-computed table (or, for an indicator, its value per zone)
    # instead of the legend
    if indicator is None:
        title = t("atlas_cover_title", lang, region=data.region.name(lang), year=year)
        header = [t("figure", lang), t("published", lang), t("computed", lang), t("match", lang)]
        table_rows, widths, caption = cover_rows(data, year, lang), [0.38, 0.27, 0.27, 0.08], t("atlas_published", lang)
    else:
        title = t("atlas_indicator_cover_title", lang, region=data.region.name(lang), year=year,
                  indicator=indicator_label(data, indicator, lang))
        header, table_rows = indicator_cover_rows(data, year, lang, indicator)
        widths, caption = [0.44, 0.32, 0.24], t("atlas_indicator_table", lang)
    fig, _ = card_figure(data, year, lang=lang, today=today, side_panel=False, title=title, indicator=indicator)
    ax = fig.add_axes((0.66, 0.14, 0.32, 0.74))
    ax.axis("off")
    ax.set_title(caption, loc="left", fontsize=11)
    if table_rows:
        table = ax.table(cellText=table_rows, colLabels=header, loc="upper left", cellLoc="left", colWidths=widths)
        table.auto_set_font_size(False)
        table.set_fontsize(7)
        lines = [1] + [max(c.count("\n") + 1 for c in r) for r in table_rows]  # header, then each row
        line = min(0.97 / (sum(lines) + 0.4 * len(lines)), 0.045)  # axes fraction per text line: the table fits
        for (r, _c), cell in table.get_celld().items():
            cell.set_height(line * (lines[r] + 0.4))
            cell.set_edgecolor("#bbbbbb")
    fig.text(0.5, 0.03, t("atlas_page", lang, page=1, pages=pages), fontsize=8, ha="center", color="#555555")
    return fig


def render_atlas(data: RegionData, year: int, *, lang: str = "zh", today: date | None = None,
                 progress: Callable[[int, int], None] | None = None, indicator: str | None = None) -> bytes:
    """Return the atlas as PDF bytes: a cover and one page per zone; progress(done, total) after each page.

    indicator: the atlas of an indicator of the region's long table (any year it has), as card_figure's.
    """
    use_cjk_font()
    indicator = indicator_of_card(year, indicator)
    zone_ids = list(data.zones["zone_id"])
    total = 1 + len(zone_ids)
    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"Title": f"{data.region.name_zh} {year}", "Creator": "Valley Atlas",
                                    "Subject": "示意数据" if data.illustrative else ""}) as pdf:
        pdf.savefig(_cover(data, year, lang, today, total, indicator))
        if progress:
            progress(1, total)
        for page, zone_id in enumerate(zone_ids, start=2):
            fig, _ = card_figure(data, year, zone_id=zone_id, lang=lang, today=today, indicator=indicator)
            fig.text(0.5, 0.03, t("atlas_page", lang, page=page, pages=total), fontsize=8, ha="center",
                     color="#555555")
            pdf.savefig(fig)
            if progress:
                progress(page, total)
    return buffer.getvalue()
