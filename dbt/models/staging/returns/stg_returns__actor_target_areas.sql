select
    _batch_id as batch_id,
    actor_id,
    cast(target_area as integer) as target_area_code
from {{ source('returns', 'actor_target_areas') }}
