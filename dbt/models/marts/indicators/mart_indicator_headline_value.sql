-- The value a table shows for each report year × indicator × region (riket and län), and on what basis,
-- so that no indicator shows '..' where the warehouse holds it:
-- - 'totalt': the source's value for women and men together (mart_indicator_assessment, sex T);
-- - 'kvinnor och män': the source publishes no total (H1, MedlivsYreg): the values for women and men;
-- - 'median av kommunvärden': the source publishes kommun values only (4.4): the median of the kommun
--   values with its range (mart_indicator_kommun_aggregate), an aggregate made here;
-- - 'saknas': nothing in the warehouse.
with assessed as (
    select report_year, indicator_code, region_code, sex, latest_period, latest_value, latest_ci_low,
        latest_ci_high, status
    from {{ ref('mart_indicator_assessment') }}
),

by_sex as (
    select
        report_year,
        indicator_code,
        region_code,
        {%- for sex, label in [('T', 'total'), ('K', 'women'), ('M', 'men')] %}
        max(latest_period) filter (where sex = '{{ sex }}') as period_{{ label }},
        max(latest_value) filter (where sex = '{{ sex }}') as value_{{ label }},
        max(latest_ci_low) filter (where sex = '{{ sex }}') as ci_low_{{ label }},
        max(latest_ci_high) filter (where sex = '{{ sex }}') as ci_high_{{ label }},
        max(status) filter (where sex = '{{ sex }}') as status_{{ label }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from assessed
    group by report_year, indicator_code, region_code
),

keys as (
    select report_year, indicator_code, region_code from by_sex
    union
    select report_year, indicator_code, region_code from {{ ref('mart_indicator_kommun_aggregate') }}
)

select
    cast(k.report_year as integer) as report_year,
    cast(k.indicator_code as varchar) as indicator_code,
    cast(k.region_code as varchar) as region_code,
    cast(case
        when s.value_total is not null then 'totalt'
        when s.value_women is not null or s.value_men is not null then 'kvinnor och män'
        when g.value is not null then 'median av kommunvärden'
        else 'saknas'
    end as varchar) as display_basis,
    cast(coalesce(s.period_total, s.period_women, s.period_men, g.period) as varchar) as period,
    cast(s.value_total as double) as value_total,
    cast(s.ci_low_total as double) as ci_low_total,
    cast(s.ci_high_total as double) as ci_high_total,
    cast(s.status_total as varchar) as status_total,
    cast(s.value_women as double) as value_women,
    cast(s.ci_low_women as double) as ci_low_women,
    cast(s.ci_high_women as double) as ci_high_women,
    cast(s.value_men as double) as value_men,
    cast(s.ci_low_men as double) as ci_low_men,
    cast(s.ci_high_men as double) as ci_high_men,
    cast(g.value as double) as kommun_median,
    cast(g.min_value as double) as kommun_min,
    cast(g.max_value as double) as kommun_max,
    cast(g.n_kommuner as integer) as n_kommuner
from keys as k
left join by_sex as s
    on s.report_year = k.report_year and s.indicator_code = k.indicator_code and s.region_code = k.region_code
left join {{ ref('mart_indicator_kommun_aggregate') }} as g
    on g.report_year = k.report_year and g.indicator_code = k.indicator_code and g.region_code = k.region_code
