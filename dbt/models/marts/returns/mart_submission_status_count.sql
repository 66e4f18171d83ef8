-- Number of counties per submission status and year (inlämnad, avvisad, saknas), zeros included.
with statuses as (
    select unnest(['inlämnad', 'avvisad', 'saknas']) as submission_status
),

years as (
    select distinct year from {{ ref('mart_county_scorecard') }}
)

select
    cast(y.year as integer) as year,
    cast(s.submission_status as varchar) as submission_status,
    cast(count(c.county_code) as integer) as county_count
from years as y
cross join statuses as s
left join {{ ref('mart_county_scorecard') }} as c
    on c.year = y.year and c.submission_status = s.submission_status
group by all
