-- Free-text answers of counted responses: personal data. They stay in the warehouse for
-- analysts with access; reports must never select from this model.
with current_exports as (
    select batch_id from {{ ref('stg_skr__exports') }} where is_current
),

responses as (
    select *
    from {{ ref('stg_skr__respondents') }}
    where is_counted and batch_id in (select batch_id from current_exports)
)

select
    a.survey_year,
    r.response_id,
    r.respondent_code,
    r.respondent_type,
    r.county_code,
    a.question_code,
    a.concept_id,
    a.value_text as free_text,
    r.batch_id
from {{ ref('stg_skr__answers') }} as a
inner join responses as r on a.response_id = r.response_id
where a.question_type = 'text'
