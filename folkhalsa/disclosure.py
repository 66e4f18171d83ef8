"""Attack the published survey tables: how tightly can each hidden count be bounded?

The intruder model and the rule are stated once, in docs/disclosure.md. In short: the intruder has
the published warehouse (every mart, the reference schema) and public facts (the number of kommuner
in each län, one region per län); group sizes are public. The audit runs two ways:

* from the outside (`audit_warehouse`, `folkhalsa audit-disclosure`): the published file alone;
  hidden group sizes and response counts are variables, bounded by what is published;
* with the group sizes known (`audit(..., true_sizes=, true_responded=)`, the nightly stage reads
  them from the build): the strongest intruder of the model.

The intruder's linear constraints, per survey year and respondent type:

* the counties of a question add up to the national row, option by option and in group size; the
  counties' response counts add up to the national response count;
* a hidden answer count lies between 0 and its group's size; single choice: a group's option counts
  add up to its size; multiple choice: to at least its size;
* a hidden group size is at least 1 (the row exists), at most the county's number of respondents
  (shown, or itself hidden) and its number of kommuner (regions: 1); below the minimum group size
  when the reason is 'primary', at least the minimum when 'secondary';
* a hidden response count lies in [1, min(minimum − 1, kommuner)] ('primary').

For every hidden count the smallest and largest feasible value are found with linear programming
(HiGHS, through scipy) and rounded inwards to whole respondents (counts are integers, so this is still an
outer bound of what an intruder can know). A count already shown to be at least w wide by solutions
found for other counts is not solved again (`exact` false; its bounds are then those witnesses).
The rule (folkhalsa.settings: survey_min_respondents, survey_min_interval_width = w): a hidden answer
count must be at least min(w, N) wide, N being the largest size the intruder cannot rule out for its
group (its true size when sizes are known) – except that it need not be more uncertain than the
shown national row leaves it (the exception "zeros implied by a national total"). Hidden response
counts are group sizes: reported, not judged.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


SUMMARY_COLUMNS = ["survey_year", "respondent_type", "question_code", "question_type", "county_code",
                   "answer_code", "n_respondents", "n_answer", "is_suppressed", "suppression_reason"]
RESPONSE_COLUMNS = ["survey_year", "respondent_type", "county_code", "population", "n_responded",
                    "suppression_reason"]
RESULT_COLUMNS = ["kind", "survey_year", "respondent_type", "question_code", "county_code", "answer_code",
                  "lower", "upper", "width", "required", "exposed", "national_exception", "exact"]


@dataclass(frozen=True)
class Rule:
    min_respondents: int
    min_width: int

    @classmethod
    def from_settings(cls, settings=None) -> "Rule":
        from folkhalsa.settings import get_settings

        s = settings or get_settings()
        return cls(min_respondents=s.survey_min_respondents, min_width=s.survey_min_interval_width)


class AuditInputError(Exception):
    """The warehouse cannot be read or lacks a table the audit needs."""


def read_published(con) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What an intruder sees: the survey summary and the response counts (a duckdb connection),
    with each län's number of kommuner and regions from the published reference data."""
    summary = con.execute(f"select {', '.join(SUMMARY_COLUMNS)} from marts.mart_survey_summary").df()
    cols = {c for (c,) in con.execute(
        "select column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name = 'mart_survey_response_rate'").fetchall()}
    reason = "suppression_reason" if "suppression_reason" in cols else "null as suppression_reason"
    responded = con.execute(
        f"select survey_year, respondent_type, county_code, population, n_responded, {reason} "
        "from marts.mart_survey_response_rate").df()
    return summary, responded


def population_from_reference(con) -> pd.DataFrame:
    """Kommuner per län and one region per län, from the published reference schema (public facts)."""
    return con.execute("""
        select cast(county_code as varchar) as county_code, 'kommun' as respondent_type, count(*) as population
        from reference.ref_municipalities group by all
        union all
        select cast(code as varchar), 'region', 1 from reference.ref_counties""").df()


# ------------------------------------------------------------------------------------- the LP


class _LP:
    """Variables with bounds, equality and ≤ rows, each row a {var: coef} and a constant.

    One HiGHS model per system, built at the first solve; each range is two re-solves of it with a
    new objective, warm-started from the last basis (a fresh `scipy.optimize.linprog` per objective
    cost ten times as much: 3,300 solves of the sample took 10 s a night). HiGHS is scipy's own
    binding of it (`scipy.optimize._highspy`, what `linprog(method="highs")` calls): PyPI's highspy
    prints a banner on stdout, and scipy is pinned (constraints.txt)."""

    def __init__(self):
        self.bounds: list[tuple[float, float | None]] = []
        self.names: dict[tuple, int] = {}
        self.eq: list[tuple[dict, float]] = []
        self.ub: list[tuple[dict, float]] = []
        self._highs = None
        self._cost_at: list[int] = []   # the variables with a non-zero cost now

    def var(self, name: tuple, lo: float, hi: float | None) -> int:
        self.names[name] = len(self.bounds)
        self.bounds.append((lo, hi))
        return self.names[name]

    def _model(self):
        """The HiGHS model of the rows and bounds (built once; rows cannot be added after it)."""
        if self._highs is not None:
            return self._highs
        from scipy.optimize._highspy import _core as hs

        n = len(self.bounds)
        rows = [(coefs, -math.inf, const) for coefs, const in self.ub] + \
               [(coefs, const, const) for coefs, const in self.eq]
        lp = hs.HighsLp()
        lp.num_col_, lp.num_row_ = n, len(rows)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.array([lo for lo, _ in self.bounds], dtype=float)
        lp.col_upper_ = np.array([math.inf if hi is None else hi for _, hi in self.bounds], dtype=float)
        lp.row_lower_ = np.array([lo for _, lo, _ in rows], dtype=float)
        lp.row_upper_ = np.array([hi for _, _, hi in rows], dtype=float)
        a = lp.a_matrix_
        a.format_, a.num_col_, a.num_row_ = hs.MatrixFormat.kRowwise, n, len(rows)
        a.start_ = np.cumsum([0] + [len(coefs) for coefs, _, _ in rows])
        a.index_ = np.array([j for coefs, _, _ in rows for j in coefs], dtype=np.int32)
        a.value_ = np.array([v for coefs, _, _ in rows for v in coefs.values()], dtype=float)
        lp.a_matrix_ = a
        h = hs._Highs()
        h.setOptionValue("output_flag", False)
        if h.passModel(lp) != hs.HighsStatus.kOk:
            raise RuntimeError("HiGHS refused the model")
        self._hs, self._highs = hs, h
        self.seen_lo, self.seen_hi = np.full(n, np.inf), np.full(n, -np.inf)
        return h

    def _solve(self, cost: dict[int, float], maximize: bool) -> tuple[str, float]:
        """('optimal', value) or ('unbounded', ±inf) of the objective `cost`; records the solution."""
        h, hs = self._model(), self._hs
        for j in self._cost_at:
            h.changeColCost(j, 0.0)
        for j, v in cost.items():
            h.changeColCost(j, v)
        self._cost_at = list(cost)
        h.changeObjectiveSense(hs.ObjSense.kMaximize if maximize else hs.ObjSense.kMinimize)
        h.run()
        status = h.getModelStatus()
        if status == hs.HighsModelStatus.kOptimal:
            x = np.asarray(h.getSolution().col_value)
            self.seen_lo, self.seen_hi = np.minimum(self.seen_lo, x), np.maximum(self.seen_hi, x)
            return "optimal", h.getInfo().objective_function_value
        # Feasibility is settled by an optimal solve first (solve_range): then only unbounded remains.
        if status in (hs.HighsModelStatus.kUnbounded, hs.HighsModelStatus.kUnboundedOrInfeasible):
            return "unbounded", (math.inf if maximize else -math.inf)
        return h.modelStatusToString(status), math.nan

    def solve_range(self, i: int) -> tuple[float, float]:
        lo_status, lo = self._solve({i: 1.0}, maximize=False)
        if lo_status != "optimal":
            raise RuntimeError(f"min: {lo_status}")
        hi_status, hi = self._solve({i: 1.0}, maximize=True)
        if hi_status not in ("optimal", "unbounded"):
            raise RuntimeError(f"max: {hi_status}")
        return lo, hi

    def probe(self, k: int, seed: int = 0) -> None:
        """Solve k random objectives: their vertices spread most variables apart cheaply."""
        if not self.bounds:
            return
        rng = np.random.default_rng(seed)
        n = len(self.bounds)
        for _ in range(k):
            c = rng.normal(size=n)
            self._solve(dict(enumerate(c)), maximize=False)

    def witnessed(self, i: int) -> tuple[int, int] | None:
        """Two feasible solutions found so far put variable i at least this far apart (whole
        respondents, rounded inwards): an inner bound of its range, enough to prove it wide."""
        if self._highs is None or not np.isfinite(self.seen_lo[i]):
            return None
        return math.ceil(self.seen_lo[i] - 1e-6), math.floor(self.seen_hi[i] + 1e-6)


def _add(row: dict, const: list, lp: _LP, name: tuple, known, coef: float = 1.0) -> None:
    """Add coef × (variable `name`, or the known constant) to a row."""
    if name in lp.names:
        row[lp.names[name]] = row.get(lp.names[name], 0.0) + coef
    else:
        const[0] += coef * float(known)


def audit(summary: pd.DataFrame, responded: pd.DataFrame, true_sizes: pd.DataFrame | None = None,
          rule: Rule | None = None, population: pd.DataFrame | None = None,
          true_responded: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per hidden count: kind ('answer' or 'responded'), lower, upper, width, required, exposed.

    `responded` has county response counts (n_responded null when hidden, with suppression_reason).
    `population` (county_code, respondent_type, population) bounds every group by its number of
    kommuner or regions; without it, responded's population column (if any) is used.
    `true_sizes` (survey_year, respondent_type, question_code, county_code, n_true) and
    `true_responded` (survey_year, respondent_type, county_code, n_true) give the intruder every
    group size and response count exactly, as the intruder model allows (group sizes are public):
    the nightly audit runs once so, from the build, and once on the published file alone.

    A hidden response count is a group size: its interval is reported (kind 'responded') but never
    judged against the rule (required 0)."""
    rule = rule or Rule.from_settings()
    responded = responded.copy()
    if true_sizes is not None:  # the intruder of the model knows every group size: constants
        keys = ["survey_year", "respondent_type", "question_code", "county_code"]
        summary = summary.merge(true_sizes[[*keys, "n_true"]], on=keys, how="left")
        summary["n_respondents"] = summary["n_respondents"].fillna(summary.pop("n_true"))
    if true_responded is not None:
        keys = ["survey_year", "respondent_type", "county_code"]
        responded = responded.merge(true_responded[[*keys, "n_true"]], on=keys, how="left")
        responded["n_responded"] = responded["n_responded"].fillna(responded.pop("n_true"))
    for col, default in (("suppression_reason", None), ("population", np.nan)):
        if col not in responded.columns:
            responded[col] = default
    pop = {}
    if population is not None:
        pop = {(r.respondent_type, r.county_code): int(r.population) for r in population.itertuples()}
    truth = {} if true_sizes is None else {
        (int(r.survey_year), r.respondent_type, r.question_code, r.county_code): int(r.n_true)
        for r in true_sizes.itertuples()}
    out: list[dict] = []
    keys = sorted(set(map(tuple, summary[["survey_year", "respondent_type"]].drop_duplicates().values))
                  | set(map(tuple, responded[["survey_year", "respondent_type"]].drop_duplicates().values)))
    for year, rtype in keys:
        s = summary[(summary.survey_year == year) & (summary.respondent_type == rtype)]
        r = responded[(responded.survey_year == year) & (responded.respondent_type == rtype)]
        out.extend(_audit_type(int(year), rtype, s, r, pop, truth, rule))
    return pd.DataFrame(out, columns=RESULT_COLUMNS)


def _audit_type(year: int, rtype: str, summary: pd.DataFrame, responded: pd.DataFrame, pop: dict,
                truth: dict, rule: Rule) -> list[dict]:
    resp_hidden = responded[responded.n_responded.isna()]
    # Hidden response counts couple every question of the year and type; otherwise each question
    # is its own linear programme.
    blocks = [b for _, b in summary.groupby("question_code", sort=True)]
    if resp_hidden.empty:
        systems = [[b] for b in blocks if b["is_suppressed"].any()]
    else:
        systems = [blocks]
    found: list[dict] = []
    done_resp = False
    for system in systems:
        found.extend(_audit_system(year, rtype, system, responded, pop, truth, rule,
                                   with_responses=not done_resp and not resp_hidden.empty))
        done_resp = True
    if not systems and not resp_hidden.empty:
        found.extend(_audit_system(year, rtype, [], responded, pop, truth, rule, with_responses=True))
    return found


def _population(pop: dict, responded: pd.DataFrame, rtype: str, g: str) -> float | None:
    if (rtype, g) in pop:
        return pop[(rtype, g)]
    if g == "00" and pop:
        return sum(v for (t, _), v in pop.items() if t == rtype)
    row = responded[responded.county_code == g]
    if len(row) and pd.notna(row["population"].iloc[0]):
        return float(row["population"].iloc[0])
    return None


def _audit_system(year: int, rtype: str, blocks: list[pd.DataFrame], responded: pd.DataFrame, pop: dict,
                  truth: dict, rule: Rule, with_responses: bool) -> list[dict]:
    m, w = rule.min_respondents, rule.min_width
    lp = _LP()
    resp_known: dict[str, float] = {}
    resp_range: dict[str, tuple[float, float]] = {}
    shown_max: dict[str, float] = {}
    for b in blocks:
        shown = b[(b.county_code != "00") & b.n_respondents.notna()]
        for g, n in shown.groupby("county_code")["n_respondents"].max().items():
            shown_max[g] = max(shown_max.get(g, 0), float(n))
    # response counts: known constants or variables
    for r in responded.itertuples():
        g = r.county_code
        if pd.notna(r.n_responded):
            resp_known[g] = float(r.n_responded)
            continue
        p = _population(pop, responded, rtype, g)
        if g == "00":
            lo, hi = 0.0, p
        elif r.suppression_reason == "primary":
            lo, hi = 1.0, (m - 1 if p is None else min(m - 1, p))
        else:
            lo, hi = max(float(m), shown_max.get(g, 0.0)), p
        resp_range[g] = (lo, hi if hi is not None else math.inf)
        lp.var(("R", g), lo, hi)
    if with_responses and resp_range and "00" in set(responded.county_code):
        row, const = {}, [0.0]
        _add(row, const, lp, ("R", "00"), resp_known.get("00"), -1.0)
        for g in responded.county_code:
            if g != "00":
                _add(row, const, lp, ("R", g), resp_known.get(g))
        lp.eq.append((row, -const[0]))

    cells: list[tuple] = []
    sizes: dict[tuple, float] = {}
    for b in blocks:
        q = b["question_code"].iloc[0]
        single = (b["question_type"] == "single").all()
        groups = sorted(b["county_code"].unique())
        options = sorted(b["answer_code"].unique())
        for g, rows in b.groupby("county_code"):
            n = rows["n_respondents"].iloc[0]
            if pd.notna(n):
                sizes[(q, g)] = float(n)
                continue
            reason = rows["suppression_reason"].iloc[0]
            caps = [c for c in (_population(pop, responded, rtype, g), resp_known.get(g)) if c is not None]
            lo, hi = 1.0, (min(caps) if caps else None)
            if reason == "primary":
                hi = m - 1 if hi is None else min(hi, m - 1)
            elif reason == "secondary" and g != "00":
                lo = float(m)
            i = lp.var(("N", q, g), lo, hi)
            if ("R", g) in lp.names:  # the group answered the question, so it responded
                lp.ub.append(({i: 1.0, lp.names[("R", g)]: -1.0}, 0.0))
        known_x = {(r.county_code, r.answer_code): r.n_answer for r in b.itertuples() if pd.notna(r.n_answer)}
        for r in b.itertuples():
            if pd.isna(r.n_answer):
                lp.var(("x", q, r.county_code, r.answer_code), 0.0, None)
                cells.append((q, r.county_code, r.answer_code))
        counties = [g for g in groups if g != "00"]
        if "00" in groups:
            for a in [*options, None]:  # counties add up to the national row (None: group sizes)
                row, const = {}, [0.0]
                for g, coef in [("00", -1.0), *[(g, 1.0) for g in counties]]:
                    if a is None:
                        _add(row, const, lp, ("N", q, g), sizes.get((q, g)), coef)
                    else:
                        _add(row, const, lp, ("x", q, g, a), known_x.get((g, a), 0), coef)
                lp.eq.append((row, -const[0]))
        for g in groups:
            total, tconst = {}, [0.0]
            for a in options:
                _add(total, tconst, lp, ("x", q, g, a), known_x.get((g, a), 0))
                if ("x", q, g, a) in lp.names:  # cell <= group size
                    row, const = {lp.names[("x", q, g, a)]: 1.0}, [0.0]
                    _add(row, const, lp, ("N", q, g), sizes.get((q, g)), -1.0)
                    lp.ub.append((row, -const[0]))
            _add(total, tconst, lp, ("N", q, g), sizes.get((q, g)), -1.0)
            if single:
                lp.eq.append((total, -tconst[0]))
            else:  # every respondent chose at least one option: sum of cells >= size
                lp.ub.append(({k: -v for k, v in total.items()}, tconst[0]))

    found = []

    def solve(name: tuple) -> tuple[int, float]:
        try:
            lo, hi = lp.solve_range(lp.names[name])
        except RuntimeError as e:
            raise RuntimeError(f"LP for {year} {rtype} {name}: {e}") from None
        return math.ceil(lo - 1e-6), (math.inf if math.isinf(hi) else math.floor(hi + 1e-6))

    national = {(b["question_code"].iloc[0], r.answer_code): (float(r.n_answer), float(r.n_respondents))
                for b in blocks for r in b[(b.county_code == "00") & b.n_answer.notna()].itertuples()}
    size_max: dict[tuple, float] = {}
    lp.probe(min(8, len(cells)))
    def national_cap(q, g, a) -> float:
        if g != "00" and (q, a) in national:
            x, n = national[(q, a)]
            return min(x, n - x)
        return math.inf

    for (q, g, a) in cells:
        i = lp.names[("x", q, g, a)]
        seen = lp.witnessed(i)
        # The most the rule can ask of this cell, before any solving: w, the group's largest size
        # by its bounds, and what the national row leaves.
        n_cap = sizes.get((q, g), lp.bounds[lp.names[("N", q, g)]][1] if ("N", q, g) in lp.names else None)
        most = min(w, math.inf if n_cap is None else n_cap, national_cap(q, g, a))
        if seen is not None and seen[1] - seen[0] >= most:
            # Already proven wide enough by solutions found for other cells; the reported bounds
            # are then those witnesses, inside the true range.
            lower, upper, exact = seen[0], seen[1], False
        else:
            lower, upper = solve(("x", q, g, a))
            exact = True
        if (q, g) not in size_max and exact:
            if (q, g) in sizes:
                size_max[(q, g)] = sizes[(q, g)]
            else:
                n_seen = lp.witnessed(lp.names[("N", q, g)])
                size_max[(q, g)] = (n_seen[1] if n_seen is not None and n_seen[1] >= w
                                    else solve(("N", q, g))[1])
        n_max = truth.get((year, rtype, q, g), size_max.get((q, g), n_cap if n_cap is not None else w))
        required = rule_required = min(w, n_max)
        # What the shown national row itself says (e.g. nobody in the country chose a) is
        # published on purpose; a county cell need not be more uncertain than that.
        required = min(required, national_cap(q, g, a))
        found.append({"kind": "answer", "survey_year": year, "respondent_type": rtype, "question_code": q,
                      "county_code": g, "answer_code": int(a), "lower": lower, "upper": upper,
                      "width": upper - lower, "required": int(required), "exposed": upper - lower < required,
                      "national_exception": required < rule_required, "exact": exact})
    if with_responses:
        for g, (lo, hi) in resp_range.items():
            lower, upper = solve(("R", g))
            required = 0  # a group size: public in the intruder model, reported only
            found.append({"kind": "responded", "survey_year": year, "respondent_type": rtype,
                          "question_code": None, "county_code": g, "answer_code": None, "lower": lower,
                          "upper": upper, "width": upper - lower, "required": int(required),
                          "exposed": upper - lower < required, "national_exception": False, "exact": True})
    return found


# ------------------------------------------------------------------------ the published warehouse


@dataclass
class AuditResult:
    warehouse: Path
    cells: pd.DataFrame
    seconds: float
    hidden_groups: int = 0
    exempt_national: int = 0
    intruder: str = "utifrån / from the outside"

    @property
    def exposed(self) -> pd.DataFrame:
        return self.cells[self.cells["exposed"]]

    @property
    def ok(self) -> bool:
        return self.exposed.empty

    def describe(self, limit: int = 20) -> list[str]:
        c = self.cells
        resp = c[c.kind == "responded"]
        lines = [f"{self.warehouse} ({self.intruder}): {int((c.kind == 'answer').sum())} dolda svarsantal / "
                 f"hidden answer counts granskade / audited på / in {self.seconds:.1f} s; {self.exempt_national} "
                 "undantag / exceptions: 'nollor som riksraden visar' / zeros implied by a national total. "
                 f"{len(resp)} dolda antal svarande / hidden response counts (gruppstorlekar, inte hemliga / "
                 f"group sizes, not secret), varav / of which {int((resp.width == 0).sum())} kan räknas fram "
                 "exakt / derivable exactly."]
        if self.ok:
            lines.append("GODKÄND / PASSED: inget dolt tal är smalare än regeln / no hidden count is narrower "
                         "than the rule.")
            return lines
        lines.append(f"UNDERKÄND / FAILED: {len(self.exposed)} dolda tal är smalare än regeln / hidden counts "
                     "narrower than the rule:")
        for r in self.exposed.head(limit).itertuples():
            where = (f"fråga/question {r.question_code}, svar/answer {int(r.answer_code)}"
                     if r.kind == "answer" else "antal svarande / response count")
            lines.append(f"  {r.survey_year} {r.respondent_type} län/county {r.county_code} {where}: "
                         f"[{r.lower}, {r.upper}], bredd/width {r.width} < {r.required}")
        if len(self.exposed) > limit:
            lines.append(f"  ... och {len(self.exposed) - limit} till / and {len(self.exposed) - limit} more")
        return lines


def audit_warehouse(path: Path, rule: Rule | None = None) -> AuditResult:
    """Audit a published warehouse file alone. Raises AuditInputError when it cannot be read."""
    import duckdb

    path = Path(path)
    if not path.is_file():
        raise AuditInputError(f"{path}: ingen fil / no such file")
    t0 = time.perf_counter()
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            summary, responded = read_published(con)
            population = population_from_reference(con)
    except duckdb.Error as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise AuditInputError(f"{path}: kan inte läsas som publicerat lager / cannot be read as a "
                              f"published warehouse: {first}") from None
    cells = audit(summary, responded, rule=rule or Rule.from_settings(), population=population)
    exempt = int(cells["national_exception"].sum()) if len(cells) else 0
    return AuditResult(path, cells, time.perf_counter() - t0,
                       hidden_groups=int(summary.loc[summary.is_suppressed].groupby(
                           ["survey_year", "respondent_type", "question_code", "county_code"]).ngroups),
                       exempt_national=exempt)


def true_sizes_from(con) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every group's size and every län's response count, from a build's restricted answers (what
    the model's intruder may know). Response counts are respondents with any counted answer."""
    sizes = con.execute("""
        select survey_year, respondent_type, question_code, coalesce(county_code, '00') as county_code,
            count(distinct respondent_code) as n_true
        from restricted.fct_survey_answer
        where question_type in ('single', 'multi')
        group by grouping sets ((survey_year, respondent_type, question_code, county_code),
                                (survey_year, respondent_type, question_code))""").df()
    responded = con.execute("""
        select survey_year, respondent_type, coalesce(county_code, '00') as county_code,
            count(distinct respondent_code) as n_true
        from restricted.fct_survey_answer
        group by grouping sets ((survey_year, respondent_type, county_code), (survey_year, respondent_type))""").df()
    return sizes, responded


def check_before_publish(candidate: Path, settings=None) -> tuple[AuditResult, AuditResult]:
    """The nightly stage: audit the copy that would be published (marts and reference only) from
    the outside, and the same tables against an intruder who knows every group size (read from the
    build's restricted answers, which are never published)."""
    import duckdb

    from folkhalsa.warehouse import discard, published_copy

    rule = Rule.from_settings(settings)
    public = published_copy(Path(candidate))
    try:
        outside = audit_warehouse(public, rule)
    finally:
        discard(public)
    t0 = time.perf_counter()
    try:
        with duckdb.connect(str(candidate), read_only=True) as con:
            summary, responded = read_published(con)
            population = population_from_reference(con)
            sizes, counts = true_sizes_from(con)
    except duckdb.Error as e:
        raise AuditInputError(f"{candidate}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    cells = audit(summary, responded, sizes, rule, population, counts)
    known = AuditResult(Path(candidate), cells, time.perf_counter() - t0,
                        exempt_national=int(cells["national_exception"].sum()) if len(cells) else 0,
                        intruder="gruppstorlekar kända / group sizes known")
    return outside, known


def findings_before_publish(candidate: Path, settings=None) -> tuple[AuditResult | None, list]:
    """The nightly stage's check: audit what would be published; a hidden count narrower than the
    rule, or an audit that cannot run, is one critical Finding (it blocks publishing and alerts)."""
    from folkhalsa.quality import Finding, finding_key

    dataset = "marts.mart_survey_summary"
    try:
        outside, known = check_before_publish(candidate, settings)
    except (AuditInputError, RuntimeError) as e:
        return None, [Finding(key=finding_key("disclosure", "audit_runs", dataset), check="audit_runs",
                              dataset=dataset, severity="critical", observed=str(e),
                              expected="röjandegranskningen kan köras / the disclosure audit runs",
                              message="Röjandegranskningen kunde inte köras",
                              message_en="The disclosure audit could not run")]
    result = outside if not outside.ok else known
    result.seconds = outside.seconds + known.seconds
    if outside.ok and known.ok:
        return result, []
    exposed = result.exposed
    named = f"{result.intruder}: " + "; ".join(line.strip() for line in result.describe(limit=5)[2:7])
    return result, [Finding(
        key=finding_key("disclosure", "min_interval_width", dataset), check="min_interval_width",
        dataset=dataset, severity="critical", observed=named, rows_affected=len(exposed),
        expected="varje dolt tal minst så brett som regeln / every hidden count at least as wide as the rule",
        message=f"{len(exposed)} dolda tal i enkättabellerna kan räknas fram för snävt (röjanderisk)",
        message_en=f"{len(exposed)} hidden survey counts can be bounded too tightly (disclosure risk)")]


def audit_detail(result: AuditResult | None, found: list) -> str:
    """One line for the run summary's stage table."""
    if result is None:
        return found[0].observed if found else ""
    return (f"{len(result.cells)} dolda tal / hidden counts, {len(result.exposed)} för snäva / too narrow, "
            f"{result.seconds:.1f} s")
