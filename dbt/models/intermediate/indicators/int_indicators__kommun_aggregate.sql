-- The one definition of the stated aggregate of kommun values, for indicators the source publishes for
-- kommuner only (dim_indicator.county_value 'none', e.g. 4.4, a Kolada type K KPI): per indicator × period
-- × county and riket ('00'), the median of the kommun values (unweighted: every kommun counts once) with
-- its range (lowest and highest kommun) and the number of kommuner with a value. Women and men together,
-- education total. Every period the warehouse holds: mart_indicator_kommun_aggregate takes the latest
-- period up to each report year (the tables), rpt_indicator_series every period (the small multiples).
with kommun as (
    select v.indicator_code, v.municipality_code, m.county_code, v.period, v.period_end_year, v.value
    from {{ ref('fct_indicator_value') }} as v
    inner join {{ ref('dim_indicator') }} as i
        on i.indicator_code = v.indicator_code and i.county_value = 'none'
    inner join {{ ref('dim_municipality') }} as m on m.municipality_code = v.municipality_code
    where v.municipality_code is not null and v.sex = 'T' and v.education = 'total' and v.value is not null
)

select indicator_code, county_code as region_code, period, period_end_year,
    median(value) as value, min(value) as min_value, max(value) as max_value, count(*) as n_kommuner
from kommun
group by indicator_code, county_code, period, period_end_year
union all
select indicator_code, '00' as region_code, period, period_end_year,
    median(value), min(value), max(value), count(*)
from kommun
group by indicator_code, period, period_end_year
