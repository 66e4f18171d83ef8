select
    cast(code as integer) as target_area_code,
    cast(name_sv as varchar) as target_area_name_sv,
    cast(name_en as varchar) as target_area_name_en
from {{ ref('ref_target_areas') }}
