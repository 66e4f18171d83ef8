select
    cast(c.county_code || '-' || c.year || '-' || n.need_id as varchar) as need_key,
    cast(c.county_code as varchar) as county_code,
    cast(c.year as integer) as year,
    cast(n.need_id as varchar) as need_id,
    cast(n.target_area_code as integer) as target_area_code,
    cast(n.theme as varchar) as theme,
    cast(n.raised_by as varchar) as raised_by,
    cast(n.municipality_code as varchar) as municipality_code,
    cast(c.batch_id as varchar) as batch_id
from {{ ref('stg_returns__needs') }} as n
inner join {{ ref('int_returns__current') }} as c using (batch_id)
