select
    _batch_id as batch_id,
    need_id,
    cast(target_area as integer) as target_area_code,
    theme,
    raised_by,
    municipality_code,
    _row as source_row
from {{ source('returns', 'needs') }}
