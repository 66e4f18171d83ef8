-- Per report year × indicator × region × sex (education total, region level): the latest value up to the
-- report year, how it compares with riket, and whether the indicator is improving, as it stood that year.
-- The tests and threshold rules are computed in int_indicators__assessment; a test's verdict comes from
-- its q-value in the report year's one family of tests (int_verdict__tests, issue 26). The words are
-- the codes of the seed verdict_labels. The method is stated in mart_indicator_assessment.yml.

with assessment as (
    select * from {{ ref('int_indicators__assessment') }}
),

tests as (
    select * from {{ ref('int_verdict__tests') }}
    where source_model = 'mart_indicator_assessment'
),

joined as (
    select
        a.*,
        t.p_value as t_p, t.q_value as t_q, t.is_real as t_real, t.test_family as t_family,
        n.p_value as n_p, n.q_value as n_q, n.is_real as n_real, n.test_family as n_family,
        -- +1 when the direction is the good one (by polarity), −1 when bad, 0 when not real/under the threshold.
        case
            when a.trend_rule = 'test' then case when coalesce(t.is_real, false) then sign(a.trend_estimate) else 0 end
            when a.trend_rule = 'tröskel' then a.trend_threshold_direction
        end as trend_direction,
        case
            when a.national_rule = 'test' then
                case when coalesce(n.is_real, false) then sign(a.national_difference) else 0 end
            when a.national_rule = 'tröskel' then a.national_threshold_direction
        end as national_direction
    from assessment as a
    left join tests as t
        on t.test_kind = 'utveckling' and t.report_year = a.report_year and t.indicator_code = a.indicator_code
        and t.region_code = a.region_code and t.sex = a.sex
    left join tests as n
        on n.test_kind = 'län mot riket' and n.report_year = a.report_year and n.indicator_code = a.indicator_code
        and n.region_code = a.region_code and n.sex = a.sex
),

worded as (
    select
        *,
        case
            when national_direction is null then null
            when national_direction = 0 then 'likvärdig'
            when (national_direction > 0) = (polarity = 'higher_is_better') then 'bättre'
            else 'sämre'
        end || case when national_rule = 'tröskel' and national_direction = 0 then ' (under tröskeln)'
                    when national_rule = 'tröskel' then ' (över tröskeln)' else '' end as comparison_word,
        case
            when trend_direction is null or polarity is null then null
            when trend_rule = 'tröskel' and trend_direction = 0 then 'ingen förändring över tröskeln'
            when trend_rule = 'tröskel' and (trend_direction > 0) = (polarity = 'higher_is_better')
                then 'förbättras (över tröskeln)'
            when trend_rule = 'tröskel' then 'försämras (över tröskeln)'
            when trend_direction = 0 then 'ingen säker förändring'
            when (trend_direction > 0) = (polarity = 'higher_is_better') then 'förbättras'
            else 'försämras'
        end as trend_word
    from joined
)

select
    cast(report_year as integer) as report_year,
    cast(indicator_code as varchar) as indicator_code,
    cast(region_code as varchar) as region_code,
    cast(sex as varchar) as sex,
    cast(period_type as varchar) as period_type,
    cast(polarity as varchar) as polarity,
    cast(latest_period as varchar) as latest_period,
    cast(latest_period_end_year as integer) as latest_period_end_year,
    cast(latest_value as double) as latest_value,
    cast(latest_ci_low as double) as latest_ci_low,
    cast(latest_ci_high as double) as latest_ci_high,
    cast(status as varchar) as status,
    cast(national_value as double) as national_value,
    cast(national_ci_low as double) as national_ci_low,
    cast(national_ci_high as double) as national_ci_high,
    cast(case when polarity is not null then comparison_word end as varchar) as comparison_to_national,
    cast(comparison_method as varchar) as comparison_method,
    cast(n_p as double) as comparison_p_value,
    cast(n_q as double) as comparison_q_value,
    cast(national_overlap_share as double) as comparison_overlap_share,
    cast(first_period as varchar) as first_period,
    cast(first_value as double) as first_value,
    cast(change_since_first as double) as change_since_first,
    cast(last_five_first_period as varchar) as last_five_first_period,
    cast(change_last_five as double) as change_last_five,
    cast(case when trend_direction is not null then trend_base_period end as varchar) as trend_base_period,
    cast(trend_periods as integer) as trend_periods,
    cast(trend_change as double) as trend_change,
    cast(trend_method as varchar) as trend_method,
    cast(trend_word as varchar) as trend_verdict,
    cast(t_p as double) as trend_p_value,
    cast(t_q as double) as trend_q_value,
    cast(coalesce(t_family, n_family) as varchar) as test_family,
    cast(min_important_change as double) as min_important_change,
    cast(interval_note as varchar) as interval_note,
    cast(is_right_direction as boolean) as is_right_direction
from worded
