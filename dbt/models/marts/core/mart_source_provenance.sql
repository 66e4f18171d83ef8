-- Per report year and source: when the data was received or retrieved, and how much there is.
-- The report's "Metod och källor" section prints this table as it is.
with years as (
    select unnest({{ var('report_years') }}) as report_year
),

returns as (
    select year as report_year, 'lansrapporter' as source,
           min(received_at) as first_at, max(received_at) as last_at, count(*) as item_count
    from {{ ref('fct_submission_version') }} group by all
),

survey as (
    select survey_year as report_year, 'skr_enkat' as source,
           min(submitted_at) as first_at, max(submitted_at) as last_at,
           count(distinct respondent_code) as item_count
    from {{ ref('fct_survey_answer') }} group by all
),

indicators as (
    -- Indicator snapshots serve every report year.
    select y.report_year, v.source, min(v.retrieved_at) as first_at, max(v.retrieved_at) as last_at,
           count(distinct v.indicator_code) as item_count
    from {{ ref('fct_indicator_value') }} as v cross join years as y
    group by all
),

population as (
    -- SCB's population by education (SII/RII weights) serves every report year; count = regions.
    select y.report_year, 'scb_befolkning' as source, min(p.retrieved_at) as first_at,
           max(p.retrieved_at) as last_at, count(distinct p.region_code) as item_count
    from {{ ref('stg_population__education') }} as p cross join years as y
    group by all
)

select
    cast(report_year as integer) as report_year,
    cast(source as varchar) as source,
    cast(first_at as timestamptz) as first_at,
    cast(last_at as timestamptz) as last_at,
    cast(item_count as integer) as item_count
from (
    select * from returns union all select * from survey union all select * from indicators
    union all select * from population
)
where report_year in (select report_year from years)
