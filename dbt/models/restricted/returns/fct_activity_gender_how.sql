-- "Hur": how gender equality was considered in an activity (template 2024.1), free text that may
-- name people. Current return versions only. It stays in the restricted schema for analysts with
-- access; the marts carry only the privacy-screened examples (mart_gender_equality_example).
select
    cast(c.county_code || '-' || c.year || '-' || a.activity_id as varchar) as activity_key,
    cast(c.county_code as varchar) as county_code,
    cast(c.year as integer) as year,
    cast(a.activity_id as varchar) as activity_id,
    cast(a.target_area as integer) as target_area_code,
    cast(a.gender_perspective as varchar) as gender_perspective,
    cast(a.gender_perspective_how as varchar) as how_text,
    cast(a.gender_perspective_how_publishable as boolean) as is_publishable,
    cast(c.batch_id as varchar) as batch_id
from {{ source('returns', 'activities') }} as a
inner join {{ ref('int_returns__current') }} as c on c.batch_id = a._batch_id
where a.gender_perspective_how is not null
