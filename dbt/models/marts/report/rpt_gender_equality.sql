-- Per report year × county (and riket '00') × målområde (0 = all) × answer: activities by their answer
-- about a gender-equality perspective (mart_gender_equality), with the county's name, and whether the
-- year's template asked at all (template_asked: some activity in the year has an answer other than
-- 'ej redovisat').
with asked as (
    select year, bool_or(is_reported and activity_count > 0) as template_asked
    from {{ ref('mart_gender_equality') }}
    group by year
)

select
    cast(g.year as integer) as report_year,
    cast(g.county_code as varchar) as county_code,
    cast(coalesce(c.county_name, 'Riket') as varchar) as county_name,
    cast(g.target_area_code as integer) as target_area_code,
    cast(case when g.target_area_code = 0 then 'Alla målområden'
              else g.target_area_code || '. ' || t.target_area_name_sv end as varchar) as target_area_label,
    cast(g.answer_order as integer) as answer_order,
    cast(g.gender_perspective as varchar) as gender_perspective,
    cast(g.has_perspective as boolean) as has_perspective,
    cast(g.activity_count as integer) as activity_count,
    cast(g.activity_total as integer) as activity_total,
    cast(g.share as double) as share,
    cast(a.template_asked as boolean) as template_asked
from {{ ref('mart_gender_equality') }} as g
inner join asked as a using (year)
left join {{ ref('dim_county') }} as c using (county_code)
left join {{ ref('dim_target_area') }} as t using (target_area_code)
