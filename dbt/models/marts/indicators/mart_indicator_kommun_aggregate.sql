-- For indicators the source publishes for kommuner only (county_value 'none', e.g. 4.4, a Kolada type K
-- KPI): a stated aggregate of the kommun values for each county and riket, so a table need not show
-- '..' where the warehouse holds the kommun values. The aggregate is the median of the kommun values
-- (unweighted: every kommun counts once) with its range (lowest and highest kommun) and the number of
-- kommuner, per report year, from the latest period with kommun values up to the report year. It is an
-- aggregate made here, never the publisher's figure, and `aggregate_method` says so on every row.
with kommun as (
    select m.*
    from {{ ref('mart_municipality_indicator') }} as m
    inner join {{ ref('dim_indicator') }} as i
        on i.indicator_code = m.indicator_code and i.county_value = 'none'
    where m.value is not null
),

by_area as (
    select report_year, indicator_code, county_code as region_code, period, period_end_year,
        median(value) as value, min(value) as min_value, max(value) as max_value, count(*) as n_kommuner
    from kommun
    group by report_year, indicator_code, county_code, period, period_end_year
    union all
    select report_year, indicator_code, '00' as region_code, period, period_end_year,
        median(value), min(value), max(value), count(*)
    from kommun
    group by report_year, indicator_code, period, period_end_year
)

select
    cast(report_year as integer) as report_year,
    cast(indicator_code as varchar) as indicator_code,
    cast(region_code as varchar) as region_code,
    cast(period as varchar) as period,
    cast(period_end_year as integer) as period_end_year,
    cast(value as double) as value,
    cast(min_value as double) as min_value,
    cast(max_value as double) as max_value,
    cast(n_kommuner as integer) as n_kommuner,
    cast('median av kommunvärden (min–max), inte källans länsvärde' as varchar) as aggregate_method
from by_area
