-- How gender equality was considered in the counties' activities: per reporting year × county ×
-- målområde × answer, zeros included, with every total. county_code '00' is riket and
-- target_area_code 0 is all målområden. 'ej redovisat' (a return on a template before 2024.1) is an
-- answer of its own, so the answers of a cell add up to its activities.
with years as (
    select unnest({{ var('report_years') }}) as year
),

counties as (
    select county_code from {{ ref('dim_county') }}
    union all
    select '00'
),

areas as (
    select target_area_code from {{ ref('dim_target_area') }}
    union all
    select 0
),

answers as (
    select answer_order, gender_perspective, has_perspective, is_reported
    from {{ ref('ref_gender_perspectives') }}
),

counts as (
    select
        year,
        case when grouping(county_code) = 1 then '00' else county_code end as county_code,
        case when grouping(target_area_code) = 1 then 0 else target_area_code end as target_area_code,
        gender_perspective,
        count(*) as activity_count
    from {{ ref('fct_activity') }}
    group by year, gender_perspective, cube (county_code, target_area_code)
),

grid as (
    select y.year, c.county_code, a.target_area_code, ans.*
    from years as y
    cross join counties as c
    cross join areas as a
    cross join answers as ans
),

filled as (
    select g.*, coalesce(n.activity_count, 0) as activity_count
    from grid as g
    left join counts as n using (year, county_code, target_area_code, gender_perspective)
),

totals as (
    select *, sum(activity_count) over (partition by year, county_code, target_area_code) as activity_total
    from filled
)

select
    cast(year as integer) as year,
    cast(county_code as varchar) as county_code,
    cast(target_area_code as integer) as target_area_code,
    cast(answer_order as integer) as answer_order,
    cast(gender_perspective as varchar) as gender_perspective,
    cast(has_perspective as boolean) as has_perspective,
    cast(is_reported as boolean) as is_reported,
    cast(activity_count as integer) as activity_count,
    cast(activity_total as integer) as activity_total,
    cast(activity_count / nullif(activity_total, 0) as double) as share
from totals
