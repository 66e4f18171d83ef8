-- Per county and reporting year: submission status, timeliness, completeness, warnings and rejections.
with years as (
    select unnest({{ var('report_years') }}) as year
),

grid as (
    select c.county_code, y.year from {{ ref('dim_county') }} as c cross join years as y
),

versions as (
    select
        county_code, year,
        count(*) as version_count,
        count(*) filter (where status = 'rejected') as rejected_count
    from {{ ref('int_returns__versions') }}
    group by all
),

parts as (
    select county_code, year, 'actors' as part from {{ ref('fct_actor') }}
    union select county_code, year, 'activities' from {{ ref('fct_activity') }}
    union select county_code, year, 'needs' from {{ ref('fct_need') }}
    union select county_code, year, 'finance' from {{ ref('fct_grant') }}
),

completeness as (
    select county_code, year, count(distinct part) as parts_filled from parts group by all
),

gender as (
    select county_code, year, sum(share) filter (where has_perspective) as gender_perspective_share
    from {{ ref('mart_gender_equality') }}
    where target_area_code = 0 and county_code <> '00'
    group by all
),

coverage as (
    select county_code, year, count(*) filter (where is_covered) as target_areas_covered
    from {{ ref('mart_national_picture') }} group by all
)

select
    cast(g.county_code as varchar) as county_code,
    cast(g.year as integer) as year,
    cast(case when cur.batch_id is not null then 'inlämnad'
              when coalesce(v.rejected_count, 0) > 0 then 'avvisad'
              else 'saknas' end as varchar) as submission_status,
    cast(cur.submitted_on as date) as submitted_on,
    cast({{ return_deadline('g.year') }} as date) as deadline,
    cast(case when cur.submitted_on is null then null
              else cur.submitted_on <= {{ return_deadline('g.year') }}
         end as boolean) as is_on_time,
    cast(cur.source_file as varchar) as current_version_file,
    cast(coalesce(v.version_count, 0) as integer) as version_count,
    cast(coalesce(v.rejected_count, 0) as integer) as rejected_versions,
    cast(case when rv.is_under_review then 'under granskning' end as varchar) as review_status,
    cast(coalesce(cur.warning_count, 0) as integer) as warning_count,
    cast(coalesce(cp.parts_filled, 0) as integer) as parts_filled,
    cast(round(100.0 * coalesce(cp.parts_filled, 0) / 4, 1) as double) as completeness_pct,
    cast(coalesce(cov.target_areas_covered, 0) as integer) as target_areas_covered,
    cast(ge.gender_perspective_share as double) as gender_perspective_share
from grid as g
left join {{ ref('int_returns__current') }} as cur using (county_code, year)
left join versions as v using (county_code, year)
left join completeness as cp using (county_code, year)
left join coverage as cov using (county_code, year)
left join {{ ref('mart_grant_reconciliation') }} as rv using (county_code, year)
left join gender as ge using (county_code, year)
