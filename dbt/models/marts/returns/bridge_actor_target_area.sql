select distinct
    cast(c.county_code || '-' || c.year || '-' || t.actor_id as varchar) as actor_key,
    cast(t.target_area_code as integer) as target_area_code
from {{ ref('stg_returns__actor_target_areas') }} as t
inner join {{ ref('int_returns__current') }} as c using (batch_id)
