select
    _batch_id as batch_id,
    cast(granted_sek as double) as granted_sek,
    cast(used_sek as double) as used_sek,
    cast(repaid_sek as double) as repaid_sek
from {{ source('returns', 'finance') }}
