select
    _batch_id as batch_id,
    sheet,
    "row" as source_row,
    "column" as column_name,
    rule,
    severity,
    message_sv,
    message_en
from {{ source('returns', 'issues') }}
