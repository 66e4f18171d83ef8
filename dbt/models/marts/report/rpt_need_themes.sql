-- Per report year × målområde: the three most common need themes (mart_need_theme_summary, rank 1-3).
select
    cast(year as integer) as report_year,
    cast(target_area_code as integer) as target_area_code,
    cast(theme_rank as integer) as theme_rank,
    cast(theme as varchar) as theme,
    cast(need_count as integer) as need_count
from {{ ref('mart_need_theme_summary') }}
where theme_rank <= 3
