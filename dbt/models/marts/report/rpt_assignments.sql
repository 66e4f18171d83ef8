-- The two government assignments behind the report (ref_assignments, copied from regeringen.se).
select
    cast(case_number as varchar) as case_number,
    cast(addressee as varchar) as addressee,
    cast(title_sv as varchar) as title_sv,
    cast(reporting_sv as varchar) as reporting_sv,
    cast(source as varchar) as source_url
from {{ ref('ref_assignments') }}
