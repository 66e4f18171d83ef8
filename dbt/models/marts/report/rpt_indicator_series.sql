-- Per report year × indicator × period up to the report year: riket's value, both sexes, all education
-- levels (fct_indicator_value), for the small multiples. With the unit and direction for the axis.
with years as (
    select unnest({{ var('report_years') }}) as report_year
)

select
    cast(y.report_year as integer) as report_year,
    cast(v.indicator_code as varchar) as indicator_code,
    cast(v.period as varchar) as period,
    cast(v.period_end_year as integer) as period_end_year,
    cast(v.value as double) as value,
    cast(v.status as varchar) as status
from years as y
inner join {{ ref('fct_indicator_value') }} as v on v.period_end_year <= y.report_year
where v.region_code = '00' and v.municipality_code is null and v.sex = 'T' and v.education = 'total'
  and v.value is not null
