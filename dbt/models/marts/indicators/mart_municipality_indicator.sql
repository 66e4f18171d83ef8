-- Per report year × indicator × kommun, for every indicator with kommun values: the kommun's value in the
-- latest period with kommun values up to the report year (the same period for every kommun of the
-- indicator, so the ranks compare like with like), its county, its rank within the county and in riket
-- (rank 1 = the best value by the indicator's polarity; ties share a rank), and the county's and riket's
-- published value for the same period where the source has one. Women and men together, education total.
with report_years as (
    select unnest({{ var('report_years') }}) as report_year
),

kommun_values as (
    select indicator_code, municipality_code, period, period_end_year, value, status
    from {{ ref('fct_indicator_value') }}
    where municipality_code is not null and sex = 'T' and education = 'total'
),

latest_period as (
    select y.report_year, v.indicator_code, max(v.period_end_year) as period_end_year
    from kommun_values as v
    inner join report_years as y on v.period_end_year <= y.report_year
    where v.value is not null
    group by y.report_year, v.indicator_code
),

latest as (
    select
        l.report_year,
        v.*,
        m.municipality_name,
        m.county_code,
        i.polarity,
        -- Oriented so that a smaller key is better.
        case when i.polarity = 'lower_is_better' then v.value else -v.value end as order_key
    from kommun_values as v
    inner join latest_period as l
        on l.indicator_code = v.indicator_code and l.period_end_year = v.period_end_year
    inner join {{ ref('dim_municipality') }} as m on m.municipality_code = v.municipality_code
    left join {{ ref('dim_indicator') }} as i on i.indicator_code = v.indicator_code
),

ranked as (
    select
        *,
        case when value is not null then rank() over (
            partition by report_year, indicator_code, county_code order by order_key nulls last
        ) end as rank_in_county,
        count(value) over (partition by report_year, indicator_code, county_code) as n_in_county,
        case when value is not null then rank() over (
            partition by report_year, indicator_code order by order_key nulls last
        ) end as rank_in_riket,
        count(value) over (partition by report_year, indicator_code) as n_in_riket
    from latest
),

region_values as (
    select indicator_code, region_code, period, value
    from {{ ref('fct_indicator_value') }}
    where municipality_code is null and sex = 'T' and education = 'total'
)

select
    cast(r.report_year as integer) as report_year,
    cast(r.indicator_code as varchar) as indicator_code,
    cast(r.municipality_code as varchar) as municipality_code,
    cast(r.municipality_name as varchar) as municipality_name,
    cast(r.county_code as varchar) as county_code,
    cast(r.period as varchar) as period,
    cast(r.period_end_year as integer) as period_end_year,
    cast(r.value as double) as value,
    cast(r.status as varchar) as status,
    cast(r.polarity as varchar) as polarity,
    cast(r.rank_in_county as integer) as rank_in_county,
    cast(r.n_in_county as integer) as n_in_county,
    cast(r.rank_in_riket as integer) as rank_in_riket,
    cast(r.n_in_riket as integer) as n_in_riket,
    cast(c.value as double) as county_value,
    cast(n.value as double) as national_value
from ranked as r
left join region_values as c
    on c.indicator_code = r.indicator_code and c.region_code = r.county_code and c.period = r.period
left join region_values as n
    on n.indicator_code = r.indicator_code and n.region_code = '00' and n.period = r.period
