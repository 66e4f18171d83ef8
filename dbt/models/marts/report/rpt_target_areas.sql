-- The eight målområden as the report lists them: code, name, and "1. Det tidiga livets villkor".
select
    cast(target_area_code as integer) as target_area_code,
    cast(target_area_name_sv as varchar) as target_area_name,
    cast(target_area_code || '. ' || target_area_name_sv as varchar) as target_area_label
from {{ ref('dim_target_area') }}
