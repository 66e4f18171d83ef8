-- mart_gender_equality adds up: for riket and all målområden the answers add up to the year's
-- activities in fct_activity; each cell's answers add up to its activity_total; the counties add
-- up to riket and the målområden to 'all' (0).
with g as (
    select * from {{ ref('mart_gender_equality') }}
),

cells as (
    select year, county_code, target_area_code, sum(activity_count) as answered, min(activity_total) as total,
           max(activity_total) as total_max
    from g group by all
),

facts as (
    select y.year, (select count(*) from {{ ref('fct_activity') }} as a where a.year = y.year) as n
    from (select distinct year from g) as y
),

expected as (
    select year, '00' as county_code, target_area_code, gender_perspective, sum(activity_count) as n
    from g where county_code <> '00' group by all
    union all
    select year, county_code, 0, gender_perspective, sum(activity_count)
    from g where target_area_code <> 0 group by all
)

select 'national total' as failing, f.year, null as county_code, null as target_area_code
from facts as f
inner join cells as c on c.year = f.year and c.county_code = '00' and c.target_area_code = 0
where c.answered <> f.n
union all
select 'cell total', year, county_code, target_area_code
from cells where answered <> total or total <> total_max
union all
select 'sum over ' || case when e.county_code = '00' then 'counties' else 'målområden' end, e.year, e.county_code, e.target_area_code
from expected as e
inner join g using (year, county_code, target_area_code, gender_perspective)
where g.activity_count <> e.n
