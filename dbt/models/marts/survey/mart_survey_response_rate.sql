{#- Smallest number of respondents shown (the flow passes it from folkhalsa.settings). -#}
{%- set min_respondents = var('survey_min_respondents') -%}
-- Response rate per survey year, county and respondent type, and for the whole country
-- (county_code '00'). The population is every kommun (290) and every region (21, one per län)
-- from the reference seeds. Responded = counted responses, partial ones included; those who did
-- not respond are not respondents and never count as "no" in any answer share.
--
-- Disclosure control (docs/disclosure.md): no count of 1 to {{ min_respondents }} - 1 responses is
-- printed for a län (primary suppression; the row shows its population only), except in a län with
-- a single kommun or region: whether that one member answered is visible anyway, since it has rows
-- in mart_survey_summary or none. Response counts are group sizes, which the intruder model treats
-- as public, so no complementary suppression: `folkhalsa audit-disclosure` reports how narrowly the
-- hidden ones can be derived, and the protection of the answers never relies on them.
with current_exports as (
    select survey_year, batch_id from {{ ref('stg_skr__exports') }} where is_current
),

responses as (
    select r.*
    from {{ ref('stg_skr__respondents') }} as r
    inner join current_exports as e on r.batch_id = e.batch_id
    where r.is_counted
),

population as (
    select cast(county_code as varchar) as county_code, 'kommun' as respondent_type, count(*) as population
    from {{ ref('ref_municipalities') }}
    group by all
    union all
    select cast(code as varchar), 'region', 1
    from {{ ref('ref_counties') }}
),

responded as (
    select
        survey_year,
        county_code,
        respondent_type,
        count(*) as n_responded,
        count(*) filter (where is_partial) as n_partial
    from responses
    group by all
),

by_county as (
    select
        e.survey_year,
        'county' as geo_level,
        p.county_code,
        p.respondent_type,
        p.population,
        coalesce(r.n_responded, 0) as n_responded,
        coalesce(r.n_partial, 0) as n_partial
    from current_exports as e
    cross join population as p
    left join responded as r
        on e.survey_year = r.survey_year
        and p.county_code = r.county_code
        and p.respondent_type = r.respondent_type
),

national as (
    select
        survey_year,
        'national' as geo_level,
        '00' as county_code,
        respondent_type,
        sum(population) as population,
        sum(n_responded) as n_responded,
        sum(n_partial) as n_partial
    from by_county
    group by all
),

hidden as (
    select survey_year, respondent_type, county_code, 'primary' as suppression_reason
    from by_county
    where n_responded between 1 and {{ min_respondents }} - 1 and population > 1
),

combined as (
    select a.*, h.suppression_reason
    from (select * from by_county union all select * from national) as a
    left join hidden as h using (survey_year, respondent_type, county_code)
)

select
    cast(survey_year as integer) as survey_year,
    cast(geo_level as varchar) as geo_level,
    cast(county_code as varchar) as county_code,
    cast(respondent_type as varchar) as respondent_type,
    cast(population as integer) as population,
    cast(case when suppression_reason is null then n_responded end as integer) as n_responded,
    cast(case when suppression_reason is null then n_responded - n_partial end as integer) as n_complete,
    cast(case when suppression_reason is null then n_partial end as integer) as n_partial,
    cast(case when suppression_reason is null then population - n_responded end as integer) as n_not_responded,
    cast(case when suppression_reason is null then round(n_responded / population, 4) end as double)
        as response_rate,
    suppression_reason is not null as is_suppressed,
    cast(suppression_reason as varchar) as suppression_reason
from combined
