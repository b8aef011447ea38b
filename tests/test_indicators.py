"""Village indicators: the registry, the long table, wide ↔ long, periods, years from the data, the seed columns as
indicators — and the 2014–2020 published-vs-computed tables unchanged through the long path."""
import tomllib

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.errors import RegistryError, SchemaError
from geo.indicators import (
    FIRST_YEAR,
    LONG_COLUMNS,
    REGISTRY_PATH,
    HeaderMatch,
    custom_indicator,
    definitions_frame,
    empty_long,
    figure_rows,
    indicator_columns,
    load_indicators,
    long_to_wide,
    months_of,
    parse_indicators,
    parse_period,
    registry_with_definitions,
    rows_to_long,
    seed_villages_to_long,
    sort_long,
    table_to_long,
    validate_long,
    values_at,
    villages_with_long,
    wide_to_long,
    years_of,
)

SEED_REGIONS = ["heishui", "yaan", "qu", "suining", "guizhou"]
BUILT_INS = {"rural_population", "poor_population", "poverty_village", "lifted_out", "monitored_households",
             "monitored_people", "unstable_households", "unstable_people", "marginal_households", "marginal_people",
             "sudden_hardship_households", "sudden_hardship_people", "risk_eliminated_households",
             "risk_eliminated_people", "risk_remaining_households", "risk_remaining_people", "income_per_capita"}


def registry_doc() -> dict:
    with open(REGISTRY_PATH, "rb") as fh:
        return tomllib.load(fh)


# ---------------------------------------------------------------------------------------------- registry
def test_bundled_registry_has_every_built_in_with_a_named_source():
    registry = load_indicators()
    assert set(registry.ids) >= BUILT_INS
    for indicator in registry.indicators:
        source = registry.sources[indicator.source]
        assert source.title_zh and source.title_en and source.publisher
        assert indicator.unit_zh and indicator.unit_en and indicator.name_zh and indicator.name_en
    assert registry.get("income_per_capita").aggregation == "weighted_mean"
    assert registry.get("income_per_capita").weight == "rural_population"
    assert registry.sources["seed_articles"].files  # the 2014-2020 figures come from the seed articles
    assert "国家乡村振兴局" in registry.sources["monitoring"].title_en
    assert registry.sources["monitoring"].date is None  # no date invented


@pytest.mark.parametrize("change, message", [
    (lambda d: d["indicators"][0].pop("unit_zh"), r"indicator 'rural_population': missing field 'unit_zh'"),
    (lambda d: d["indicators"][0].update(kind="persons"), r"field 'kind' is 'persons'; expected one of people"),
    (lambda d: d["indicators"][0].update(aggregation="mean"), r"field 'aggregation' is 'mean'"),
    (lambda d: d["indicators"][0].update(source="nowhere"), r"'nowhere', which is not a \[\[sources\]\] id"),
    (lambda d: d["indicators"][1].update(id="rural_population"), r"duplicate indicator id"),
    (lambda d: d["indicators"][0].update(id="Rural Population"), r"lower_snake_case"),
    (lambda d: d["indicators"][0].update(colour="red"), r"unknown field\(s\) colour"),
    (lambda d: d["indicators"][-1].pop("weight"), r"a weighted_mean needs 'weight'"),
    (lambda d: d["indicators"][-1].update(weight="nothing"), r"'nothing', which is not another indicator"),
    (lambda d: d["indicators"][0].update(weight="poor_population"), r"'weight' is only for aggregation"),
    (lambda d: d["indicators"][1]["aliases"].append("户籍人口"), r"alias '户籍人口' is already an alias of 'rural_population'"),
    (lambda d: d["indicators"][0].update(integer="yes"), r"field 'integer' is 'yes' \(str\); expected bool"),
    (lambda d: d.pop("indicators"), r"no \[\[indicators\]\] entries"),
])
def test_a_malformed_registry_names_the_entry_and_field(change, message):
    doc = registry_doc()
    change(doc)
    with pytest.raises(RegistryError, match=message):
        parse_indicators(doc)


@pytest.mark.parametrize("header, expected", [
    ("监测户数2021", HeaderMatch("monitored_households", 2021)),
    ("2021年监测对象户数", HeaderMatch("monitored_households", 2021)),
    ("监测对象人数（2024年6月）", HeaderMatch("monitored_people", 2024, 6)),
    ("脱贫不稳定户（户）", HeaderMatch("unstable_households")),
    ("脱贫不稳定户(人)", HeaderMatch("unstable_people")),
    ("边缘易致贫户", HeaderMatch("marginal_households")),
    ("突发严重困难户人数", HeaderMatch("sudden_hardship_people")),
    ("风险已消除", HeaderMatch("risk_eliminated_households")),
    ("风险未消除人数", HeaderMatch("risk_remaining_people")),
    ("脱贫人口", HeaderMatch("lifted_out")),
    ("人均可支配收入", HeaderMatch("income_per_capita")),
    ("贫困人口 2016年", HeaderMatch("poor_population", 2016)),
    ("贫困村", HeaderMatch("poverty_village")),
    ("poor_2014", HeaderMatch("poor_population", 2014)),
    ("lifted_2020", HeaderMatch("lifted_out", 2020)),
    ("monitored_people_2024_06", HeaderMatch("monitored_people", 2024, 6)),
    ("村名", None), ("经度", None), ("备注", None),
])
def test_headers_are_mapped_to_indicators(header, expected):
    assert load_indicators().match_header(header) == expected


@pytest.mark.parametrize("cell, expected", [
    ("2024", (2024, None)), (2024, (2024, None)), (2024.0, (2024, None)), ("2024年", (2024, None)),
    ("2024年末", (2024, None)), ("2024年6月", (2024, 6)), ("2024年06月", (2024, 6)), ("2024-06", (2024, 6)),
    ("2024/6/30", (2024, 6)), ("2024.6", (2024, 6)), ("202406", (2024, 6)), ("2024年12月底", (2024, 12)),
    ("六月", None), ("", None), (None, None), ("2024年13月", None),
])
def test_periods_are_read_as_year_and_month(cell, expected):
    assert parse_period(cell) == expected


def test_a_custom_indicator_is_named_by_its_header_in_the_stated_unit():
    registry = load_indicators()
    acres = custom_indicator("茶园面积", unit_zh="亩", unit_en="mu", kind="share")
    assert acres.id == "custom:茶园面积" and acres.custom and acres.unit("en") == "mu"
    extended = registry.with_custom(acres)
    assert extended.match_header("茶园面积2023") == HeaderMatch("custom:茶园面积", 2023)
    stored = definitions_frame(extended, "heishui")
    assert list(stored["indicator"]) == ["custom:茶园面积"]
    assert registry_with_definitions(stored).get("custom:茶园面积").unit_zh == "亩"
    with pytest.raises(ValueError, match="say the unit"):
        custom_indicator("茶园面积", unit_zh=" ")


# ---------------------------------------------------------------------------------------------- the long table
def long_rows(rows, region="r"):
    frame = pd.DataFrame(rows, columns=["village_id", "year", "month", "indicator", "value"])
    frame.insert(0, "region", region)
    frame["provenance"], frame["source"] = "user", ""
    return frame


def test_validate_long_reports_every_problem_by_row():
    bad = long_rows([
        ("v1", 2013, None, "monitored_people", 3),  # before 2014
        ("v1", 2024, 13, "monitored_people", 3),  # no month 13
        ("v1", 2024, None, "nonsense", 3),  # unknown indicator
        ("v2", 2024, None, "monitored_people", -1),  # negative count
        ("v3", 2024, None, "monitored_people", 2.5),  # half a person
        ("", 2024, None, "monitored_people", 1),  # no village
    ])
    with pytest.raises(SchemaError) as caught:
        validate_long(bad, last_year=2026)
    found = {(p.row, p.key) for p in caught.value.problems}
    assert found == {(1, "indicator_year_range"), (2, "indicator_month_range"), (3, "indicator_unknown"),
                     (4, "schema_negative"), (5, "indicator_not_whole"), (6, "indicator_no_village")}
    assert "年份 2013 不在 2014—2026 之内" in caught.value.problems[0].text("zh")


def test_a_year_after_this_one_is_refused_and_duplicates_are_named():
    with pytest.raises(SchemaError, match="outside 2014-2026"):
        validate_long(long_rows([("v1", 2027, None, "monitored_people", 3)]), last_year=2026)
    twice = long_rows([("v1", 2024, 6, "monitored_people", 3), ("v1", 2024, 6, "monitored_people", 4)])
    with pytest.raises(SchemaError, match="village v1 has two values of monitored_people for 2024 6"):
        validate_long(twice)


def test_the_year_figure_is_the_yearly_row_else_the_latest_month_unless_a_month_is_picked():
    table = validate_long(long_rows([
        ("v1", 2024, 3, "monitored_people", 10), ("v1", 2024, 6, "monitored_people", 12),
        ("v2", 2024, 3, "monitored_people", 5),  # v2 did not report in June: unknown then, not its March figure
        ("v1", 2023, None, "monitored_people", 8), ("v1", 2023, 12, "monitored_people", 99),
    ]))
    assert months_of(table, "monitored_people", 2024) == [3, 6]
    assert list(figure_rows(table, "monitored_people", 2024)["month"]) == [6]
    np.testing.assert_array_equal(values_at(table, ["v1", "v2", "v9"], "monitored_people", 2024), [12, np.nan, np.nan])
    np.testing.assert_array_equal(values_at(table, ["v1", "v2"], "monitored_people", 2024, month=3), [10, 5])
    np.testing.assert_array_equal(values_at(table, ["v1"], "monitored_people", 2023), [8])  # the yearly figure
    np.testing.assert_array_equal(values_at(table, ["v1"], "monitored_people", 2022), [np.nan])  # None, not 0


def test_years_come_from_the_data():
    table = validate_long(long_rows([
        ("v1", 2021, None, "monitored_people", 1), ("v1", 2025, 6, "monitored_people", 2),
        ("v1", 2019, None, "poor_population", 3),
    ]))
    assert years_of(table) == [2019, 2021, 2025]
    assert years_of(table, "monitored_people") == [2021, 2025]
    assert years_of(table, "income_per_capita") == []
    assert years_of(empty_long()) == []


def test_long_form_with_a_period_column_keeps_the_month():
    table = pd.DataFrame({"村编号": ["a", "a", "b", "b"], "统计时点": ["2024年6月", "2024年12月", "2024年6月", "坏"],
                          "监测对象人数": ["3", "4", "1,200", "9"], "风险未消除人数": ["1", "", "0", "0"]})
    found = indicator_columns(table, exclude=("村编号",))
    assert found.period == "统计时点" and set(found.matched) == {"监测对象人数", "风险未消除人数"}
    long, bad = rows_to_long(table, region="r", period_column="统计时点", id_column="村编号")
    assert bad == [3]
    people = long[long["indicator"] == "monitored_people"]
    assert list(zip(people["village_id"], people["month"], people["value"])) == [("a", 6, 3.0), ("b", 6, 1200.0),
                                                                                ("a", 12, 4.0)]
    assert len(long[long["indicator"] == "risk_remaining_people"]) == 2  # an empty cell is no row: unknown


def test_table_to_long_asks_for_the_unit_of_unclaimed_numeric_columns():
    table = pd.DataFrame({"村编号": ["a", "b"], "村名": ["示意村001", "示意村002"], "监测户数2021": ["1", "2"],
                          "茶园面积2021": ["30", "40"], "备注": ["", "x"]})
    first = table_to_long(table, region="r", id_column="村编号", exclude=("村名",))
    assert first.needs_unit == ["茶园面积2021"]
    assert set(first.table["indicator"]) == {"monitored_households"}
    custom = {"茶园面积2021": custom_indicator("茶园面积", unit_zh="亩", unit_en="mu")}
    second = table_to_long(table, region="r", id_column="村编号", exclude=("村名",), custom=custom)
    assert second.needs_unit == [] and set(second.table["indicator"]) == {"monitored_households", "custom:茶园面积"}
    assert years_of(second.table, "custom:茶园面积") == [2021]


# ---------------------------------------------------------------------------------------------- wide <-> long
village_ids = st.text(alphabet="abcv0123456789示意村-", min_size=1, max_size=6)


@st.composite
def long_tables(draw):
    ids = draw(st.lists(village_ids, min_size=1, max_size=6, unique=True))
    indicators = draw(st.lists(st.sampled_from(sorted(BUILT_INS - {"income_per_capita"})), min_size=1, max_size=3,
                               unique=True))
    keys = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(indicators),
                                   st.integers(FIRST_YEAR, 2026), st.one_of(st.none(), st.integers(1, 12))),
                         unique_by=lambda k: (k[0], k[1], k[2], k[3] or 0), max_size=40))
    values = draw(st.lists(st.integers(0, 10 ** 6), min_size=len(keys), max_size=len(keys)))
    rows = [(v, y, m, i, float(x)) for (v, i, y, m), x in zip(keys, values)]
    return validate_long(long_rows(rows), last_year=2026) if rows else empty_long()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_tables())
def test_wide_long_round_trip(table):
    wide = long_to_wide(table)
    back = wide_to_long(wide, region="r") if len(table) else empty_long()
    pd.testing.assert_frame_equal(back, sort_long(table), check_dtype=False)
    assert len(wide) == table["village_id"].nunique()


def test_wide_with_chinese_headers_becomes_long():
    wide = pd.DataFrame({"村编号": ["a", "b"], "监测户数2021": ["1", ""], "2022年监测户数": ["2", "3"],
                         "监测对象人数（2024年6月）": ["5", "6"]})
    long = wide_to_long(wide, region="r", id_column="村编号")
    households = long[long["indicator"] == "monitored_households"]
    assert list(zip(households["village_id"], households["year"], households["value"])) == [
        ("a", 2021, 1.0), ("a", 2022, 2.0), ("b", 2022, 3.0)]
    assert households["month"].isna().all()
    assert years_of(long, "monitored_households") == [2021, 2022]
    assert months_of(long, "monitored_people", 2024) == [6]
    assert np.isnan(values_at(long, ["b"], "monitored_households", 2021)[0])  # an empty cell is unknown, not 0


# ---------------------------------------------------------------------------------------------- the seed regions
@pytest.fixture(scope="module", params=SEED_REGIONS)
def seed(request):
    from geo.region_data import load_region_data

    data = load_region_data(request.param)
    return data, seed_villages_to_long(data.villages, data.region.key)


def test_seed_columns_are_one_set_of_indicators(seed):
    from geo.villages import YEARS, poor_population, poverty_status

    data, table = seed
    assert list(table.columns) == LONG_COLUMNS
    assert years_of(table) == list(YEARS)
    assert set(table["indicator"]) <= {"rural_population", "poor_population", "poverty_village", "lifted_out"}
    ids = data.villages["village_id"]
    for year in YEARS:
        np.testing.assert_array_equal(values_at(table, ids, "poor_population", year),
                                      poor_population(data.villages, year).to_numpy())
        np.testing.assert_array_equal(values_at(table, ids, "poverty_village", year),
                                      poverty_status(data.villages, year).to_numpy().astype(float))
    assert (table["provenance"] == "illustrative").all()  # the 示意 flag follows the values


def test_published_vs_computed_unchanged_through_the_long_path(seed):
    """Every seed region's published-vs-computed table, computed from villages whose 2014–2020 columns went
    through the long table and back, equals today's table (and today's report) exactly."""
    from geo.coverage.reconcile import published_vs_computed

    data, table = seed
    today = published_vs_computed(data.region.figures, data.zones, data.villages, data.membership)
    through_long = published_vs_computed(data.region.figures, data.zones, villages_with_long(data.villages, table),
                                         data.membership)
    pd.testing.assert_frame_equal(through_long, today)
    assert today["match"].dropna().all()  # and today's table still reproduces every computable published figure


def test_zone_coverage_of_the_seed_indicators_equals_todays_metrics(seed):
    from geo.coverage import union_coverage, zone_metrics
    from geo.coverage.indicators import indicator_union, indicator_zone_values

    data, table = seed
    for year in (2014, 2016, 2018, 2020):
        today = zone_metrics(data.zones, data.villages, year, membership=data.membership)
        poor = indicator_zone_values(data.zones, data.villages, table, "poor_population", year,
                                     membership=data.membership)
        villages = indicator_zone_values(data.zones, data.villages, table, "poverty_village", year,
                                         membership=data.membership)
        np.testing.assert_array_equal(poor["value"].to_numpy(), today["poor_population"].to_numpy())
        np.testing.assert_array_equal(villages["value"].to_numpy(), today["poverty_villages"].to_numpy())
        union = union_coverage(data.zones, data.villages, year, membership=data.membership)
        mine = indicator_union(data.zones, data.villages, table, "poor_population", year, membership=data.membership)
        assert mine["value_covered"] == union["poor_population_covered"]
        assert mine["value_total"] == union["poor_population_total"]
