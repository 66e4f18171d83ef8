-- Per report year × county × målområde (21 × 8, zeros included): activities, actors and needs, for the
-- national picture's three tables and heatmaps. A county without an accepted return has has_return false.
select
    cast(p.year as integer) as report_year,
    cast(p.county_code as varchar) as county_code,
    cast(c.county_name as varchar) as county_name,
    cast(p.target_area_code as integer) as target_area_code,
    cast(p.activity_count as integer) as activity_count,
    cast(p.actor_count as integer) as actor_count,
    cast(p.need_count as integer) as need_count,
    cast(p.has_return as boolean) as has_return,
    cast(p.is_covered as boolean) as is_covered
from {{ ref('mart_national_picture') }} as p
inner join {{ ref('dim_county') }} as c using (county_code)
