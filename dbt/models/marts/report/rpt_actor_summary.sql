-- Per report year × county × actor type × level ('Alla' = all): actors (mart_actor_summary), counties
-- only (no riket row), with the county's name.
select
    cast(a.year as integer) as report_year,
    cast(a.county_code as varchar) as county_code,
    cast(c.county_name as varchar) as county_name,
    cast(a.actor_type as varchar) as actor_type,
    cast(a.actor_level as varchar) as actor_level,
    cast(a.actor_count as integer) as actor_count
from {{ ref('mart_actor_summary') }} as a
inner join {{ ref('dim_county') }} as c using (county_code)
