-- Per report year: the versions of counties that sent more than one or had one rejected
-- (fct_submission_version). Dated by the return's own submission date, not by when the pipeline read it.
with flagged as (
    select county_code, year
    from {{ ref('fct_submission_version') }}
    group by all
    having count(*) > 1 or bool_or(status = 'rejected')
)

select
    cast(v.year as integer) as report_year,
    cast(v.county_code as varchar) as county_code,
    cast(c.county_name as varchar) as county_name,
    cast(v.version_number as integer) as version_number,
    cast(v.status as varchar) as status,
    cast(v.is_current as boolean) as is_current,
    cast(v.submitted_on as date) as submitted_on,
    cast(v.error_count as integer) as error_count,
    cast(v.warning_count as integer) as warning_count
from {{ ref('fct_submission_version') }} as v
inner join flagged as f using (county_code, year)
left join {{ ref('dim_county') }} as c using (county_code)
