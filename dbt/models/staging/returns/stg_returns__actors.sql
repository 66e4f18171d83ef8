select
    _batch_id as batch_id,
    actor_id,
    actor_name,
    actor_type,
    actor_level,
    municipality_code,
    _row as source_row
from {{ source('returns', 'actors') }}
