-- The målområde summary adds up to the national picture, and to the facts it counts: activities and
-- needs (each in one målområde) and, per målområde, the needs by theme.
with by_year as (
    select year, sum(activity_count) as activities, sum(actor_count) as actors, sum(need_count) as needs,
           sum(counties_covered) as covered
    from {{ ref('mart_target_area_summary') }}
    group by year
),

picture as (
    select year, sum(activity_count) as activities, sum(actor_count) as actors, sum(need_count) as needs,
           count(*) filter (where is_covered) as covered
    from {{ ref('mart_national_picture') }}
    group by year
),

facts as (
    select p.year,
           (select count(*) from {{ ref('fct_activity') }} as a where a.year = p.year) as activities,
           (select count(*) from {{ ref('fct_need') }} as n where n.year = p.year) as needs
    from picture as p
),

themes as (
    select year, target_area_code, sum(need_count) as needs
    from {{ ref('mart_need_theme_summary') }}
    group by year, target_area_code
)

select 'national picture' as failing, b.year, null as target_area_code
from by_year as b
full join picture as p using (year)
where b.activities is distinct from p.activities or b.actors is distinct from p.actors
   or b.needs is distinct from p.needs or b.covered is distinct from p.covered
union all
select 'facts', b.year, null
from by_year as b
inner join facts as f using (year)
where b.activities <> f.activities or b.needs <> f.needs
union all
select 'need themes', s.year, s.target_area_code
from {{ ref('mart_target_area_summary') }} as s
left join themes as t using (year, target_area_code)
where s.need_count <> coalesce(t.needs, 0)
