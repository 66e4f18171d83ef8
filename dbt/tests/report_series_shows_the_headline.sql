-- The small multiples draw every indicator that table 7.1 shows a value for, as table 7.1 shows it
-- (mart_indicator_headline_value for riket): a line for both sexes; where the source has no total (H1)
-- a line for kvinnor and one for män, each ending on table 7.1's value; where the source has kommun
-- values only (4.4) the median of the kommun values, ending on table 7.1's median and range. A row here
-- is an indicator × line the figure would leave empty or draw differently from the table.
with headline as (
    select report_year, indicator_code, display_basis, value_total, value_women, value_men,
        kommun_median, kommun_min, kommun_max
    from {{ ref('mart_indicator_headline_value') }}
    where region_code = '00' and display_basis <> 'saknas'
),

expected as (
    select report_year, indicator_code, 'totalt' as series, value_total as value,
        null::double as min_value, null::double as max_value
    from headline where display_basis = 'totalt'
    union all
    select report_year, indicator_code, 'kvinnor', value_women, null, null
    from headline where display_basis = 'kvinnor och män'
    union all
    select report_year, indicator_code, 'män', value_men, null, null
    from headline where display_basis = 'kvinnor och män'
    union all
    select report_year, indicator_code, 'median av kommunvärden', kommun_median, kommun_min, kommun_max
    from headline where display_basis = 'median av kommunvärden'
),

latest as (
    select report_year, indicator_code, series, value, min_value, max_value
    from {{ ref('rpt_indicator_series') }}
    qualify row_number() over (
        partition by report_year, indicator_code, series order by period_end_year desc, period desc
    ) = 1
)

select e.report_year, e.indicator_code, e.series, e.value as table_value, l.value as series_value
from expected as e
left join latest as l using (report_year, indicator_code, series)
where l.series is null
   or (e.series <> 'totalt' and (l.value is distinct from e.value
       or l.min_value is distinct from e.min_value or l.max_value is distinct from e.max_value))
