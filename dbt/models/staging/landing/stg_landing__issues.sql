-- Every issue of every source, staged once. Rules and severities: docs/rules.md.
select
    source,
    _batch_id as batch_id,
    file as file_name,
    sha256,
    rule,
    severity,
    sheet,
    cast("row" as integer) as source_row,
    "column" as column_name,
    value as raw_value,
    message_sv,
    message_en,
    _received_at as received_at
from {{ source('landing', 'issues') }}
