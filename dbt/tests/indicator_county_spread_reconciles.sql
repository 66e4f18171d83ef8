-- The county spread counts every county row of the assessment exactly once (better + similar + worse +
-- not compared = counties), and its lowest and highest values are the assessment's own extremes.
with counties as (
    select report_year, indicator_code, sex, count(*) as n,
           min(latest_value) as lowest, max(latest_value) as highest
    from {{ ref('mart_indicator_assessment') }}
    where region_code <> '00'
    group by report_year, indicator_code, sex
)

select s.report_year, s.indicator_code, s.sex
from {{ ref('mart_indicator_county_spread') }} as s
full join counties as c using (report_year, indicator_code, sex)
where s.county_count is distinct from c.n
   or s.counties_better + s.counties_similar + s.counties_worse + s.counties_not_compared <> s.county_count
   or s.lowest_value is distinct from c.lowest
   or s.highest_value is distinct from c.highest
   or s.county_count > 21
