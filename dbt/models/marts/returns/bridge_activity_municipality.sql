select distinct
    cast(c.county_code || '-' || c.year || '-' || m.activity_id as varchar) as activity_key,
    cast(m.municipality_code as varchar) as municipality_code
from {{ ref('stg_returns__activity_municipalities') }} as m
inner join {{ ref('int_returns__current') }} as c using (batch_id)
