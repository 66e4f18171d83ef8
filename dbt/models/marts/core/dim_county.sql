select
    cast(code as varchar) as county_code,
    cast(name as varchar) as county_name
from {{ ref('ref_counties') }}
