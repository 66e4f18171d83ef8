select
    _batch_id as batch_id,
    activity_id,
    cast(target_area as integer) as target_area_code,
    activity_type,
    description,
    start_date,
    cast(cost_sek as double) as cost_sek,
    -- Template 2024.1; a return on 2023.1 lands 'ej redovisat'. The free text "Hur" stops here:
    -- only its privacy-screened examples go on (stg_returns__gender_equality_examples).
    gender_perspective,
    _row as source_row
from {{ source('returns', 'activities') }}
