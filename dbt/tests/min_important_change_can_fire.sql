-- Issue 26: every minimal important change that decides verdicts can fire. For each indicator judged by
-- the threshold rule (no CIs), some row of the assessment reaches its min_important_change (a trend or a
-- difference from riket), and for each indicator with gap trends under the threshold rule some gap
-- change reaches its gap_min_important_change. A threshold no row can reach decides nothing: it is then
-- listed here. An error on the sample data (where the thresholds were chosen), a warning on real data.
{{ config(severity=('error' if var('is_sample', false) else 'warn')) }}

with levels as (
    select
        indicator_code,
        'min_important_change' as threshold,
        max(min_important_change) as value,
        max(greatest(abs(coalesce(trend_change, 0)),
                     case when national_rule = 'tröskel' then abs(national_difference) else 0 end)) as largest
    from {{ ref('int_indicators__assessment') }}
    where trend_rule = 'tröskel' or national_rule = 'tröskel'
    group by indicator_code
),

gaps as (
    select
        indicator_code,
        'gap_min_important_change' as threshold,
        max(gap_min_important_change) as value,
        max(greatest(
            case when sex_gap_trend_rule = 'tröskel' then abs(sex_gap_trend_estimate) else 0 end,
            case when education_gap_trend_rule = 'tröskel' then abs(education_gap_trend_estimate) else 0 end,
            case when sii_trend_rule = 'tröskel' then abs(sii_trend_estimate) else 0 end)) as largest
    from {{ ref('int_indicators__equity_gap') }}
    where 'tröskel' in (sex_gap_trend_rule, education_gap_trend_rule, sii_trend_rule)
    group by indicator_code
)

select * from levels where round(largest, 4) < value
union all
select * from gaps where round(largest, 4) < value
