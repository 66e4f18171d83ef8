"""JSON-stat 2.0 datasets: read into a Polars long table, build, and merge.

A dataset is a cube: `id` names the dimensions, `size` their category counts, and
`value` holds product(size) cells in row-major order (last dimension fastest),
either as a dense array or as a sparse object {"cell index": value}.
`status` is one string for all cells, an array, or a sparse object.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import polars as pl


class JsonStatError(ValueError):
    """The JSON-stat is ill-formed. Message in Swedish / English."""


def _fail(sv: str, en: str) -> JsonStatError:
    return JsonStatError(f"JSON-stat: {sv} / {en}")


@dataclass
class Dimension:
    id: str
    codes: list[str]
    labels: list[str]
    label: str = ""
    extra: dict = field(default_factory=dict)  # other category members, e.g. "unit", keyed by code


@dataclass
class Dataset:
    dimensions: list[Dimension]
    values: list[float | None]   # dense, row-major
    status: list[str | None]     # dense, row-major
    meta: dict                   # label, source, updated, role, extension, note, ...

    @property
    def ids(self) -> list[str]:
        return [d.id for d in self.dimensions]


_META_KEYS = ("label", "source", "updated", "href", "note", "role", "extension", "link", "error")


def parse_dataset(data: Mapping | str | bytes) -> Dataset:
    """Validate a JSON-stat 2.0 dataset and return it in dense form."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as e:
            raise _fail(f"ogiltig JSON ({e})", f"malformed JSON ({e})") from None
    if not isinstance(data, Mapping):
        raise _fail("datasetet är inte ett JSON-objekt", "the dataset is not a JSON object")
    if data.get("class", "dataset") != "dataset":
        raise _fail(f"class är '{data.get('class')}', väntade 'dataset'",
                    f"class is '{data.get('class')}', expected 'dataset'")
    ids, sizes = data.get("id"), data.get("size")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise _fail("'id' saknas eller är inte en lista av namn", "'id' is missing or not a list of names")
    if not isinstance(sizes, list) or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                              for s in sizes):
        raise _fail("'size' saknas eller är inte en lista av heltal", "'size' is missing or not a list of integers")
    if len(ids) != len(sizes):
        raise _fail(f"'size' har {len(sizes)} element men 'id' har {len(ids)}",
                    f"'size' has {len(sizes)} entries but 'id' has {len(ids)}")
    if len(set(ids)) != len(ids):
        raise _fail(f"'id' innehåller dubbletter: {ids}", f"'id' has duplicates: {ids}")
    dims_obj = data.get("dimension")
    if not isinstance(dims_obj, Mapping):
        raise _fail("'dimension' saknas", "'dimension' is missing")
    for name in ("value", "status"):
        if name in ids:
            raise _fail(f"dimensionen heter '{name}', vilket krockar med en kolumn",
                        f"a dimension is called '{name}', which clashes with a column")
    dims = [_parse_dimension(i, dims_obj.get(i), s) for i, s in zip(ids, sizes)]
    total = math.prod(sizes)
    meta = {k: data[k] for k in _META_KEYS if k in data}
    return Dataset(dims, _parse_values(data.get("value"), total, sizes), _parse_status(data.get("status"), total), meta)


def _parse_dimension(dim_id: str, obj: Any, size: int) -> Dimension:
    if obj is None:
        raise _fail(f"dimensionen '{dim_id}' finns i 'id' men saknas i 'dimension'",
                    f"dimension '{dim_id}' is listed in 'id' but missing from 'dimension'")
    cat = obj.get("category") if isinstance(obj, Mapping) else None
    if not isinstance(cat, Mapping):
        raise _fail(f"dimensionen '{dim_id}' saknar 'category'", f"dimension '{dim_id}' has no 'category'")
    index, labels = cat.get("index"), cat.get("label") or {}
    if not isinstance(labels, Mapping):
        raise _fail(f"category.label i '{dim_id}' är inte ett objekt", f"category.label of '{dim_id}' is not an object")
    if index is None:
        # The spec allows leaving out index when there is a single category.
        if len(labels) != 1:
            raise _fail(f"dimensionen '{dim_id}' saknar category.index", f"dimension '{dim_id}' has no category.index")
        codes = list(labels)
    elif isinstance(index, list):
        codes = [str(c) for c in index]
    elif isinstance(index, Mapping):
        order = sorted(index.items(), key=lambda kv: kv[1])
        if [p for _, p in order] != list(range(len(order))):
            raise _fail(f"category.index i '{dim_id}' är inte positionerna 0..{len(order) - 1}",
                        f"category.index of '{dim_id}' is not the positions 0..{len(order) - 1}")
        codes = [str(c) for c, _ in order]
    else:
        raise _fail(f"category.index i '{dim_id}' är varken lista eller objekt",
                    f"category.index of '{dim_id}' is neither a list nor an object")
    if len(set(codes)) != len(codes):
        raise _fail(f"dimensionen '{dim_id}' har dubbla kategorikoder",
                    f"dimension '{dim_id}' has duplicate category codes")
    if len(codes) != size:
        raise _fail(f"dimensionen '{dim_id}' har {len(codes)} kategorier men size anger {size}",
                    f"dimension '{dim_id}' has {len(codes)} categories but size says {size}")
    extra = {k: v for k, v in cat.items() if k not in ("index", "label")}
    return Dimension(dim_id, codes, [str(labels.get(c, c)) for c in codes], str(obj.get("label", dim_id)), extra)


def _number(v: Any, pos: int) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _fail(f"värdet i cell {pos} är inte ett tal: {v!r}", f"the value in cell {pos} is not a number: {v!r}")
    return float(v)


def _sparse_index(key: Any, total: int, what: str) -> int:
    try:
        i = int(key)
    except (TypeError, ValueError):
        i = -1
    if not 0 <= i < total:
        raise _fail(f"{what}: cellindex '{key}' ligger utanför 0..{total - 1}",
                    f"{what}: cell index '{key}' is outside 0..{total - 1}")
    return i


def _parse_values(raw: Any, total: int, sizes: Sequence[int]) -> list[float | None]:
    shape = "×".join(map(str, sizes))
    if isinstance(raw, list):
        if len(raw) != total:
            raise _fail(f"antalet värden ({len(raw)}) stämmer inte med size ({shape} = {total})",
                        f"the number of values ({len(raw)}) does not match size ({shape} = {total})")
        return [_number(v, i) for i, v in enumerate(raw)]
    if isinstance(raw, Mapping):
        values: list[float | None] = [None] * total
        for k, v in raw.items():
            i = _sparse_index(k, total, "value")
            values[i] = _number(v, i)
        return values
    raise _fail("'value' saknas eller är varken lista eller objekt",
                "'value' is missing or neither a list nor an object")


def _parse_status(raw: Any, total: int) -> list[str | None]:
    if raw is None:
        return [None] * total
    if isinstance(raw, str):
        return [raw] * total
    if isinstance(raw, list):
        if len(raw) == 1:  # a one-element array applies to every cell
            return [None if raw[0] is None else str(raw[0])] * total
        if len(raw) != total:
            raise _fail(f"'status' har {len(raw)} element men datasetet har {total} celler",
                        f"'status' has {len(raw)} entries but the dataset has {total} cells")
        return [None if s is None else str(s) for s in raw]
    if isinstance(raw, Mapping):
        status: list[str | None] = [None] * total
        for k, s in raw.items():
            status[_sparse_index(k, total, "status")] = None if s is None else str(s)
        return status
    raise _fail("'status' är varken text, lista eller objekt", "'status' is neither a string, a list nor an object")


def to_frame(ds: Dataset, *, labels: bool = True) -> pl.DataFrame:
    """Long table: one column per dimension (codes), optional `<dim>_label`, then value and status."""
    total = len(ds.values)
    cols: dict[str, pl.Series] = {}
    after = total
    before = 1
    for d in ds.dimensions:
        n = len(d.codes)
        after = after // n if n else 0
        idx = [i for i in range(n) for _ in range(after)] * before
        before *= n
        cols[d.id] = pl.Series(d.id, [d.codes[i] for i in idx], pl.Utf8)
        if labels:
            cols[f"{d.id}_label"] = pl.Series(f"{d.id}_label", [d.labels[i] for i in idx], pl.Utf8)
    cols["value"] = pl.Series("value", ds.values, pl.Float64)
    cols["status"] = pl.Series("status", ds.status, pl.Utf8)
    return pl.DataFrame(list(cols.values()))


def read_jsonstat(data: Mapping | str | bytes, *, labels: bool = True) -> pl.DataFrame:
    """Read a JSON-stat 2.0 dataset into a Polars long table."""
    return to_frame(parse_dataset(data), labels=labels)


def build_dataset(dimensions: Sequence[Dimension], values: Sequence[float | None],
                  status: Mapping[int, str] | Sequence[str | None] | None = None, **meta: Any) -> dict:
    """Write a JSON-stat 2.0 dataset (dense values, sparse status), as PxWeb returns it."""
    total = math.prod(len(d.codes) for d in dimensions)
    if len(values) != total:
        raise _fail(f"{len(values)} värden för {total} celler", f"{len(values)} values for {total} cells")
    if status is not None and not isinstance(status, Mapping):
        status = {i: s for i, s in enumerate(status) if s is not None}
    out: dict[str, Any] = {"class": "dataset", "version": "2.0"}
    out.update({k: v for k, v in meta.items() if v is not None})
    out["id"] = [d.id for d in dimensions]
    out["size"] = [len(d.codes) for d in dimensions]
    out["dimension"] = {
        d.id: {"label": d.label or d.id,
               "category": {"index": {c: i for i, c in enumerate(d.codes)},
                            "label": dict(zip(d.codes, d.labels)), **d.extra}}
        for d in dimensions}
    out["value"] = list(values)
    if status:
        out["status"] = {str(i): s for i, s in sorted(status.items())}
    return out


def merge_datasets(datasets: Sequence[Mapping]) -> dict:
    """Merge datasets that share the same dimensions (e.g. chunks of one query) into one cube."""
    parsed = [parse_dataset(d) for d in datasets]
    if not parsed:
        raise _fail("inga dataset att slå ihop", "no datasets to merge")
    ids = parsed[0].ids
    for p in parsed[1:]:
        if p.ids != ids:
            raise _fail(f"delsvaren har olika dimensioner: {ids} och {p.ids}",
                        f"the parts have different dimensions: {ids} and {p.ids}")
    dims = []
    for k, dim_id in enumerate(ids):
        codes: dict[str, str] = {}
        extra: dict = {}
        for p in parsed:
            d = p.dimensions[k]
            for c, lab in zip(d.codes, d.labels):
                codes.setdefault(c, lab)
            for key, val in d.extra.items():
                extra[key] = {**extra.get(key, {}), **val} if isinstance(val, Mapping) else val
        first = parsed[0].dimensions[k]
        dims.append(Dimension(dim_id, list(codes), list(codes.values()), first.label, extra))
    positions = [{c: i for i, c in enumerate(d.codes)} for d in dims]
    sizes = [len(d.codes) for d in dims]
    values: list[float | None] = [None] * math.prod(sizes)
    status: dict[int, str] = {}
    filled: set[int] = set()
    for p in parsed:
        for cell, (v, s) in enumerate(zip(p.values, p.status)):
            target = _cell_index(p, cell, positions, sizes)
            if target in filled and (values[target], status.get(target)) != (v, s):
                raise _fail(f"delsvaren ger olika värden för samma cell ({target})",
                            f"the parts give different values for the same cell ({target})")
            filled.add(target)
            values[target] = v
            if s is not None:
                status[target] = s
    return build_dataset(dims, values, status, **parsed[0].meta)


def _cell_index(p: Dataset, cell: int, positions: list[dict[str, int]], sizes: list[int]) -> int:
    """Map a cell of one part onto the merged cube."""
    coords = []
    for d in reversed(p.dimensions):
        cell, r = divmod(cell, len(d.codes))
        coords.append(d.codes[r])
    coords.reverse()
    target = 0
    for code, pos, size in zip(coords, positions, sizes):
        target = target * size + pos[code]
    return target
