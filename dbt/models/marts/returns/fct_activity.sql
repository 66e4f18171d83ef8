select
    cast(c.county_code || '-' || c.year || '-' || a.activity_id as varchar) as activity_key,
    cast(c.county_code as varchar) as county_code,
    cast(c.year as integer) as year,
    cast(a.activity_id as varchar) as activity_id,
    cast(a.target_area_code as integer) as target_area_code,
    cast(a.activity_type as varchar) as activity_type,
    cast(a.description as varchar) as description,
    cast(a.start_date as date) as start_date,
    cast(a.cost_sek as double) as cost_sek,
    cast(a.gender_perspective as varchar) as gender_perspective,
    cast(c.batch_id as varchar) as batch_id
from {{ ref('stg_returns__activities') }} as a
inner join {{ ref('int_returns__current') }} as c using (batch_id)
