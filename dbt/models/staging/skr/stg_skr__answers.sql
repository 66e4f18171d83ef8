-- Long-form answers. value_text holds free text: personal data that goes no further than
-- marts.fct_survey_free_text, never to a report.
select
    _batch_id || '-' || cast(_row as varchar) as response_id,
    _batch_id as batch_id,
    cast(survey_year as integer) as survey_year,
    respondent_code,
    question_code,
    concept_id,
    question_text,
    question_type,
    cast(target_area_code as integer) as target_area_code,
    cast(answer_code as integer) as answer_code,
    answer_label,
    cast(value_numeric as double) as value_numeric,
    value_text,
    cast(_row as integer) as source_row
from {{ source('skr_survey', 'answers') }}
