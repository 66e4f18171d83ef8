-- Issue 26: every verdict word a mart writes is a code of the seed verdict_labels in the right group
-- and of the right kind, so the report's legend (rpt_verdict_legend) explains every word it shows, and a
-- threshold verdict never carries a test's word (nor a test verdict a threshold's).
with written as (
    select 'utveckling' as verdict_group, trend_verdict as code,
           case when trend_method like '%tröskel%' then 'tröskel' else 'test' end as kind
    from {{ ref('mart_indicator_assessment') }} where trend_verdict is not null
    union all
    select 'län mot riket', comparison_to_national,
           case when comparison_method like 'tröskel%' then 'tröskel' else 'test' end
    from {{ ref('mart_indicator_assessment') }} where comparison_to_national is not null
    union all
    select 'skillnad kvinnor–män', sex_gap_verdict, 'test'
    from {{ ref('mart_equity_gap') }} where sex_gap_verdict is not null
    union all
    select 'skillnad efter utbildning', education_gap_verdict, 'test'
    from {{ ref('mart_equity_gap') }} where education_gap_verdict is not null
    {%- for gap in ['sex_gap', 'education_gap', 'sii'] %}
    union all
    select 'skillnadens utveckling', {{ gap }}_trend, {{ gap }}_trend_rule
    from {{ ref('mart_equity_gap') }} where {{ gap }}_trend is not null
    {%- endfor %}
)

select w.verdict_group, w.code, w.kind, count(*) as n
from written as w
left join {{ ref('verdict_labels') }} as l
    on l.verdict_group = w.verdict_group and l.code = w.code and l.kind = w.kind
where l.code is null
group by all
