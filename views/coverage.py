"""The coverage page: per-zone metrics, the union, two charts, the gap list, pairing and published vs computed."""
import altair as alt
import pandas as pd
import streamlit as st

from geo.i18n import localized, t
from geo.regions import RegionRef
from views import cache
from views.state import page_args
from views.widgets import belt_width_control, illustrative_notice


def fmt_int(value) -> str:
    return "—" if value is None else f"{int(value):,}"


def coverage_page(region: RegionRef | None, year: int, lang: str) -> None:
    """Show a region's coverage in a year: the union, per zone, charts, gaps, pairing, published vs computed."""
    if region is None:
        return
    st.header(f"{region.name(lang)} · {year}")
    with st.columns([1, 2])[0]:
        belt_km = belt_width_control(region, lang)  # every figure below at this width; published vs computed at ±5 km
    data = cache.region_data(region, belt_km=belt_km)
    report = cache.report(data, year, lang)
    illustrative_notice(data, lang)
    if len(data.villages) == 0:
        st.info(t("no_villages", lang))
    else:
        union = report["union"]
        st.subheader(t("union_title", lang))
        c1, c2, c3 = st.columns(3)
        c1.metric(t("union_poverty_villages", lang), fmt_int(union["poverty_villages_covered"]))
        c1.caption(t("of_total", lang, total=fmt_int(union["poverty_villages_total"])))
        c2.metric(t("union_poor_population", lang), fmt_int(union["poor_population_covered"]))
        c2.caption(t("of_total", lang, total=fmt_int(union["poor_population_total"])))
        c3.metric(t("union_share", lang), f"{union['poor_population_share'] * 100:.1f}%")

        st.subheader(t("zone_table", lang, year=year))
        if not report["zones"]:
            st.info(t("no_zones", lang))
        else:
            zones = pd.DataFrame(report["zones"])
            table = pd.DataFrame({
                t("zone", lang): zones["name"],
                t("kind", lang): [t(f"zone_kind_{k}", lang) for k in zones["kind"]],
                t("industries", lang): ["、".join(i) for i in zones["industries"]],
                t("villages_count", lang): zones["villages"],
                t("poverty_villages", lang): zones["poverty_villages"],
                t("poor_population", lang): zones["poor_population"],
                t("poor_population_share", lang): zones["poor_population_share"] * 100,
                t("area_km2", lang): zones["area_km2"],
                t("area_10k_mu", lang): zones["area_10k_mu"],
                t("poor_per_km2", lang): zones["poor_per_km2"],
                t("dataset_status", lang): [t("status_illustrative" if p == "illustrative" else "status_real", lang)
                                             for p in zones["provenance"]],
            })
            st.dataframe(table, hide_index=True, width="stretch", key="zone_table", column_config={
                t("poor_population_share", lang): st.column_config.NumberColumn(format="%.1f%%"),
                t("area_km2", lang): st.column_config.NumberColumn(format="%.1f"),
                t("area_10k_mu", lang): st.column_config.NumberColumn(format="%.2f"),
                t("poor_per_km2", lang): st.column_config.NumberColumn(format="%.1f"),
            })

        left, right = st.columns(2)
        with left:
            st.subheader(t("chart_years", lang))
            years = cache.years_table(data)
            long = pd.concat([
                pd.DataFrame({"year": years["year"], "people": years["poor_population_covered"],
                              "series": t("chart_covered", lang)}),
                pd.DataFrame({"year": years["year"], "people": years["poor_population_total"],
                              "series": t("chart_total", lang)}),
            ])
            chart = alt.Chart(long).mark_line(point=True).encode(
                x=alt.X("year:O", title=t("year", lang)),
                y=alt.Y("people:Q", title=t("people_axis", lang)),
                color=alt.Color("series:N", title=t("chart_series", lang)),
                tooltip=["year", "series", alt.Tooltip("people:Q", format=",")],
            )
            st.altair_chart(chart, width="stretch")
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
                t("distance_km", lang): gaps["distance_km"], t("nearest_zone", lang): gaps["nearest_zone_id"],
            }), hide_index=True, width="stretch", key="gap_table",
                column_config={t("distance_km", lang): st.column_config.NumberColumn(format="%.2f")})

        if len(data.zones) and (data.zones["kind"] != "county").all():
            pairs = cache.pairing_table(data, year)
            if len(pairs):
                with st.expander(t("pairing_title", lang, year=year)):
                    st.dataframe(pd.DataFrame({
                        t("village_name", lang): pairs["name"], t("zone", lang): pairs["zone_id"],
                        t("partner", lang): pairs["partner_name"], t("distance_km", lang): pairs["distance_km"],
                    }), hide_index=True, width="stretch", key="pairing_table")

    if report["published"]:
        st.subheader(t("published_vs_computed", lang))
        published = pd.DataFrame(report["published"])
        figures = {f.id: f for f in region.figures}
        st.dataframe(pd.DataFrame({
            t("figure", lang): localized(published, "label", lang),
            t("published", lang): [figures[f].display_value(lang) for f in published["figure"]],
            t("computed", lang): [t("not_computable", lang) if pd.isna(c) else f"{c:,.6g}" for c in published["computed"]],
            t("match", lang): ["—" if pd.isna(m) else ("✓" if m else "✗") for m in published["match"]],
            t("when", lang): published["when"],
            t("source", lang): published["source"],
            t("assumption", lang): published["assumption"].fillna(""),
        }), hide_index=True, width="stretch", key="published_table")
        if region.seed is not None and region.seed.assumptions and data.illustrative:
            with st.expander(t("assumptions", lang)):
                for a in region.seed.assumptions:
                    st.markdown(f"- **{a.quantity(lang)}**: {a.value} — {a.why}")


coverage_page(**page_args())
