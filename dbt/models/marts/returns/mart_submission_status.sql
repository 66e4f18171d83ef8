-- Per county and reporting year, the return the county sent last and what became of it: the facts
-- on the status page (data/output/status/index.html). No personal data (contact name and e-mail
-- stop in staging). status: accepted, warnings (accepted with warnings), rejected, pending_review
-- (a valid version held for review, from issue 15's landing), missing (nothing received).
with years as (
    select unnest({{ var('report_years') }}) as year
),

grid as (
    select c.county_code, c.county_name, y.year
    from {{ ref('dim_county') }} as c cross join years as y
),

latest as (
    select
        *,
        row_number() over (
            partition by county_code, year
            order by received_at desc, version_number desc, batch_id desc
        ) as recency
    from {{ ref('int_returns__versions') }}
),

versions as (
    select
        county_code, year,
        count(*) as version_count,
        max(case when is_current then version_number end) as current_version_number
    from {{ ref('int_returns__versions') }}
    group by all
),

notes as (
    select batch_id, count(*) filter (where severity = 'normalised') as normalised_count
    from {{ ref('stg_returns__issues') }}
    group by all
)

select
    cast(g.county_code as varchar) as county_code,
    cast(g.county_name as varchar) as county_name,
    cast(g.year as integer) as year,
    cast(case
        when l.batch_id is null then 'missing'
        when l.status = 'accepted' and coalesce(l.warning_count, 0) > 0 then 'warnings'
        else l.status
    end as varchar) as status,
    cast(l.version_number as integer) as version_number,
    cast(coalesce(v.version_count, 0) as integer) as version_count,
    cast(v.current_version_number as integer) as current_version_number,
    cast(l.received_at as timestamptz) as received_at,
    cast(l.submitted_on as date) as submitted_on,
    cast(l.error_count as integer) as error_count,
    cast(l.warning_count as integer) as warning_count,
    cast(coalesce(n.normalised_count, 0) as integer) as normalised_count,
    cast(l.source_file as varchar) as source_file,
    cast(l.batch_id as varchar) as batch_id,
    cast(case
        when l.status = 'accepted' and coalesce(l.warning_count, 0) = 0 then null
        when l.batch_id is not null
            then regexp_replace(l.source_file, '\.(xlsx|xlsm)$', '', 'i') || '.återkoppling.xlsx'
    end as varchar) as feedback_file
from grid as g
left join latest as l on l.county_code = g.county_code and l.year = g.year and l.recency = 1
left join versions as v on v.county_code = g.county_code and v.year = g.year
left join notes as n on n.batch_id = l.batch_id
