-- The three ordered education groups for SII/RII, from most to least disadvantaged, with each group's
-- share of the population (ages per the population catalogue, women and men together) per region and
-- year, from SCB's population by education level. Only complete triples are kept; a region and period
-- without them falls back to equal weights in mart_equity_gap, which says so in sii_rii_method.
with ranks as (
    select * from (
        values ('förgymnasial', 1), ('gymnasial', 2), ('eftergymnasial', 3)
    ) as groups (education, education_rank)
),

population as (
    select region_code, year, education, sum(population) as population
    from {{ ref('stg_population__education') }}
    where length(region_code) = 2  -- riket and län; kommuner serve the area gradient only
    group by region_code, year, education
),

shares as (
    select
        p.region_code,
        p.year,
        r.education,
        r.education_rank,
        p.population,
        p.population / sum(p.population) over (partition by p.region_code, p.year) as population_share,
        count(*) over (partition by p.region_code, p.year) as n_groups
    from population as p
    inner join ranks as r on r.education = p.education
)

select
    cast(region_code as varchar) as region_code,
    cast(year as integer) as year,
    cast(education as varchar) as education,
    cast(education_rank as integer) as education_rank,
    cast(population as bigint) as population,
    cast(population_share as double) as population_share,
    cast('befolkningsandelar' as varchar) as weighting
from shares
where n_groups = 3 and population_share is not null
