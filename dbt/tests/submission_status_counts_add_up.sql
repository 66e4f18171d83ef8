-- Every year's status counts add up to the 21 counties.
select year, sum(county_count) as n
from {{ ref('mart_submission_status_count') }}
group by year
having sum(county_count) <> 21
