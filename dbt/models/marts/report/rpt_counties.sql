-- The 21 counties in länskod order: the rows of every per-county table and the county profiles.
select
    cast(county_code as varchar) as county_code,
    cast(county_name as varchar) as county_name
from {{ ref('dim_county') }}
