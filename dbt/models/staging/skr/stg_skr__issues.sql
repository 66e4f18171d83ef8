-- Validation findings per export (from the one staged issues table, stg_landing__issues).
-- raw_value is the offending cell (never from a free-text question). A rejected export has no
-- exports row, so its survey year is null.
select
    i.batch_id,
    e.survey_year,
    i.file_name,
    i.source_row,
    i.column_name,
    i.raw_value,
    i.rule,
    i.severity,
    i.message_sv,
    i.message_en
from {{ ref('stg_landing__issues') }} as i
left join (select _batch_id, cast(survey_year as integer) as survey_year from {{ source('skr_survey', 'exports') }}) as e
    on e._batch_id = i.batch_id
where i.source = 'skr_survey'
