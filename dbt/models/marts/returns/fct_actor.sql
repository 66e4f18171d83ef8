select
    cast(c.county_code || '-' || c.year || '-' || a.actor_id as varchar) as actor_key,
    cast(c.county_code as varchar) as county_code,
    cast(c.year as integer) as year,
    cast(a.actor_id as varchar) as actor_id,
    cast(a.actor_name as varchar) as actor_name,
    cast(a.actor_type as varchar) as actor_type,
    cast(a.actor_level as varchar) as actor_level,
    cast(a.municipality_code as varchar) as municipality_code,
    -- Same normalised name and kommun in one return = one actor (folkhalsa.sources.returns.actor_identity).
    cast(c.county_code || '-' || c.year || '-'
        || trim(regexp_replace(lower(nfc_normalize(coalesce(a.actor_name, ''))), '[^\p{L}\p{N}]+', ' ', 'g'))
        || '-' || coalesce(a.municipality_code, '') as varchar) as actor_identity,
    cast(c.batch_id as varchar) as batch_id
from {{ ref('stg_returns__actors') }} as a
inner join {{ ref('int_returns__current') }} as c using (batch_id)
