-- The codebook each export was read with: one row per question × answer option
-- (one row with a null answer for integer, decimal and free-text questions).
select
    _batch_id as batch_id,
    cast(survey_year as integer) as survey_year,
    codebook_version,
    cast(question_order as integer) as question_order,
    question_code,
    concept_id,
    question_text,
    question_type,
    applies_to,
    cast(target_area_code as integer) as target_area_code,
    cast(answer_order as integer) as answer_order,
    cast(answer_code as integer) as answer_code,
    answer_label
from {{ source('skr_survey', 'codebook') }}
