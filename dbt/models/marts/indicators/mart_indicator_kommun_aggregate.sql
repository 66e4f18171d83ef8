-- For indicators the source publishes for kommuner only (county_value 'none', e.g. 4.4, a Kolada type K
-- KPI): a stated aggregate of the kommun values for each county and riket, so a table need not show
-- '..' where the warehouse holds the kommun values. The aggregate is the median of the kommun values
-- (unweighted: every kommun counts once) with its range (lowest and highest kommun) and the number of
-- kommuner, per report year, from the latest period with kommun values up to the report year. Its one
-- definition is int_indicators__kommun_aggregate (every period; the small multiples draw the same rows).
-- It is an aggregate made here, never the publisher's figure, and `aggregate_method` says so on every row.
with years as (
    select unnest({{ var('report_years') }}) as report_year
),

aggregate as (
    select * from {{ ref('int_indicators__kommun_aggregate') }}
),

-- The latest period with any kommun value (riket's row exists for every such period), the same period for
-- every county, as mart_municipality_indicator ranks the kommuner in.
latest as (
    select y.report_year, a.indicator_code, max(a.period_end_year) as period_end_year
    from years as y
    inner join aggregate as a on a.region_code = '00' and a.period_end_year <= y.report_year
    group by y.report_year, a.indicator_code
)

select
    cast(l.report_year as integer) as report_year,
    cast(a.indicator_code as varchar) as indicator_code,
    cast(a.region_code as varchar) as region_code,
    cast(a.period as varchar) as period,
    cast(a.period_end_year as integer) as period_end_year,
    cast(a.value as double) as value,
    cast(a.min_value as double) as min_value,
    cast(a.max_value as double) as max_value,
    cast(a.n_kommuner as integer) as n_kommuner,
    cast('median av kommunvärden (min–max), inte källans länsvärde' as varchar) as aggregate_method
from latest as l
inner join aggregate as a on a.indicator_code = l.indicator_code and a.period_end_year = l.period_end_year
