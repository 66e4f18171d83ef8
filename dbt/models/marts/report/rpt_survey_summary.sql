-- Per survey year × county (and riket '00') × respondent type × question × answer: shares of those who
-- answered, with suppression (mart_survey_summary), and the county's name.
select
    cast(s.survey_year as integer) as report_year,
    cast(s.county_code as varchar) as county_code,
    cast(coalesce(c.county_name, 'Riket') as varchar) as county_name,
    cast(s.respondent_type as varchar) as respondent_type,
    cast(s.question_order as integer) as question_order,
    cast(s.question_code as varchar) as question_code,
    cast(s.concept_id as varchar) as concept_id,
    cast(s.question_text as varchar) as question_text,
    cast(s.question_type as varchar) as question_type,
    cast(s.answer_order as integer) as answer_order,
    cast(s.answer_label as varchar) as answer_label,
    cast(s.n_respondents as integer) as n_respondents,
    cast(s.share as double) as share,
    cast(s.is_suppressed as boolean) as is_suppressed
from {{ ref('mart_survey_summary') }} as s
left join {{ ref('dim_county') }} as c using (county_code)
