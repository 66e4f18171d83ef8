select
    cast(code as varchar) as municipality_code,
    cast(name as varchar) as municipality_name,
    cast(county_code as varchar) as county_code
from {{ ref('ref_municipalities') }}
