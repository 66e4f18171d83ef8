-- Per report year × county: the county's return (mart_county_scorecard), submission date from the return
-- itself (submitted_on), with the county's name.
select
    cast(s.year as integer) as report_year,
    cast(s.county_code as varchar) as county_code,
    cast(c.county_name as varchar) as county_name,
    cast(s.submission_status as varchar) as submission_status,
    cast(s.submitted_on as date) as submitted_on,
    cast(s.deadline as date) as deadline,
    cast(s.is_on_time as boolean) as is_on_time,
    cast(s.version_count as integer) as version_count,
    cast(s.rejected_versions as integer) as rejected_versions,
    cast(s.warning_count as integer) as warning_count,
    cast(s.completeness_pct as double) as completeness_pct,
    cast(s.target_areas_covered as integer) as target_areas_covered,
    cast(s.review_status as varchar) as review_status
from {{ ref('mart_county_scorecard') }} as s
inner join {{ ref('dim_county') }} as c using (county_code)
