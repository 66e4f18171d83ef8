-- The county returns' issues (from the one staged issues table, stg_landing__issues).
select
    batch_id,
    sheet,
    source_row,
    column_name,
    rule,
    severity,
    message_sv,
    message_en
from {{ ref('stg_landing__issues') }}
where source = 'returns'
