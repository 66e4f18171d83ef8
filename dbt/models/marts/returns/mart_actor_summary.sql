-- Actors per reporting year × county × type × level, with every total: county_code '00' is all counties
-- (riket), and actor_type or actor_level 'Alla' is all types or all levels. The report's actor map reads
-- its per-county tables and totals from here.
select
    cast(year as integer) as year,
    cast(case when grouping(county_code) = 1 then '00' else county_code end as varchar) as county_code,
    cast(case when grouping(actor_type) = 1 then 'Alla' else actor_type end as varchar) as actor_type,
    cast(case when grouping(actor_level) = 1 then 'Alla' else actor_level end as varchar) as actor_level,
    cast(count(*) as integer) as actor_count
from {{ ref('fct_actor') }}
group by year, cube (county_code, actor_type, actor_level)
