select
    _batch_id as batch_id,
    activity_id,
    municipality_code
from {{ source('returns', 'activity_municipalities') }}
