-- Per survey year × county (and riket '00') × key question: the share of kommuner giving the question's
-- first answer (e.g. "Ja"), suppressed where mart_survey_summary suppresses it. The key questions are
-- the four central concepts the report shows per county (coordinator, steering document, use of the
-- målområden, systematic follow-up); a region is one respondent per county and always suppressed.
with key_rows as (
    select *
    from {{ ref('mart_survey_summary') }}
    where respondent_type = 'kommun'
      and concept_id in ('res_coordinator', 'gov_steering_document', 'gov_uses_target_areas', 'followup_systematic')
),

first_answer as (
    select * from key_rows
    qualify answer_order = min(answer_order) over (partition by survey_year, question_code)
)

select
    cast(f.survey_year as integer) as report_year,
    cast(f.county_code as varchar) as county_code,
    cast(coalesce(c.county_name, 'Riket') as varchar) as county_name,
    cast(f.question_order as integer) as question_order,
    cast(f.question_code as varchar) as question_code,
    cast(f.concept_id as varchar) as concept_id,
    cast(f.question_text as varchar) as question_text,
    cast(f.answer_label as varchar) as answer_label,
    cast(f.n_respondents as integer) as n_respondents,
    cast(f.share as double) as share,
    cast(f.is_suppressed as boolean) as is_suppressed
from first_answer as f
left join {{ ref('dim_county') }} as c using (county_code)
