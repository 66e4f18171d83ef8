-- Report section 7.3: the education gradient, per report year × indicator × region, in the latest period
-- up to the report year that has values by education: the value of each education level for women, men
-- and both, SII and RII (women and men together) with their 95 % intervals, and how the gap has moved
-- since a non-overlapping earlier period. From fct_indicator_value and mart_equity_gap (education rows).
with report_years as (
    select unnest({{ var('report_years') }}) as report_year
),

gap as (
    select g.*, y.report_year
    from {{ ref('mart_equity_gap') }} as g
    inner join report_years as y on g.period_end_year <= y.report_year
    where g.inequality_dimension = 'education'
    qualify row_number() over (
        partition by y.report_year, g.indicator_code, g.region_code order by g.period_end_year desc, g.period desc
    ) = 1
),

values_by_group as (
    select
        f.indicator_code,
        f.region_code,
        f.period,
        {%- for sex, label in [('K', 'women'), ('M', 'men'), ('T', 'total')] %}
        {%- for edu, short in [('förgymnasial', 'low'), ('gymnasial', 'mid'), ('eftergymnasial', 'high')] %}
        max(f.value) filter (where f.sex = '{{ sex }}' and f.education = '{{ edu }}') as {{ label }}_{{ short }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('fct_indicator_value') }} as f
    where f.municipality_code is null and f.education <> 'total'
    group by f.indicator_code, f.region_code, f.period
)

select
    cast(g.report_year as integer) as report_year,
    cast(g.indicator_code as varchar) as indicator_code,
    cast(i.indicator_name_sv as varchar) as indicator_name_sv,
    cast(i.unit as varchar) as unit,
    cast(i.polarity as varchar) as polarity,
    cast(g.region_code as varchar) as region_code,
    cast(coalesce(c.county_name, 'Riket') as varchar) as region_name,
    cast(g.period as varchar) as period,
    {%- for label in ['women', 'men', 'total'] %}
    {%- for short in ['low', 'mid', 'high'] %}
    cast(v.{{ label }}_{{ short }} as double) as {{ label }}_{{ short }}_education,
    {%- endfor %}
    {%- endfor %}
    cast(g.education_gap_difference as double) as education_gap_difference,
    cast(g.sii as double) as sii,
    cast(g.sii_ci_low as double) as sii_ci_low,
    cast(g.sii_ci_high as double) as sii_ci_high,
    cast(g.rii as double) as rii,
    cast(g.rii_ci_low as double) as rii_ci_low,
    cast(g.rii_ci_high as double) as rii_ci_high,
    cast(g.rii_ci_note as varchar) as rii_ci_note,
    cast(g.trend_base_period as varchar) as trend_base_period,
    cast(g.sii_trend as varchar) as sii_trend,
    cast(g.education_gap_trend as varchar) as education_gap_trend,
    cast(g.inequality_dimension as varchar) as inequality_dimension,
    cast(g.method as varchar) as method
from gap as g
left join values_by_group as v
    on v.indicator_code = g.indicator_code and v.region_code = g.region_code and v.period = g.period
left join {{ ref('dim_indicator') }} as i on i.indicator_code = g.indicator_code
left join {{ ref('dim_county') }} as c on c.county_code = g.region_code
