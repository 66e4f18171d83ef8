-- The harmonised indicator values: one row per indicator × region × kommun × period × sex × education.
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
    cast(is_below_min_respondents as boolean) as is_below_min_respondents,
    cast(source as varchar) as source,
    cast(retrieved_at as timestamp with time zone) as retrieved_at,
    cast(batch_id as varchar) as batch_id
from {{ ref('int_indicators__values') }}
