"""The atlas PDF: a cover page (overview map and published vs computed) and one page per zone or belt."""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from briefing.card import card_figure
from briefing.fonts import use_cjk_font
from geo.coverage.reconcile import published_vs_computed
from geo.i18n import localized, t
from geo.region_data import RegionData

COVER_ROWS = 18  # published figures listed on the cover (the computable ones first)


def _cover(data: RegionData, year: int, lang: str, today: date | None, pages: int) -> Figure:
    # the cover's right column holds the published-vs-computed table instead of the legend
    fig, _ = card_figure(data, year, lang=lang, today=today, side_panel=False,
                         title=t("atlas_cover_title", lang, region=data.region.name(lang), year=year))
    table_rows = []
    published = published_vs_computed(data.region.figures, data.zones, data.villages, data.membership)
    published = published.assign(order=published["computed"].isna()).sort_values("order", kind="stable")
    figures = {f.id: f for f in data.region.figures}
    for row in published.head(COVER_ROWS).itertuples():
        label = localized(row, "label", lang)
        computed = "—" if row.computed is None or row.computed != row.computed else f"{row.computed:,.6g}"
        mark = "" if row.match is None or row.match != row.match else ("✓" if row.match else "✗")
        table_rows.append([label[:16], figures[row.figure].display_value(lang)[:18], computed, mark])
    ax = fig.add_axes((0.66, 0.14, 0.32, 0.74))
    ax.axis("off")
    ax.set_title(t("atlas_published", lang), loc="left", fontsize=11)
    if table_rows:
        table = ax.table(cellText=table_rows, colLabels=[t("figure", lang), t("published", lang),
                                                        t("computed", lang), t("match", lang)],
                         loc="upper left", cellLoc="left", colWidths=[0.42, 0.28, 0.2, 0.1])
        table.auto_set_font_size(False)
        table.set_fontsize(7)
        table.scale(1, 1.25)
    fig.text(0.5, 0.03, t("atlas_page", lang, page=1, pages=pages), fontsize=8, ha="center", color="#555555")
    return fig


def render_atlas(data: RegionData, year: int, *, lang: str = "zh", today: date | None = None,
                 progress: Callable[[int, int], None] | None = None) -> bytes:
    """Return the atlas as PDF bytes: a cover and one page per zone; progress(done, total) after each page."""
    use_cjk_font()
    zone_ids = list(data.zones["zone_id"])
    total = 1 + len(zone_ids)
    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"Title": f"{data.region.name_zh} {year}", "Creator": "Valley Atlas",
                                    "Subject": "示意数据" if data.illustrative else ""}) as pdf:
        pdf.savefig(_cover(data, year, lang, today, total))
        if progress:
            progress(1, total)
        for page, zone_id in enumerate(zone_ids, start=2):
            fig, _ = card_figure(data, year, zone_id=zone_id, lang=lang, today=today)
            fig.text(0.5, 0.03, t("atlas_page", lang, page=page, pages=total), fontsize=8, ha="center",
                     color="#555555")
            pdf.savefig(fig)
            if progress:
                progress(page, total)
    return buffer.getvalue()
