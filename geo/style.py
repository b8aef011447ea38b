"""Colours shared by the interactive map (layers/) and the static exports (briefing/): one definition."""
from __future__ import annotations

STATUS_COLORS = {"poverty": "#d62728", "exited": "#ff9f1c", "other": "#9e9e9e"}  # village status in a year
ZONE_PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]  # Dark2


def zone_colors(zones) -> list[str]:
    """Return one colour per zone: its own when set, else from the qualitative palette."""
    return [c if isinstance(c, str) and c else ZONE_PALETTE[i % len(ZONE_PALETTE)]
            for i, c in enumerate(zones["color"])]
