select
    cast(code as varchar) as indicator_code,
    cast(target_area as integer) as target_area_code,
    cast(name_sv as varchar) as indicator_name_sv,
    cast(name_en as varchar) as indicator_name_en,
    cast(unit as varchar) as unit,
    cast(polarity as varchar) as polarity,
    cast(decided as boolean) as is_decided
from {{ ref('ref_indicators') }}
