"""The real-world corpus (tests/data/real_world/, built by scripts/build_real_world.py): every file is read by the
ingest functions and checked against EXPECTED.toml — rows, skipped rows, numbers, the coordinate reading, and
positions within 1 m of the truth."""
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
import shapely

from geo.boundaries import load_boundary
from geo.ingest.coordinates import (
    detect_coordinate_system,
    parse_angle_column,
    projected_columns,
    swapped_by_hemisphere,
    to_wgs84,
)
from geo.ingest.reference import bare_name, village_list
from geo.ingest.tables import parse_number, read_table_file
from tests.conftest import metres_between

CORPUS = Path(__file__).resolve().parent / "data" / "real_world"
EXPECTED = tomllib.loads((CORPUS / "EXPECTED.toml").read_text(encoding="utf-8"))["files"]
NAMES = sorted(EXPECTED)


def read(name: str, **options):
    return read_table_file((CORPUS / name).read_bytes(), name, **options)


def test_the_corpus_is_complete_and_covers_every_form():
    on_disk = {p.name for p in CORPUS.iterdir() if p.name not in ("EXPECTED.toml", "README.md")}
    assert on_disk == set(EXPECTED) and len(on_disk) >= 20
    categories = {e["category"] for e in EXPECTED.values()}
    assert {"sheet layout", "several sheets", "degrees-minutes-seconds", "projected", "register"} <= categories
    epsgs = {e["epsg"] for e in EXPECTED.values() if e["coordinates"] == "projected"}
    assert {4522, 4543, 4496, 4507, 32648, 3857, 4530, 4491} <= epsgs
    assert all(e["illustrative"] for e in EXPECTED.values())


@pytest.mark.parametrize("name", NAMES)
def test_rows_header_and_skipped_rows(name):
    expected = EXPECTED[name]
    table = read(name)
    assert list(table.header_rows) == expected["header_rows"]
    assert table.rows.tolist() == expected["data_rows"]
    assert len(table.frame) == expected["rows_accepted"]
    assert [s.row for s in table.skipped] == expected["skipped_rows"]
    assert [s.reason for s in table.skipped] == expected["skipped_reasons"]
    assert table.dropped_columns == expected["dropped_columns"]
    assert {f.column: f.cells for f in table.filled_columns} == expected["filled"]
    assert table.sheet == expected["sheet"]
    if "sheet_names" in expected:
        assert table.sheet_names == expected["sheet_names"]
        assert any(n.key == "sheet_chosen" for n in table.notes) == expected["sheet_chosen_note"]
    if "columns" in expected:
        assert list(table.frame.columns) == expected["columns"]
    if "townships" in expected:
        assert table.frame["乡镇"].tolist() == expected["townships"]


@pytest.mark.parametrize("name", [n for n in NAMES if "numbers" in EXPECTED[n]])
def test_numbers_written_as_text(name):
    table = read(name)
    for column, values in EXPECTED[name]["numbers"].items():
        parsed = [parse_number(v) for v in table.frame[column]]
        assert all(p.problem is None for p in parsed), [p.problem for p in parsed if p.problem]
        got = [math.nan if p.value is None else p.value for p in parsed]
        np.testing.assert_allclose(got, values, rtol=0, atol=1e-9, err_msg=column)
        if column in EXPECTED[name].get("percent", {}):
            assert [p.percent for p in parsed] == EXPECTED[name]["percent"][column]


@pytest.mark.parametrize("name", [n for n in NAMES if EXPECTED[n]["coordinates"] == "degrees"])
def test_degrees_in_every_notation_within_a_metre(name):
    expected = EXPECTED[name]
    frame = read(name).frame
    lon_column = parse_angle_column(frame[expected["lon_column"]])
    lat_column = parse_angle_column(frame[expected["lat_column"]])
    assert not lon_column.problems and not lat_column.problems
    assert swapped_by_hemisphere(lon_column, lat_column) == expected["swapped"]
    lon, lat = (lat_column.degrees, lon_column.degrees) if expected["swapped"] else \
        (lon_column.degrees, lat_column.degrees)
    # the values alone say the same: read as degrees, longitude where the hemispheres say
    best = detect_coordinate_system(lon_column.degrees, lat_column.degrees, expected["lon_column"],
                                    expected["lat_column"])
    assert best[0].epsg == 4326 and best[0].easting == ("y" if expected["swapped"] else "x")
    distances = metres_between(lon, lat, expected["truth_lon"], expected["truth_lat"])
    assert distances.max() < 1.0, distances


@pytest.mark.parametrize("name", [n for n in NAMES if EXPECTED[n]["coordinates"] == "projected"])
def test_projected_metres_are_recognised_and_land_within_a_metre(name):
    expected = EXPECTED[name]
    frame = read(name).frame
    x_header, y_header = expected["x_column"], expected["y_column"]
    assert set(projected_columns(frame.columns)) == {x_header, y_header}
    region = None
    if "region" in expected:
        region = shapely.union_all(load_boundary(expected["region"]).geometry.values)
    candidates = detect_coordinate_system(frame[x_header], frame[y_header], x_header, y_header, region_bounds=region)
    assert candidates, "no reading found"
    best = candidates[0]
    assert best.epsg == expected["epsg"], [(c.epsg, c.score) for c in candidates[:4]]
    assert best.easting_header == expected["easting_column"]
    lon, lat = to_wgs84(frame[x_header], frame[y_header], best)
    distances = metres_between(lon, lat, expected["truth_lon"], expected["truth_lat"])
    assert distances.max() < 1.0, distances
    assert str(best.epsg) in best.description("zh") and "读作" in best.description("zh")


@pytest.mark.parametrize("name", [n for n in NAMES if EXPECTED[n]["coordinates"] == "none"])
def test_registers_keep_codes_as_text(name):
    expected = EXPECTED[name]
    frame = read(name).frame
    assert frame[expected["code_column"]].tolist() == expected["codes"]
    assert not projected_columns(frame.columns)


def test_the_real_name_register_matches_the_nbs_list_and_the_illustrative_one_does_not():
    nbs = village_list()
    real = EXPECTED["register_real_names_codes.csv"]
    frame = read("register_real_names_codes.csv").frame
    for (_, row), code in zip(frame.iterrows(), real["nbs_codes"]):
        listed_name, listed_town = nbs.codes[code]
        assert bare_name(listed_name) == bare_name(row["村名"])
        assert listed_town.rstrip("乡镇") == row["乡镇"].rstrip("乡镇")  # 沙石多乡 is now 沙石多镇
    assert any(t == "沙石多乡" for t in frame["乡镇"])
    invented = EXPECTED["register_illustrative.xlsx"]["codes"]
    assert not any(c in nbs.codes for c in invented) and all(c.startswith("513228") for c in invented)


def test_a_named_sheet_is_read_on_request():
    expected = EXPECTED["gov_one_sheet_per_year.xlsx"]
    table = read("gov_one_sheet_per_year.xlsx", sheet=expected["other_sheet"])
    assert table.sheet == expected["other_sheet"] and len(table.frame) == expected["other_sheet_rows"]
    assert not table.notes
