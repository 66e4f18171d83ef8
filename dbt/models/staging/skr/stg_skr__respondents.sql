-- Every row of every export, with its flags. Counted = known code, not a superseded duplicate,
-- not empty. Partial responses are counted and flagged.
select
    _batch_id || '-' || cast(_row as varchar) as response_id,
    _batch_id as batch_id,
    cast(survey_year as integer) as survey_year,
    respondent_code,
    respondent_code_raw,
    respondent_type,
    county_code,
    municipality_code,
    cast(submitted_at as timestamp) as submitted_at,
    cast(n_applicable as integer) as n_applicable,
    cast(n_answered as integer) as n_answered,
    is_known,
    is_empty,
    is_partial,
    is_duplicate_dropped,
    is_counted,
    _source_file as source_file,
    cast(_row as integer) as source_row,
    _received_at as received_at
from {{ source('skr_survey', 'respondents') }}
