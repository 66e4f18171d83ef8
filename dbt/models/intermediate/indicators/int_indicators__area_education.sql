-- Each area's population 25-64 (women and men) and its share with post-secondary education
-- (eftergymnasial of the three groups), per year, from SCB UF0506B. The areas are the 21 län
-- (two-digit codes) and, where they are landed, the 290 kommuner (four-digit codes). Riket is not an area.
with population as (
    select region_code, year, education, sum(population) as population
    from {{ ref('stg_population__education') }}
    where region_code <> '00'
    group by region_code, year, education
),

areas as (
    select
        region_code as area_code,
        case when length(region_code) = 4 then 'municipality' else 'county' end as area_level,
        year,
        sum(population) as population,
        sum(population) filter (where education = 'eftergymnasial') as population_post_secondary,
        count(*) as n_groups
    from population
    where education in ('förgymnasial', 'gymnasial', 'eftergymnasial')
    group by region_code, year
)

select
    cast(area_code as varchar) as area_code,
    cast(area_level as varchar) as area_level,
    cast(year as integer) as year,
    cast(population as bigint) as population,
    cast(coalesce(population_post_secondary, 0) as bigint) as population_post_secondary,
    cast(coalesce(population_post_secondary, 0) / population as double) as share_post_secondary
from areas
where n_groups = 3 and population > 0
