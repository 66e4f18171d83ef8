-- Per report year × indicator × period up to the report year × line: riket's series for the small
-- multiples, drawn as table 7.1 shows riket (mart_indicator_headline_value's display_basis for the report
-- year): 'totalt' (and 'saknas') the source's value for both sexes, all education levels
-- (fct_indicator_value); 'kvinnor och män' (no total in the source, H1) two lines, kvinnor and män;
-- 'median av kommunvärden' (kommun values only, 4.4) the median of the kommun values with its range, the
-- very rows mart_indicator_kommun_aggregate takes its latest period from (int_indicators__kommun_aggregate).
with years as (
    select unnest({{ var('report_years') }}) as report_year
),

basis as (
    select y.report_year, i.indicator_code, coalesce(h.display_basis, 'saknas') as display_basis
    from years as y
    cross join {{ ref('dim_indicator') }} as i
    left join {{ ref('mart_indicator_headline_value') }} as h
        on h.report_year = y.report_year and h.indicator_code = i.indicator_code and h.region_code = '00'
),

source_values as (
    select b.report_year, b.indicator_code, b.display_basis, v.period, v.period_end_year,
        case v.sex when 'T' then 'totalt' when 'K' then 'kvinnor' when 'M' then 'män' end as series,
        v.value, cast(null as double) as min_value, cast(null as double) as max_value,
        cast(null as integer) as n_kommuner, v.status
    from basis as b
    inner join {{ ref('fct_indicator_value') }} as v
        on v.indicator_code = b.indicator_code and v.period_end_year <= b.report_year
    where v.region_code = '00' and v.municipality_code is null and v.education = 'total'
      and v.value is not null
      and ((b.display_basis = 'kvinnor och män' and v.sex in ('K', 'M'))
           or (b.display_basis in ('totalt', 'saknas') and v.sex = 'T'))
),

kommun_aggregate as (
    select b.report_year, b.indicator_code, b.display_basis, g.period, g.period_end_year,
        'median av kommunvärden' as series, g.value, g.min_value, g.max_value, g.n_kommuner,
        'ok' as status
    from basis as b
    inner join {{ ref('int_indicators__kommun_aggregate') }} as g
        on g.indicator_code = b.indicator_code and g.period_end_year <= b.report_year
    where b.display_basis = 'median av kommunvärden' and g.region_code = '00'
)

select
    cast(report_year as integer) as report_year,
    cast(indicator_code as varchar) as indicator_code,
    cast(display_basis as varchar) as display_basis,
    cast(series as varchar) as series,
    cast(period as varchar) as period,
    cast(period_end_year as integer) as period_end_year,
    cast(value as double) as value,
    cast(min_value as double) as min_value,
    cast(max_value as double) as max_value,
    cast(n_kommuner as integer) as n_kommuner,
    cast(status as varchar) as status
from (select * from source_values union all select * from kommun_aggregate)
