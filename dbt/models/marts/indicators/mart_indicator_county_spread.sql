-- Per report year × indicator × sex: how the 21 counties spread around riket. Counts of counties by the
-- assessment's comparison with riket, and the lowest and highest county value (ties: lowest länskod).
-- value_basis: 'källans värde' (the assessment's county values) or, for an indicator with kommun values
-- only (4.4), 'median av kommunvärden': each county's stated aggregate (mart_indicator_kommun_aggregate,
-- women and men together), an aggregate made here that is never compared with riket.
with assessed as (
    select report_year, indicator_code, sex, region_code, latest_value, comparison_to_national,
        comparison_method, 'källans värde' as value_basis
    from {{ ref('mart_indicator_assessment') }}
    where region_code <> '00'
),

counties as (
    select * from assessed
    union all
    select g.report_year, g.indicator_code, 'T' as sex, g.region_code, g.value as latest_value,
        null as comparison_to_national, null as comparison_method, 'median av kommunvärden' as value_basis
    from {{ ref('mart_indicator_kommun_aggregate') }} as g
    where g.region_code <> '00'
      and not exists (
          select 1 from assessed as a
          where a.report_year = g.report_year and a.indicator_code = g.indicator_code and a.sex = 'T'
      )
),

counts as (
    select
        report_year,
        indicator_code,
        sex,
        max(value_basis) as value_basis,
        count(*) as county_count,
        count(latest_value) as counties_with_value,
        count(*) filter (where comparison_to_national like 'bättre%') as counties_better,
        count(*) filter (where comparison_to_national like 'likvärdig%') as counties_similar,
        count(*) filter (where comparison_to_national like 'sämre%') as counties_worse,
        count(*) filter (where comparison_to_national is null) as counties_not_compared,
        -- Of the compared counties, how many by the threshold rule (no CIs) rather than a test (issue 26).
        count(*) filter (where comparison_to_national is not null and comparison_method like 'tröskel%')
            as counties_by_threshold
    from counties
    group by report_year, indicator_code, sex
),

lowest as (
    select report_year, indicator_code, sex, region_code, latest_value
    from counties
    where latest_value is not null
    qualify row_number() over (
        partition by report_year, indicator_code, sex order by latest_value, region_code
    ) = 1
),

highest as (
    select report_year, indicator_code, sex, region_code, latest_value
    from counties
    where latest_value is not null
    qualify row_number() over (
        partition by report_year, indicator_code, sex order by latest_value desc, region_code
    ) = 1
)

select
    cast(c.report_year as integer) as report_year,
    cast(c.indicator_code as varchar) as indicator_code,
    cast(c.sex as varchar) as sex,
    cast(c.value_basis as varchar) as value_basis,
    cast(c.county_count as integer) as county_count,
    cast(c.counties_with_value as integer) as counties_with_value,
    cast(c.counties_better as integer) as counties_better,
    cast(c.counties_similar as integer) as counties_similar,
    cast(c.counties_worse as integer) as counties_worse,
    cast(c.counties_not_compared as integer) as counties_not_compared,
    cast(c.counties_by_threshold as integer) as counties_by_threshold,
    cast(lo.latest_value as double) as lowest_value,
    cast(lo.region_code as varchar) as lowest_county_code,
    cast(hi.latest_value as double) as highest_value,
    cast(hi.region_code as varchar) as highest_county_code
from counts as c
left join lowest as lo using (report_year, indicator_code, sex)
left join highest as hi using (report_year, indicator_code, sex)
