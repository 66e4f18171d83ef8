-- Per report year: actors counted once, by how many målområden each works in (1-8). An actor is one
-- organisation in one county's return (fct_actor.actor_identity). Shares of all actors in the year.
with per_actor as (
    select a.year as report_year, a.actor_identity, count(distinct b.target_area_code) as area_count
    from {{ ref('fct_actor') }} as a
    left join {{ ref('bridge_actor_target_area') }} as b using (actor_key)
    group by all
),

counted as (
    select report_year, area_count, count(*) as actor_count
    from per_actor group by all
)

select
    cast(report_year as integer) as report_year,
    cast(area_count as integer) as target_area_count,
    cast(actor_count as integer) as actor_count,
    cast(sum(actor_count) over (partition by report_year) as integer) as actor_total,
    cast(actor_count / sum(actor_count) over (partition by report_year) as double) as share
from counted
