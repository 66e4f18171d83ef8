-- "Hur" (how gender equality was considered) is free text that may name people. Only texts that
-- passed folkhalsa.privacy.is_publishable_text at landing are selected here; the others never
-- leave the landed files.
select
    _batch_id as batch_id,
    activity_id,
    cast(target_area as integer) as target_area_code,
    gender_perspective,
    gender_perspective_how as how_text,
    _row as source_row
from {{ source('returns', 'activities') }}
where gender_perspective_how_publishable
