-- Per report year: up to three descriptions of how gender equality was considered, from the texts that
-- passed the privacy screen at landing (mart_gender_equality_example), with county and målområde names.
select
    cast(e.year as integer) as report_year,
    cast(e.example_rank as integer) as example_rank,
    cast(c.county_name as varchar) as county_name,
    cast(e.target_area_code || '. ' || t.target_area_name_sv as varchar) as target_area_label,
    cast(e.gender_perspective as varchar) as gender_perspective,
    cast(e.how_text as varchar) as how_text,
    cast(e.is_marked_synthetic as boolean) as is_marked_synthetic
from {{ ref('mart_gender_equality_example') }} as e
left join {{ ref('dim_county') }} as c using (county_code)
left join {{ ref('dim_target_area') }} as t using (target_area_code)
where e.example_rank <= 3
