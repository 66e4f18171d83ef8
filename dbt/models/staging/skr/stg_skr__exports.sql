-- One row per landed survey export. A re-export of a year replaces the earlier one: the current
-- export is the one with the latest answer in it, then the latest landed (content decides, not
-- the order files happen to land in).
select
    _batch_id as batch_id,
    cast(survey_year as integer) as survey_year,
    file_name,
    format as file_format,
    encoding,
    separator,
    sheet,
    decimal_comma as has_decimal_comma,
    answer_mode,
    codebook_version,
    cast(n_rows as integer) as n_rows,
    cast(n_counted as integer) as n_counted,
    cast(latest_submitted_at as timestamp) as latest_submitted_at,
    _sha256 as sha256,
    _received_at as received_at,
    row_number() over (
        partition by survey_year
        order by latest_submitted_at desc nulls last, _received_at desc, _batch_id desc
    ) = 1 as is_current
from {{ source('skr_survey', 'exports') }}
