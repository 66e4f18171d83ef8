-- The county spread counts every county row of the assessment exactly once (better + similar + worse +
-- not compared = counties), and its lowest and highest values are the assessment's own extremes. A row of
-- a kommun-only indicator (value_basis 'median av kommunvärden') reconciles with the county rows of
-- mart_indicator_kommun_aggregate instead, and compares no county with riket.
with counties as (
    select report_year, indicator_code, sex, 'källans värde' as value_basis, count(*) as n,
           min(latest_value) as lowest, max(latest_value) as highest
    from {{ ref('mart_indicator_assessment') }}
    where region_code <> '00'
    group by report_year, indicator_code, sex
    union all
    select report_year, indicator_code, 'T', 'median av kommunvärden', count(*), min(value), max(value)
    from {{ ref('mart_indicator_kommun_aggregate') }}
    where region_code <> '00'
    group by report_year, indicator_code
)

select s.report_year, s.indicator_code, s.sex
from {{ ref('mart_indicator_county_spread') }} as s
full join counties as c using (report_year, indicator_code, sex, value_basis)
where s.county_count is distinct from c.n
   or s.counties_better + s.counties_similar + s.counties_worse + s.counties_not_compared <> s.county_count
   or s.lowest_value is distinct from c.lowest
   or s.highest_value is distinct from c.highest
   or s.county_count > 21
   or (s.value_basis = 'median av kommunvärden' and s.counties_not_compared <> s.county_count)
