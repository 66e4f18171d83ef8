-- Every test behind a verdict that calls a difference real, one row each, and its Benjamini–Hochberg
-- q-value within its family (issue 26). A family is one year: a report year's assessments
-- (int_indicators__assessment: trends and counties against riket, as they stood that year) together
-- with the gaps whose period ends that year (int_indicators__equity_gap: sex and education gaps, and
-- the trends of the sex gap, the education gap and SII). z = estimate / se, p two-sided; rows without
-- a positive se are not tests and carry no q. The marts join q back and word the verdict.

with assessment as (
    select * from {{ ref('int_indicators__assessment') }}
),

gaps as (
    select * from {{ ref('int_indicators__equity_gap') }}
),

tests as (
    select
        report_year as family_year, 'mart_indicator_assessment' as source_model, 'utveckling' as test_kind,
        report_year, indicator_code, region_code, sex, latest_period as period,
        trend_estimate as estimate, trend_se as se
    from assessment
    where trend_rule = 'test'
    union all
    select
        report_year, 'mart_indicator_assessment', 'län mot riket',
        report_year, indicator_code, region_code, sex, latest_period,
        national_difference, national_se
    from assessment
    where national_rule = 'test'
    {%- for gap, kind in [('sex_gap', 'skillnad kvinnor–män'), ('education_gap', 'skillnad efter utbildning')] %}
    union all
    select
        period_end_year, 'mart_equity_gap', '{{ kind }}',
        null, indicator_code, region_code, null, period,
        {{ gap }}_estimate, {{ gap }}_se
    from gaps
    where {{ gap }}_estimate is not null and {{ gap }}_se is not null
    {%- endfor %}
    {%- for gap, kind in [('sex_gap', 'trend, skillnad kvinnor–män'), ('education_gap', 'trend, skillnad efter utbildning'),
                          ('sii', 'trend, SII')] %}
    union all
    select
        period_end_year, 'mart_equity_gap', '{{ kind }}',
        null, indicator_code, region_code, null, period,
        {{ gap }}_trend_estimate, {{ gap }}_trend_se
    from gaps
    where {{ gap }}_trend_rule = 'test'
    {%- endfor %}
),

p_values as (
    select
        *,
        concat_ws('|', source_model, test_kind, report_year, indicator_code, region_code, sex, period) as test_key,
        case when se > 0 then {{ two_sided_p('estimate / se') }} end as p_value
    from tests
),

adjusted as (
    {{ bh_q_value('p_values', 'family_year', 'test_key') }}
)

select
    cast(p.family_year as integer) as family_year,
    cast('år ' || p.family_year as varchar) as test_family,
    cast(p.source_model as varchar) as source_model,
    cast(p.test_kind as varchar) as test_kind,
    cast(p.test_key as varchar) as test_key,
    cast(p.report_year as integer) as report_year,
    cast(p.indicator_code as varchar) as indicator_code,
    cast(p.region_code as varchar) as region_code,
    cast(p.sex as varchar) as sex,
    cast(p.period as varchar) as period,
    cast(p.estimate as double) as estimate,
    cast(p.se as double) as se,
    cast(p.estimate / nullif(p.se, 0) as double) as z,
    cast(round(p.p_value, 8) as double) as p_value,
    cast(round(a.q_value, 8) as double) as q_value,
    cast(a.m as integer) as family_size,
    cast(coalesce(a.q_value <= {{ var('verdict_fdr') }}, false) as boolean) as is_real
from p_values as p
left join adjusted as a on a.test_key = p.test_key
