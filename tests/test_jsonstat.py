"""JSON-stat 2.0 reader: dense and sparse values, status forms, size checks, clear errors."""
import copy

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from folkhalsa.io.jsonstat import (Dimension, JsonStatError, build_dataset, merge_datasets, parse_dataset,
                                        read_jsonstat)


def cube(**over):
    """Region (2) × Tid (3): the smallest realistic PxWeb answer."""
    ds = {
        "class": "dataset", "version": "2.0", "label": "Daglig rökning",
        "id": ["Region", "Tid"], "size": [2, 3],
        "dimension": {
            "Region": {"label": "region", "category": {"index": {"00": 0, "01": 1},
                                                       "label": {"00": "Riket", "01": "Stockholms län"}}},
            "Tid": {"label": "år", "category": {"index": ["2020", "2021", "2022"]}},
        },
        "value": [6.5, 6.3, None, 5.4, 5.2, 5.0],
        "status": {"2": ".."},
        "role": {"time": ["Tid"]},
    }
    ds.update(over)
    return ds


def test_dense_cube_is_read_row_major_with_labels_and_status():
    df = read_jsonstat(cube())
    assert df.columns == ["Region", "Region_label", "Tid", "Tid_label", "value", "status"]
    assert df.schema["value"] == pl.Float64 and df.schema["status"] == pl.Utf8
    assert df["Region"].to_list() == ["00", "00", "00", "01", "01", "01"]
    assert df["Tid"].to_list() == ["2020", "2021", "2022"] * 2
    assert df["Region_label"].to_list()[3] == "Stockholms län"
    assert df["Tid_label"].to_list()[0] == "2020"  # no labels given: the code stands in
    assert df["value"].to_list() == [6.5, 6.3, None, 5.4, 5.2, 5.0]
    assert df["status"].to_list() == [None, None, "..", None, None, None]


def test_labels_can_be_left_out():
    assert read_jsonstat(cube(), labels=False).columns == ["Region", "Tid", "value", "status"]


def test_sparse_values_fill_the_rest_with_null():
    df = read_jsonstat(cube(value={"0": 6.5, "5": 5.0}, status=None))
    assert df["value"].to_list() == [6.5, None, None, None, None, 5.0]
    assert df["status"].null_count() == 6


def test_sparse_and_dense_give_the_same_table():
    dense = cube()
    sparse = cube(value={str(i): v for i, v in enumerate(dense["value"]) if v is not None})
    assert read_jsonstat(dense).equals(read_jsonstat(sparse))


@pytest.mark.parametrize("status, expected", [
    ("..", [".."] * 6),
    ([".."], [".."] * 6),
    ([None, None, "..", None, "x", None], [None, None, "..", None, "x", None]),
    ({"2": "..", "4": "*"}, [None, None, "..", None, "*", None]),
])
def test_status_as_string_list_or_object(status, expected):
    assert read_jsonstat(cube(status=status))["status"].to_list() == expected


def test_index_may_be_left_out_for_a_single_category():
    ds = cube(id=["Region", "Tid"], size=[1, 3], value=[1.0, 2.0, 3.0], status=None)
    ds["dimension"]["Region"] = {"label": "region", "category": {"label": {"00": "Riket"}}}
    assert read_jsonstat(ds)["Region"].to_list() == ["00"] * 3


def test_json_text_is_accepted():
    import json
    assert read_jsonstat(json.dumps(cube())).height == 6


def _error(ds) -> str:
    with pytest.raises(JsonStatError) as e:
        read_jsonstat(ds)
    return str(e.value)


def test_size_not_matching_id():
    msg = _error(cube(size=[2, 3, 1]))
    assert "'size' har 3 element men 'id' har 2" in msg and "'size' has 3 entries but 'id' has 2" in msg


def test_size_not_matching_number_of_values():
    msg = _error(cube(value=[1.0, 2.0, 3.0, 4.0, 5.0]))
    assert "antalet värden (5) stämmer inte med size (2×3 = 6)" in msg
    assert "the number of values (5) does not match size (2×3 = 6)" in msg


def test_size_not_matching_categories():
    msg = _error(cube(size=[3, 2]))
    assert "dimensionen 'Region' har 2 kategorier men size anger 3" in msg
    assert "dimension 'Region' has 2 categories but size says 3" in msg


def test_unknown_dimension_in_id():
    msg = _error(cube(id=["Region", "Kon"]))
    assert "dimensionen 'Kon' finns i 'id' men saknas i 'dimension'" in msg
    assert "dimension 'Kon' is listed in 'id' but missing from 'dimension'" in msg


def test_dimension_without_category():
    ds = cube()
    ds["dimension"]["Tid"] = {"label": "år"}
    assert "dimension 'Tid' has no 'category'" in _error(ds)


def test_index_positions_must_be_a_permutation():
    ds = cube()
    ds["dimension"]["Region"]["category"]["index"] = {"00": 0, "01": 2}
    assert "is not the positions 0..1" in _error(ds)


def test_sparse_index_out_of_range():
    msg = _error(cube(value={"6": 1.0}))
    assert "cellindex '6' ligger utanför 0..5" in msg and "cell index '6' is outside 0..5" in msg


def test_value_that_is_not_a_number():
    msg = _error(cube(value=[1.0, "6,5", None, 1, 2, 3]))
    assert "värdet i cell 1 är inte ett tal" in msg and "the value in cell 1 is not a number" in msg


def test_status_list_of_wrong_length():
    assert "'status' has 2 entries but the dataset has 6 cells" in _error(cube(status=["..", ".."]))


def test_not_a_dataset():
    assert "expected 'dataset'" in _error(cube(**{"class": "collection"}))
    assert "'id' is missing" in _error({"class": "dataset", "value": []})
    assert "malformed JSON" in _error("{not json")


def test_build_and_read_round_trip():
    dims = [Dimension("Region", ["00", "01"], ["Riket", "Stockholms län"], "region"),
            Dimension("Tid", ["2022", "2023"], ["2022", "2023"], "år")]
    ds = build_dataset(dims, [1.0, None, 3.0, 4.0], {1: ".."}, label="t")
    assert ds["size"] == [2, 2] and ds["status"] == {"1": ".."}
    df = read_jsonstat(ds)
    assert df["value"].to_list() == [1.0, None, 3.0, 4.0]
    assert df["Region_label"].to_list() == ["Riket", "Riket", "Stockholms län", "Stockholms län"]


def test_merge_chunks_into_one_cube():
    full = cube()
    part1 = copy.deepcopy(full)
    part1.update(size=[1, 3], value=full["value"][:3], status={"2": ".."})
    part1["dimension"]["Region"]["category"] = {"index": {"00": 0}, "label": {"00": "Riket"}}
    part2 = copy.deepcopy(full)
    part2.update(size=[1, 3], value=full["value"][3:], status=None)
    part2["dimension"]["Region"]["category"] = {"index": {"01": 0}, "label": {"01": "Stockholms län"}}
    merged = merge_datasets([part1, part2])
    assert read_jsonstat(merged).equals(read_jsonstat(full))
    assert merged["label"] == "Daglig rökning" and merged["role"] == {"time": ["Tid"]}


def test_merge_refuses_conflicting_cells_and_different_dimensions():
    other = cube(value=[9.9, 6.3, None, 5.4, 5.2, 5.0])
    with pytest.raises(JsonStatError, match="different values for the same cell"):
        merge_datasets([cube(), other])
    flipped = cube(id=["Tid", "Region"], size=[3, 2])
    with pytest.raises(JsonStatError, match="the parts have different dimensions"):
        merge_datasets([cube(), flipped])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4).flatmap(
    lambda sizes: st.tuples(st.just(sizes), st.lists(
        st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)),
        min_size=_prod(sizes), max_size=_prod(sizes)))))
def test_any_cube_reads_the_same_dense_or_sparse(case):
    sizes, values = case
    dims = [Dimension(f"d{i}", [f"c{j}" for j in range(n)], [f"c{j}" for j in range(n)]) for i, n in enumerate(sizes)]
    dense = build_dataset(dims, values)
    sparse = {**dense, "value": {str(i): v for i, v in enumerate(values) if v is not None}}
    a, b = read_jsonstat(dense), read_jsonstat(sparse)
    assert a.equals(b) and a.height == _prod(sizes)
    assert parse_dataset(dense).values == [None if v is None else float(v) for v in values]


def _prod(xs):
    out = 1
    for x in xs:
        out *= x
    return out
