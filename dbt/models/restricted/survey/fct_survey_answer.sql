-- One row per counted response × question × answer of the current export of each survey year.
-- Multiple choice gives one row per option chosen; integer/decimal questions carry value_numeric.
-- Free text is not here (see fct_survey_free_text). An unanswered question has no row, so
-- non-response can never be counted as "no".
with current_exports as (
    select batch_id from {{ ref('stg_skr__exports') }} where is_current
),

responses as (
    select *
    from {{ ref('stg_skr__respondents') }}
    where is_counted and batch_id in (select batch_id from current_exports)
),

answers as (
    select * from {{ ref('stg_skr__answers') }} where question_type <> 'text'
)

select
    a.survey_year,
    r.response_id,
    r.respondent_code,
    r.respondent_type,
    r.county_code,
    r.municipality_code,
    a.question_code,
    a.concept_id,
    a.question_text,
    a.question_type,
    a.target_area_code,
    a.answer_code,
    a.answer_label,
    a.value_numeric,
    r.is_partial as is_partial_response,
    r.submitted_at,
    r.batch_id
from answers as a
inner join responses as r on a.response_id = r.response_id
