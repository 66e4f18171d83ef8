-- The grant account per county and year, from the current version of each return.
select
    cast(c.county_code as varchar) as county_code,
    cast(c.year as integer) as year,
    cast(f.granted_sek as bigint) as granted_sek,
    cast(f.used_sek as bigint) as used_sek,
    cast(f.repaid_sek as bigint) as repaid_sek,
    cast(c.batch_id as varchar) as batch_id
from {{ ref('stg_returns__finance') }} as f
inner join {{ ref('int_returns__current') }} as c using (batch_id)
