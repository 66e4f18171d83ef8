-- The actor summary's totals add up: riket = every actor of the year, and each 'Alla' row is the sum of
-- its parts, over types, over levels and over counties.
with s as (
    select * from {{ ref('mart_actor_summary') }}
),

expected as (
    select year, '00' as county_code, 'Alla' as actor_type, 'Alla' as actor_level, count(*) as n
    from {{ ref('fct_actor') }}
    group by year
    union all
    select year, county_code, 'Alla', actor_level, sum(actor_count)
    from s where actor_type <> 'Alla' group by year, county_code, actor_level
    union all
    select year, county_code, actor_type, 'Alla', sum(actor_count)
    from s where actor_level <> 'Alla' group by year, county_code, actor_type
    union all
    select year, '00', actor_type, actor_level, sum(actor_count)
    from s where county_code <> '00' group by year, actor_type, actor_level
)

select e.*, s.actor_count
from expected as e
left join s using (year, county_code, actor_type, actor_level)
where s.actor_count is distinct from e.n
