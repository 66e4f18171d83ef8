-- Orders the versions of each county's return per year. The current version is the latest
-- accepted one: by submission date, then by when it was received, then by file name.
with submissions as (
    select * from {{ ref('stg_returns__submissions') }}
    where county_code is not null and year is not null
),

ranked as (
    select
        *,
        row_number() over (
            partition by county_code, year
            order by submitted_on, received_at, source_file, batch_id
        ) as version_number,
        case when status = 'accepted' then row_number() over (
            partition by county_code, year, status
            order by submitted_on desc nulls last, received_at desc, source_file desc, batch_id desc
        ) end as accepted_rank_desc
    from submissions
)

select
    * exclude (accepted_rank_desc),
    coalesce(accepted_rank_desc = 1, false) as is_current
from ranked
