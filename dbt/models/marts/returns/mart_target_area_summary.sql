-- Per reporting year × målområde: the national picture summed over the 21 counties. How many counties
-- work on the målområde, and the national numbers of activities, actors and needs in it.
select
    cast(year as integer) as year,
    cast(target_area_code as integer) as target_area_code,
    cast(count(*) as integer) as county_count,
    cast(count(*) filter (where has_return) as integer) as counties_with_return,
    cast(count(*) filter (where is_covered) as integer) as counties_covered,
    cast(count(*) filter (where has_return and not is_covered) as integer) as counties_not_covered,
    cast(sum(activity_count) as integer) as activity_count,
    -- An actor belongs to one county, so the county counts add up to distinct actors.
    cast(sum(actor_count) as integer) as actor_count,
    cast(sum(need_count) as integer) as need_count
from {{ ref('mart_national_picture') }}
group by year, target_area_code
