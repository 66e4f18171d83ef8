select
    _batch_id as batch_id,
    activity_id,
    cast(target_area as integer) as target_area_code,
    activity_type,
    description,
    start_date,
    cast(cost_sek as double) as cost_sek,
    _row as source_row
from {{ source('returns', 'activities') }}
