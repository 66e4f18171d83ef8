-- Per report year × submission status: number of counties (mart_submission_status_count), non-zero only.
select
    cast(year as integer) as report_year,
    cast(submission_status as varchar) as submission_status,
    cast(county_count as integer) as county_count
from {{ ref('mart_submission_status_count') }}
where county_count > 0
