-- Report mart: per report year and indicator judged by a threshold (no CIs), its minimal important
-- changes and their reasons (catalogue, via dim_indicator), and how many series cross them that year:
-- trends and comparisons with riket (mart_indicator_assessment, the report year) and gap trends
-- (mart_equity_gap, periods ending in the report year). Issue 26: each threshold with a reason, and
-- whether it decides anything.
with assessment as (
    select
        report_year,
        indicator_code,
        count(*) filter (where trend_method like '%tröskel%' and trend_verdict is not null) as trend_series,
        count(*) filter (where trend_verdict in ('förbättras (över tröskeln)', 'försämras (över tröskeln)'))
            as trend_crossing,
        count(*) filter (where comparison_method like 'tröskel%' and comparison_to_national is not null)
            as comparison_series,
        count(*) filter (where comparison_to_national in ('bättre (över tröskeln)', 'sämre (över tröskeln)'))
            as comparison_crossing
    from {{ ref('mart_indicator_assessment') }}
    group by report_year, indicator_code
),

gaps as (
    select
        y.report_year,
        g.indicator_code,
        {%- for gap in ['sex_gap', 'education_gap', 'sii'] %}
        count(*) filter (where g.{{ gap }}_trend_rule = 'tröskel' and g.{{ gap }}_trend is not null)
        {%- if not loop.last %} +{% endif %}
        {%- endfor %} as gap_trend_series,
        {%- for gap in ['sex_gap', 'education_gap', 'sii'] %}
        count(*) filter (where g.{{ gap }}_trend in ('vidgas (över tröskeln)', 'minskar (över tröskeln)'))
        {%- if not loop.last %} +{% endif %}
        {%- endfor %} as gap_trend_crossing
    from (select unnest({{ var('report_years') }}) as report_year) as y
    inner join {{ ref('mart_equity_gap') }} as g on g.period_end_year = y.report_year
    group by y.report_year, g.indicator_code
)

select
    cast(a.report_year as integer) as report_year,
    cast(i.indicator_code as varchar) as indicator_code,
    cast(i.indicator_name_sv as varchar) as indicator_name_sv,
    cast(i.unit as varchar) as unit,
    cast(i.min_important_change as double) as min_important_change,
    cast(i.min_important_change_rationale as varchar) as min_important_change_rationale,
    cast(i.gap_min_important_change as double) as gap_min_important_change,
    cast(i.gap_min_important_change_rationale as varchar) as gap_min_important_change_rationale,
    cast(a.trend_series as integer) as trend_series,
    cast(a.trend_crossing as integer) as trend_crossing,
    cast(a.comparison_series as integer) as comparison_series,
    cast(a.comparison_crossing as integer) as comparison_crossing,
    cast(coalesce(g.gap_trend_series, 0) as integer) as gap_trend_series,
    cast(coalesce(g.gap_trend_crossing, 0) as integer) as gap_trend_crossing
from assessment as a
inner join {{ ref('dim_indicator') }} as i on i.indicator_code = a.indicator_code
left join gaps as g on g.report_year = a.report_year and g.indicator_code = a.indicator_code
where a.trend_series + a.comparison_series > 0
