"""Coverage: which villages each zone reaches (membership), what that amounts to (metrics), the published figures
beside the computed ones (reconcile), and one region-year as plain data (report).

The public functions are re-exported here: `from geo.coverage import zone_membership, zone_metrics`.
"""
from geo.coverage.indicators import (
    coverage_by_class,
    indicator_change,
    indicator_gaps,
    indicator_over_years,
    indicator_region_value,
    indicator_union,
    indicator_zone_values,
)
from geo.coverage.membership import Membership, zone_membership
from geo.coverage.metrics import (
    WHATIF_WIDTHS_KM,
    coverage_over_years,
    distance_to_zones_m,
    gap_list,
    paired_village_count,
    pairing,
    union_coverage,
    whatif_curve,
    zone_metrics,
)

__all__ = ["coverage_by_class", "indicator_change", "indicator_gaps", "indicator_over_years",
           "indicator_region_value", "indicator_union", "indicator_zone_values", "Membership", "WHATIF_WIDTHS_KM", "coverage_over_years", "distance_to_zones_m", "gap_list",
           "paired_village_count", "pairing", "union_coverage", "whatif_curve", "zone_membership", "zone_metrics"]
