-- Per report year × målområde: counties with activities (of 21), national counts, and the names of the
-- counties with a return but no activity in the målområde.
with missing as (
    select p.year, p.target_area_code,
           string_agg(c.county_name, ', ' order by p.county_code) as counties_without
    from {{ ref('mart_national_picture') }} as p
    inner join {{ ref('dim_county') }} as c using (county_code)
    where p.has_return and not p.is_covered
    group by all
)

select
    cast(s.year as integer) as report_year,
    cast(s.target_area_code as integer) as target_area_code,
    cast(s.target_area_code || '. ' || t.target_area_name_sv as varchar) as target_area_label,
    cast(s.county_count as integer) as county_count,
    cast(s.counties_covered as integer) as counties_covered,
    cast(s.activity_count as integer) as activity_count,
    cast(s.actor_count as integer) as actor_count,
    cast(s.need_count as integer) as need_count,
    cast(m.counties_without as varchar) as counties_without_activities
from {{ ref('mart_target_area_summary') }} as s
inner join {{ ref('dim_target_area') }} as t using (target_area_code)
left join missing as m on m.year = s.year and m.target_area_code = s.target_area_code
