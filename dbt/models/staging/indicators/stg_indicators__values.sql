-- Landed indicator values, renamed and typed. Every batch is kept; int_indicators__values picks one per key.
select
    cast(indicator_code as varchar) as indicator_code,
    cast(region_code as varchar) as region_code,
    cast(municipality_code as varchar) as municipality_code,
    cast(period as varchar) as period,
    cast(period_end_year as integer) as period_end_year,
    cast(sex as varchar) as sex,
    cast(education as varchar) as education,
    cast(value as double) as value,
    cast(ci_low as double) as ci_low,
    cast(ci_high as double) as ci_high,
    cast(n_respondents as bigint) as n_respondents,
    cast(status as varchar) as status,
    cast(source as varchar) as source,
    cast(retrieved_at as timestamp with time zone) as retrieved_at,
    cast(_batch_id as varchar) as batch_id,
    cast(_source_file as varchar) as source_file,
    cast(_row as bigint) as source_row,
    cast(_received_at as timestamp with time zone) as received_at
from {{ source('indicators', 'indicator_values') }}
