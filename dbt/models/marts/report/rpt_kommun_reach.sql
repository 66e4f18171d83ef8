-- Per report year × county: how many of the county's kommuner have at least one of the county board's
-- activities (bridge_activity_municipality), and the share. Riket is county_code '00'.
with years as (
    select unnest({{ var('report_years') }}) as report_year
),

kommuner as (
    select county_code, count(*) as kommun_count from {{ ref('dim_municipality') }} group by all
),

reached as (
    select a.year as report_year, m.county_code, count(distinct b.municipality_code) as kommuner_reached
    from {{ ref('fct_activity') }} as a
    inner join {{ ref('bridge_activity_municipality') }} as b using (activity_key)
    inner join {{ ref('dim_municipality') }} as m using (municipality_code)
    where m.county_code = a.county_code
    group by all
),

returns as (
    select year as report_year, county_code from {{ ref('int_returns__current') }}
),

per_county as (
    select y.report_year, c.county_code, c.county_name, k.kommun_count,
           coalesce(r.kommuner_reached, 0) as kommuner_reached,
           ret.county_code is not null as has_return
    from years as y
    cross join {{ ref('dim_county') }} as c
    inner join kommuner as k using (county_code)
    left join reached as r on r.report_year = y.report_year and r.county_code = c.county_code
    left join returns as ret on ret.report_year = y.report_year and ret.county_code = c.county_code
)

select
    cast(report_year as integer) as report_year,
    cast(county_code as varchar) as county_code,
    cast(county_name as varchar) as county_name,
    cast(kommun_count as integer) as kommun_count,
    cast(kommuner_reached as integer) as kommuner_reached,
    cast(kommuner_reached / kommun_count as double) as share_reached,
    cast(has_return as boolean) as has_return
from per_county
union all
select
    cast(report_year as integer),
    cast('00' as varchar),
    cast('Riket' as varchar),
    cast(sum(kommun_count) as integer),
    cast(sum(kommuner_reached) as integer),
    cast(sum(kommuner_reached) / sum(kommun_count) as double),
    cast(bool_and(has_return) as boolean)
from per_county
group by report_year
