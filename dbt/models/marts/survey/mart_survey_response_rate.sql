-- Response rate per survey year, county and respondent type, and for the whole country
-- (county_code '00'). The population is every kommun (290) and every region (21, one per län)
-- from the reference seeds. Responded = counted responses, partial ones included; those who did
-- not respond are not respondents and never count as "no" in any answer share.
-- Not suppressed: it reports who took part, not what anyone answered.
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
)

select
    cast(survey_year as integer) as survey_year,
    cast(geo_level as varchar) as geo_level,
    cast(county_code as varchar) as county_code,
    cast(respondent_type as varchar) as respondent_type,
    cast(population as integer) as population,
    cast(n_responded as integer) as n_responded,
    cast(n_responded - n_partial as integer) as n_complete,
    cast(n_partial as integer) as n_partial,
    cast(population - n_responded as integer) as n_not_responded,
    cast(round(n_responded / population, 4) as double) as response_rate
from (select * from by_county union all select * from national)
