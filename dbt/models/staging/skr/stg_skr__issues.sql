-- Validation findings per export. raw_value is the offending cell (never from a free-text question).
select
    _batch_id as batch_id,
    cast(survey_year as integer) as survey_year,
    file as file_name,
    cast(row as integer) as source_row,
    "column" as column_name,
    value as raw_value,
    rule,
    severity,
    message_sv,
    message_en
from {{ source('skr_survey', 'issues') }}
