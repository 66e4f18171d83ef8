-- Landed population by education group; a later retrieval of the same key replaces an earlier one.
select
    cast(region_code as varchar) as region_code,
    cast(year as integer) as year,
    cast(sex as varchar) as sex,
    cast(education as varchar) as education,
    cast(population as bigint) as population,
    cast(ages as varchar) as ages,
    cast(retrieved_at as timestamp with time zone) as retrieved_at,
    cast(_batch_id as varchar) as batch_id
from {{ source('population', 'education_population') }}
qualify row_number() over (
    partition by region_code, year, sex, education order by retrieved_at desc, _batch_id desc
) = 1
