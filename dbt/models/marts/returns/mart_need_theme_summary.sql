-- Per reporting year × målområde × theme: the number of needs raised, and the theme's rank within the
-- målområde (1 = most needs; ties by theme name), so the report can list the main themes.
with counted as (
    select year, target_area_code, theme, count(*) as need_count
    from {{ ref('fct_need') }}
    group by year, target_area_code, theme
)

select
    cast(year as integer) as year,
    cast(target_area_code as integer) as target_area_code,
    cast(theme as varchar) as theme,
    cast(need_count as integer) as need_count,
    cast(row_number() over (
        partition by year, target_area_code order by need_count desc, theme
    ) as integer) as theme_rank
from counted
