"""Published vs computed: every qualifier is checked, and a figure that cannot be computed says so."""
import pytest

from geo.coverage.reconcile import compute_figure, figure_matches
from geo.region_data import load_region_data
from geo.regions import Figure


def figure(value, qualifier=None, tolerance=None, computed="poor_population"):
    return Figure(id="f", label_zh="f", label_en="f", unit="人", measures="m", source="s.txt", value=value, year=2014,
                  qualifier=qualifier, tolerance=tolerance, computed=computed)


@pytest.mark.parametrize("qualifier, value, computed, expected", [
    (None, 100, 100, True), (None, 100, 101, False),
    ("about", 100, 100, True),
    ("more than", 100, 101, True), ("more than", 100, 100, False),
    ("at least", 100, 100, True), ("at least", 100, 99, False),
    ("less than", 100, 99, True), ("less than", 100, 100, False), ("less than", 100, 150, False),
])
def test_each_qualifier_is_checked(qualifier, value, computed, expected):
    assert figure_matches(figure(value, qualifier), computed) is expected


def test_incidence_without_rural_population_is_not_computable_not_a_division_by_zero():
    data = load_region_data("heishui")
    villages = data.villages.assign(rural_population=0)
    assert compute_figure(figure(1.8, computed="incidence_pct"), data.zones, villages) is None
    assert compute_figure(figure(18.6, computed="incidence_pct"), data.zones, data.villages) == pytest.approx(18.6,
                                                                                                            abs=0.05)
