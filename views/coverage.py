"""The coverage page: per-zone metrics, the union, two charts, the gap list, pairing and published vs computed."""
import altair as alt
import pandas as pd
import streamlit as st

from geo.i18n import localized, pick, t
from geo.regions import RegionRef
from views import cache
from views.state import DEFAULT_INDICATOR, current_indicator, page_args
from views.widgets import belt_width_control, illustrative_notice


def fmt_int(value) -> str:
    return "—" if value is None else f"{int(value):,}"


def fmt_share(part, total) -> str:
    """Return a share as "72.7%", or "—" when there is nothing to share (0 of 0 is not 0.0 %)."""
    return "—" if not total else f"{part / total:.1%}"


def of_total(total, lang: str) -> str:
    return t("none_of_none", lang) if not total else t("of_total", lang, total=fmt_int(total))


def years_chart(years: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Return the yearly chart: all poor people (thick grey line, circles) under those in zones (dashed orange,
    squares, drawn on top), so that both stay visible where they coincide (every poor person in a zone)."""
    covered, total = t("chart_covered", lang), t("chart_total", lang)
    long = pd.concat([
        pd.DataFrame({"year": years["year"], "people": years["poor_population_total"], "series": total}),
        pd.DataFrame({"year": years["year"], "people": years["poor_population_covered"], "series": covered}),
    ])
    color = alt.Color("series:N", title=t("chart_series", lang),
                      scale=alt.Scale(domain=[total, covered], range=["#7f7f7f", "#d95f02"]))
    base = alt.Chart(long).encode(
        x=alt.X("year:O", title=t("year", lang)),
        y=alt.Y("people:Q", title=t("people_axis", lang)),
        color=color,
        tooltip=[alt.Tooltip("year:O", title=t("year", lang)), alt.Tooltip("series:N", title=t("chart_series", lang)),
                 alt.Tooltip("people:Q", format=",", title=t("people_axis", lang))],
    )
    under = base.transform_filter(alt.datum.series == total).mark_line(
        strokeWidth=6, opacity=0.6, point={"shape": "circle", "size": 120, "filled": True})
    over = base.transform_filter(alt.datum.series == covered).mark_line(
        strokeWidth=2, strokeDash=[6, 4], point={"shape": "square", "size": 40, "filled": True})
    return alt.layer(under, over)


def zone_terrain_columns(data, zones: pd.DataFrame, lang: str) -> dict:
    """Return the zone table's terrain columns (elevation range, relief, mean slope), {} without a DEM."""
    terrain = cache.zone_terrain(data)
    if terrain is None:
        return {}
    terrain = terrain.set_axis(data.zones["zone_id"].to_numpy()).reindex(zones["zone_id"])
    return {
        t("terrain_elevation_range", lang): [f"{a:,.0f}–{b:,.0f}" for a, b in
                                             zip(terrain["elevation_min_m"], terrain["elevation_max_m"])],
        t("relief_m", lang): terrain["relief_m"].to_numpy(),
        t("slope_mean_deg", lang): terrain["slope_mean_deg"].to_numpy(),
    }


def elevation_section(data, year: int, lang: str) -> None:
    """Villages and poor population by elevation band, and the high-cold (高寒) villages above a threshold."""
    from geo.terrain.metrics import DEFAULT_HIGH_COLD_M, high_cold, villages_by_elevation_band
    from geo.villages import village_status

    elevation = cache.village_elevation(data)
    if elevation is None:
        return
    st.subheader(t("elevation_title", lang, year=year))
    left, right = st.columns([3, 2])
    poverty = village_status(data.villages, year) == "poverty"
    bands = pd.DataFrame({
        "band": villages_by_elevation_band(elevation).index.astype(str),
        "villages": villages_by_elevation_band(elevation).to_numpy(),
        "poverty": villages_by_elevation_band(elevation[poverty]).to_numpy(),
        "poor": villages_by_elevation_band(elevation, weights=data.villages[f"poor_{year}"]).to_numpy(),
    })
    bands = bands[(bands["villages"] > 0)]
    with left:
        long = pd.concat([pd.DataFrame({"band": bands["band"], "n": bands["villages"], "series": t("villages_count", lang)}),
                          pd.DataFrame({"band": bands["band"], "n": bands["poverty"],
                                        "series": t("poverty_villages", lang)})])
        chart = alt.Chart(long).mark_bar().encode(
            y=alt.Y("band:N", title=t("elevation_band", lang), sort=list(bands["band"])),
            x=alt.X("n:Q", title=t("villages_count", lang)), color=alt.Color("series:N", title=""),
            yOffset="series:N", tooltip=["band", "series", "n"])
        st.altair_chart(chart, width="stretch")
    with right:
        st.dataframe(pd.DataFrame({t("elevation_band", lang): bands["band"], t("villages_count", lang): bands["villages"],
                                   t("poverty_villages", lang): bands["poverty"],
                                   t("poor_population", lang): bands["poor"].astype(int)}),
                     hide_index=True, width="stretch", key="elevation_table")
        threshold = st.number_input(t("high_cold_threshold", lang), min_value=0.0, max_value=6000.0,
                                    value=DEFAULT_HIGH_COLD_M, step=100.0, key="high_cold_threshold",
                                    help=t("high_cold_help", lang, default=f"{DEFAULT_HIGH_COLD_M:,.0f}"))
        flags = high_cold(elevation, threshold_m=threshold)
        st.metric(t("high_cold_villages", lang), f"{int(flags.sum()):,}")
        st.caption(t("high_cold_caption", lang, poverty=int((flags & poverty).sum()),
                     poor=int(data.villages.loc[flags, f"poor_{year}"].sum()), median=float(elevation.median())))


def fmt_value(value, spec) -> str:
    """Return an indicator's value as shown: whole numbers for counts, two decimals otherwise; "—" when unknown."""
    if value is None or pd.isna(value):
        return "—"
    return f"{value:,.0f}" if spec.integer or spec.kind == "money" else f"{value:,.2f}"


def indicator_section(data, indicator: str, year: int, lang: str) -> None:
    """Coverage of any indicator in a year: the union, per zone, the yearly chart, the change on the previous year
    with values, the gaps and — with planning classes — coverage by class. A year without values says so."""
    spec = data.registry.get(indicator)
    label = f"{spec.name(lang)}（{spec.unit(lang)}）" if lang == "zh" else f"{spec.name(lang)} ({spec.unit(lang)})"
    views = cache.indicator_views(data, indicator, year)
    union = views["union"]
    st.subheader(t("ind_union_title", lang, indicator=label, year=year))
    if union["value_total"] is None:
        st.info(t("indicator_no_data", lang, indicator=spec.name(lang), year=year))
    else:
        c1, c2, c3 = st.columns(3)
        c1.metric(t("ind_covered", lang), fmt_value(union["value_covered"], spec))
        c2.metric(t("ind_total", lang), fmt_value(union["value_total"], spec))
        c3.metric(t("ind_share", lang), "—" if union["share_covered"] is None else f"{union['share_covered']:.1%}")
        st.caption(t("ind_reporting", lang, reporting=union["villages_reporting"],
                     covered=union["villages_reporting_covered"]))
        zones = views["zones"]
        if len(zones):
            st.subheader(t("ind_zone_table", lang, indicator=label, year=year))
            st.dataframe(pd.DataFrame({
                t("zone", lang): localized(zones, "name", lang),
                t("kind", lang): [t(f"zone_kind_{k}", lang) for k in zones["kind"]],
                label: [fmt_value(v, spec) for v in zones["value"]],
                t("ind_villages_reporting", lang): zones["villages_reporting"],
                t("ind_share_of_region", lang): ["—" if pd.isna(v) else f"{v:.1%}" for v in zones["share"]],
            }), hide_index=True, width="stretch", key="indicator_zone_table")
    left, right = st.columns(2)
    with left:
        st.subheader(t("ind_chart_years", lang, indicator=label))
        series = views["years"]
        if series.empty:
            st.info(t("ind_no_years", lang))
        else:
            long = pd.concat([
                pd.DataFrame({"year": series["year"], "value": series["value_total"], "series": t("chart_total", lang)}),
                pd.DataFrame({"year": series["year"], "value": series["value_covered"],
                              "series": t("chart_covered", lang)})])
            st.altair_chart(alt.Chart(long).mark_line(point=True).encode(
                x=alt.X("year:O", title=t("year", lang)), y=alt.Y("value:Q", title=label),
                color=alt.Color("series:N", title=t("chart_series", lang)),
                tooltip=["year:O", "series:N", alt.Tooltip("value:Q", format=",.0f")]), width="stretch")
    with right:
        change = views["change"]
        before = change["previous_year"].iloc[0] if len(change) else None
        st.subheader(t("ind_change_title", lang, year=year,
                       previous="—" if before is None or pd.isna(before) else int(before)))
        st.dataframe(pd.DataFrame({
            t("zone", lang): localized(change, "name", lang),
            str(year): [fmt_value(v, spec) for v in change["value"]],
            t("ind_previous", lang): [fmt_value(v, spec) for v in change["previous_value"]],
            t("ind_change", lang): ["—" if pd.isna(v) else f"{v:+,.0f}" for v in change["change"]],
        }), hide_index=True, width="stretch", key="indicator_change_table")
    if union["value_total"] is not None:
        gaps = views["gaps"]
        st.subheader(t("ind_gap_title", lang, indicator=spec.name(lang), year=year))
        if gaps.empty:
            st.success(t("ind_gap_none", lang, indicator=spec.name(lang), year=year))
        else:
            st.dataframe(pd.DataFrame({
                t("village_name", lang): gaps["name"], label: [fmt_value(v, spec) for v in gaps["value"]],
                t("distance_km", lang): ["—" if pd.isna(d) else f"{d:.2f}" for d in gaps["distance_km"]],
            }), hide_index=True, width="stretch", key="indicator_gap_table")
    class_section(views["classes"], spec, label, lang)


def class_section(classes, spec, label: str, lang: str) -> None:
    """Coverage by village planning class (村庄分类), when the villages have the column."""
    if classes is None or classes.empty:
        return
    from geo.indicators import load_indicators

    names = {c.id: c.name(lang) for c in load_indicators().planning_classes}
    st.subheader(t("class_title", lang))
    table = {t("class_name", lang): [names.get(c, t("class_none", lang)) for c in classes["planning_class"]],
             t("villages_count", lang): classes["villages"], t("class_villages_covered", lang): classes["villages_covered"]}
    if "value" in classes.columns:
        table[label] = [fmt_value(v, spec) for v in classes["value"]]
        table[t("class_value_covered", lang)] = [fmt_value(v, spec) for v in classes["value_covered"]]
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch", key="class_table")


def coverage_page(region: RegionRef | None, year: int, lang: str) -> None:
    """Show a region's coverage in a year: the union, per zone, charts, gaps, pairing, published vs computed — or,
    for another indicator or a year after 2020, the coverage of the indicator chosen in the sidebar."""
    if region is None:
        return
    st.header(f"{region.name(lang)} · {year}")
    with st.columns([1, 2])[0]:
        belt_km = belt_width_control(region, lang)  # every figure below at this width; published vs computed at ±5 km
    data = cache.region_data(region, belt_km=belt_km)
    indicator = current_indicator()
    if indicator != DEFAULT_INDICATOR or year != cache.campaign_year(year):
        illustrative_notice(data, lang)
        if len(data.villages) == 0:
            st.info(t("no_villages", lang))
            return
        indicator_section(data, indicator, year, lang)
        return
    report = cache.report(data, year, lang)
    illustrative_notice(data, lang)
    if len(data.villages) == 0:
        st.info(t("no_villages", lang))
    else:
        union = report["union"]
        st.subheader(t("union_title", lang))
        c1, c2, c3 = st.columns(3)
        c1.metric(t("union_poverty_villages", lang), fmt_int(union["poverty_villages_covered"]))
        c1.caption(of_total(union["poverty_villages_total"], lang))
        c2.metric(t("union_poor_population", lang), fmt_int(union["poor_population_covered"]))
        c2.caption(of_total(union["poor_population_total"], lang))
        c3.metric(t("union_share", lang), fmt_share(union["poor_population_covered"], union["poor_population_total"]))

        st.subheader(t("zone_table", lang, year=year))
        if not report["zones"]:
            st.info(t("no_zones", lang))
        else:
            zones = pd.DataFrame(report["zones"])
            table = pd.DataFrame({
                t("zone", lang): zones["name"],
                t("kind", lang): [t(f"zone_kind_{k}", lang) for k in zones["kind"]],
                t("industries", lang): [pick(lang, "、", ", ").join(i) for i in zones["industries"]],
                t("villages_count", lang): zones["villages"],
                t("poverty_villages", lang): zones["poverty_villages"],
                t("poor_population", lang): zones["poor_population"],
                t("poor_population_share", lang): zones["poor_population_share"] * 100,
                t("area_km2", lang): zones["area_km2"],
                t("area_10k_mu", lang): zones["area_10k_mu"],
                t("poor_per_km2", lang): zones["poor_per_km2"],
                **zone_terrain_columns(data, zones, lang),
                t("dataset_status", lang): [t("status_illustrative" if p == "illustrative" else "status_real", lang)
                                             for p in zones["provenance"]],
            })
            st.dataframe(table, hide_index=True, width="stretch", key="zone_table", column_config={
                t("poor_population_share", lang): st.column_config.NumberColumn(format="%.1f%%"),
                t("area_km2", lang): st.column_config.NumberColumn(format="%.1f"),
                t("area_10k_mu", lang): st.column_config.NumberColumn(format="%.2f"),
                t("poor_per_km2", lang): st.column_config.NumberColumn(format="%.1f"),
                t("relief_m", lang): st.column_config.NumberColumn(format="%.0f"),
                t("slope_mean_deg", lang): st.column_config.NumberColumn(format="%.1f"),
            })
        elevation_section(data, year, lang)  # villages by elevation band, 高寒 threshold (with or without zones)

        left, right = st.columns(2)
        with left:
            st.subheader(t("chart_years", lang))
            years = cache.years_table(data)
            st.altair_chart(years_chart(years, lang), width="stretch")
            if (years["poor_population_covered"] == years["poor_population_total"]).any():
                st.caption(t("chart_covered_note", lang))
        with right:
            st.subheader(t("chart_whatif", lang, year=year))
            if not (data.zones["kind"] == "belt").any():
                st.info(t("whatif_no_belts", lang))
            else:
                curve = cache.whatif_table(data, year)
                current = float(data.zones.loc[data.zones["kind"] == "belt", "half_width_km"].iloc[0])
                line = alt.Chart(curve).mark_line().encode(
                    x=alt.X("half_width_km:Q", title=t("whatif_width", lang)),
                    y=alt.Y("poor_population_share:Q", title=t("share_axis", lang), axis=alt.Axis(format="%"),
                            scale=alt.Scale(domain=[0, 1])),
                    tooltip=[alt.Tooltip("half_width_km:Q", title=t("whatif_width", lang)),
                             alt.Tooltip("poor_population_share:Q", format=".1%", title=t("share_axis", lang))],
                )
                rule = alt.Chart(pd.DataFrame({"x": [current]})).mark_rule(strokeDash=[4, 4], color="#b00020").encode(
                    x="x:Q", tooltip=[alt.Tooltip("x:Q", title=t("whatif_current", lang))])
                st.altair_chart(line + rule, width="stretch")

        st.subheader(t("gap_title", lang, year=year))
        gaps = pd.DataFrame(report["gaps"])
        if gaps.empty:
            st.success(t("gap_none", lang, year=year))
        else:
            st.dataframe(pd.DataFrame({
                t("village_name", lang): gaps["name"], t("poor_population", lang): gaps["poor_population"],
                # an unplaced village has no distance: "—"
                t("distance_km", lang): [("—" if d is None or pd.isna(d) else f"{d:.2f}") for d in gaps["distance_km"]],
                t("nearest_zone", lang): gaps["nearest_zone"],
            }), hide_index=True, width="stretch", key="gap_table")
        if report.get("unplaced"):
            unplaced = pd.DataFrame(report["unplaced"])
            with st.expander(t("unplaced_title", lang, n=len(unplaced))):
                st.caption(t("unplaced_note", lang))
                st.dataframe(pd.DataFrame({
                    t("village_name", lang): unplaced["name"], t("township", lang): unplaced["township"],
                    t("code", lang): unplaced["code"], t("data_zones_assigned", lang): unplaced["zones_assigned"],
                }), hide_index=True, width="stretch", key="unplaced_table")

        if len(data.zones) and (data.zones["kind"] != "county").all():
            pairs = cache.pairing_table(data, year)
            if len(pairs):
                with st.expander(t("pairing_title", lang, year=year)):
                    names = dict(zip(data.zones["zone_id"], localized(data.zones, "name", lang)))
                    st.dataframe(pd.DataFrame({
                        t("village_name", lang): pairs["name"], t("zone", lang): pairs["zone_id"].map(names),
                        t("partner", lang): pairs["partner_name"],
                        t("distance_partner_km", lang): pairs["distance_km"],
                    }), hide_index=True, width="stretch", key="pairing_table", column_config={
                        t("distance_partner_km", lang): st.column_config.NumberColumn(format="%.2f")})
        spec = data.registry.get(DEFAULT_INDICATOR)
        class_section(cache.indicator_views(data, DEFAULT_INDICATOR, year)["classes"], spec,
                      spec.name(lang), lang)

    if report["published"]:
        st.subheader(t("published_vs_computed", lang))
        published = pd.DataFrame(report["published"])
        st.dataframe(pd.DataFrame({
            t("figure", lang): published["label"],
            t("published", lang): published["published_text"],
            t("computed", lang): published["computed_text"].fillna(t("not_computable", lang)),
            t("match", lang): ["—" if pd.isna(m) else ("✓" if m else "✗") for m in published["match"]],
            t("when", lang): published["when"],
            t("source", lang): published["source"],
            t("assumption", lang): published["assumption"].fillna(""),
        }), hide_index=True, width="stretch", key="published_table")
        if region.seed is not None and region.seed.assumptions and data.illustrative:
            colon = pick(lang, "：", ": ")
            with st.expander(t("assumptions", lang)):
                for a in region.seed.assumptions:
                    st.markdown(f"- **{a.quantity(lang)}**{colon}{a.value(lang)} — {a.why(lang)}")


coverage_page(**page_args())
