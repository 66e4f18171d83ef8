-- Fokusområden are a user-maintained code list (seed ref_focus_areas); the 28 names are not filled in yet.
select
    cast(code as varchar) as focus_area_code,
    cast(name_sv as varchar) as focus_area_name_sv,
    cast(target_area as integer) as target_area_code
from {{ ref('ref_focus_areas') }}
