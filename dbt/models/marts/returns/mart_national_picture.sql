-- One row per county × målområde × reporting year, zeros included: where counties work, and where no one does.
with years as (
    select unnest({{ var('report_years') }}) as year
),

grid as (
    select c.county_code, t.target_area_code, y.year
    from {{ ref('dim_county') }} as c
    cross join {{ ref('dim_target_area') }} as t
    cross join years as y
),

activities as (
    select county_code, year, target_area_code, count(*) as n
    from {{ ref('fct_activity') }} group by all
),

actors as (
    -- One organisation listed under several ids (same name and kommun) is one actor.
    select a.county_code, a.year, b.target_area_code, count(distinct a.actor_identity) as n
    from {{ ref('fct_actor') }} as a
    inner join {{ ref('bridge_actor_target_area') }} as b using (actor_key)
    group by all
),

needs as (
    select county_code, year, target_area_code, count(*) as n
    from {{ ref('fct_need') }} group by all
),

reported as (
    select county_code, year, true as has_return from {{ ref('int_returns__current') }}
)

select
    cast(g.county_code as varchar) as county_code,
    cast(g.target_area_code as integer) as target_area_code,
    cast(g.year as integer) as year,
    cast(coalesce(act.n, 0) as integer) as activity_count,
    cast(coalesce(ac.n, 0) as integer) as actor_count,
    cast(coalesce(ne.n, 0) as integer) as need_count,
    cast(coalesce(r.has_return, false) as boolean) as has_return,
    cast(coalesce(act.n, 0) > 0 as boolean) as is_covered
from grid as g
left join activities as act using (county_code, year, target_area_code)
left join actors as ac using (county_code, year, target_area_code)
left join needs as ne using (county_code, year, target_area_code)
left join reported as r using (county_code, year)
