"""Mark a fixture as heavy: every test that uses it (directly or through other fixtures) gets the tiers.

    @pytest.fixture(scope="module")
    @heavy("dbt")
    def built(tmp_path_factory): ...

tests/conftest.py reads the mark at collection; see its "test tiers" comment.
"""
from __future__ import annotations

ATTR = "_folkhalsa_tiers"


def heavy(*tiers: str):
    def deco(fn):
        setattr(fn, ATTR, tuple(tiers))
        return fn
    return deco


def fixture_tiers(fixturedef) -> tuple[str, ...]:
    fn = getattr(fixturedef, "func", None)
    while fn is not None:
        if hasattr(fn, ATTR):
            return getattr(fn, ATTR)
        fn = getattr(fn, "__wrapped__", None) or getattr(fn, "_fixture_function", None)
    return ()
