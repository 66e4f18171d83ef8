-- Per report year × målområde: the activities' costs as the returns state them (fct_activity.cost_sek).
-- Only activities with a stated cost are summed; the count of activities without one is shown beside.
select
    cast(a.year as integer) as report_year,
    cast(a.target_area_code as integer) as target_area_code,
    cast(a.target_area_code || '. ' || t.target_area_name_sv as varchar) as target_area_label,
    cast(count(*) as integer) as activity_count,
    cast(count(a.cost_sek) as integer) as activities_with_cost,
    cast(sum(a.cost_sek) as double) as cost_sek
from {{ ref('fct_activity') }} as a
inner join {{ ref('dim_target_area') }} as t using (target_area_code)
group by all
