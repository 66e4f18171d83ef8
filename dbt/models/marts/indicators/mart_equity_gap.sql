-- Per indicator × region × period (region level): the sex gap, the education gap, SII and RII
-- (computed in int_indicators__equity_gap), and the verdicts on them (issue 26): whether a gap is real
-- and whether it widens, each from its test's q-value in the year's one family of tests
-- (int_verdict__tests), or, for series without CIs, from the threshold for gaps. Method in
-- _indicators__models.yml; the words are the codes of the seed verdict_labels.

with gaps as (
    select * from {{ ref('int_indicators__equity_gap') }}
),

tests as (
    select * from {{ ref('int_verdict__tests') }}
    where source_model = 'mart_equity_gap'
),

joined as (
    select
        g.*,
        {%- for gap, kind in [('sex_gap', 'skillnad kvinnor–män'), ('education_gap', 'skillnad efter utbildning'),
                              ('sex_gap_trend', 'trend, skillnad kvinnor–män'),
                              ('education_gap_trend', 'trend, skillnad efter utbildning'), ('sii_trend', 'trend, SII')] %}
        t_{{ gap }}.p_value as {{ gap }}_p_value,
        t_{{ gap }}.q_value as {{ gap }}_q_value,
        t_{{ gap }}.is_real as {{ gap }}_is_real,
        t_{{ gap }}.test_family as {{ gap }}_test_family
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from gaps as g
    {%- for gap, kind in [('sex_gap', 'skillnad kvinnor–män'), ('education_gap', 'skillnad efter utbildning'),
                          ('sex_gap_trend', 'trend, skillnad kvinnor–män'),
                          ('education_gap_trend', 'trend, skillnad efter utbildning'), ('sii_trend', 'trend, SII')] %}
    left join tests as t_{{ gap }}
        on t_{{ gap }}.indicator_code = g.indicator_code and t_{{ gap }}.region_code = g.region_code
        and t_{{ gap }}.period = g.period and t_{{ gap }}.test_kind = '{{ kind }}'
    {%- endfor %}
)

select
    cast(indicator_code as varchar) as indicator_code,
    cast(region_code as varchar) as region_code,
    cast(period as varchar) as period,
    cast(period_end_year as integer) as period_end_year,
    cast(period_type as varchar) as period_type,
    cast(value_total as double) as value_total,
    cast(value_women as double) as value_women,
    cast(value_men as double) as value_men,
    cast(sex_gap_difference as double) as sex_gap_difference,
    cast(sex_gap_ci_low as double) as sex_gap_ci_low,
    cast(sex_gap_ci_high as double) as sex_gap_ci_high,
    cast(sex_gap_ratio as double) as sex_gap_ratio,
    cast(value_low_education as double) as value_low_education,
    cast(value_mid_education as double) as value_mid_education,
    cast(value_high_education as double) as value_high_education,
    cast(education_gap_difference as double) as education_gap_difference,
    cast(education_gap_ci_low as double) as education_gap_ci_low,
    cast(education_gap_ci_high as double) as education_gap_ci_high,
    cast(education_gap_ratio as double) as education_gap_ratio,
    cast(sii as double) as sii,
    cast(sii_ci_low as double) as sii_ci_low,
    cast(sii_ci_high as double) as sii_ci_high,
    cast(rii as double) as rii,
    cast(rii_ci_low as double) as rii_ci_low,
    cast(rii_ci_high as double) as rii_ci_high,
    cast(rii_ci_note as varchar) as rii_ci_note,
    cast(inequality_weighting as varchar) as inequality_weighting,
    cast(sii_rii_method as varchar) as sii_rii_method,
    cast(population_year as integer) as population_year,
    cast(trend_base_period as varchar) as trend_base_period,
    -- Is the gap real? From the z-test of the gap against 0 (both groups with CIs), adjusted.
    cast(case
        when sex_gap_p_value is null then null
        when not sex_gap_is_real then 'ingen säker skillnad'
        when sex_gap_estimate > 0 then 'kvinnor högre'
        else 'män högre'
    end as varchar) as sex_gap_verdict,
    cast(sex_gap_p_value as double) as sex_gap_p_value,
    cast(sex_gap_q_value as double) as sex_gap_q_value,
    cast(case
        when education_gap_p_value is null then null
        when not education_gap_is_real then 'ingen säker skillnad'
        when education_gap_estimate > 0 then 'högre med eftergymnasial utbildning'
        else 'lägre med eftergymnasial utbildning'
    end as varchar) as education_gap_verdict,
    cast(education_gap_p_value as double) as education_gap_p_value,
    cast(education_gap_q_value as double) as education_gap_q_value,
    {%- for gap in ['sex_gap', 'education_gap', 'sii'] %}
    -- Does the gap's size change? Test rows from q; rows without CIs from the threshold for gaps.
    cast(case
        when {{ gap }}_trend_rule = 'test' and {{ gap }}_trend_p_value is null then 'oförändrad'
        when {{ gap }}_trend_rule = 'test' and not {{ gap }}_trend_is_real then 'oförändrad'
        when {{ gap }}_trend_rule = 'test' and {{ gap }}_trend_estimate > 0 then 'vidgas'
        when {{ gap }}_trend_rule = 'test' then 'minskar'
        when {{ gap }}_trend_threshold_direction = 0 then 'ingen förändring över tröskeln'
        when {{ gap }}_trend_threshold_direction > 0 then 'vidgas (över tröskeln)'
        when {{ gap }}_trend_threshold_direction < 0 then 'minskar (över tröskeln)'
    end as varchar) as {{ gap }}_trend,
    cast({{ gap }}_trend_rule as varchar) as {{ gap }}_trend_rule,
    cast(round({{ gap }}_trend_estimate, 4) as double) as {{ gap }}_trend_change,
    cast({{ gap }}_trend_p_value as double) as {{ gap }}_trend_p_value,
    cast({{ gap }}_trend_q_value as double) as {{ gap }}_trend_q_value,
    {%- endfor %}
    cast(coalesce(sex_gap_test_family, education_gap_test_family, sex_gap_trend_test_family,
                  education_gap_trend_test_family, sii_trend_test_family) as varchar) as test_family,
    cast(gap_min_important_change as double) as gap_min_important_change,
    cast(case
        when trend_base_period is null then null
        when coalesce(sex_gap_trend_rule, education_gap_trend_rule, sii_trend_rule) = 'test' then 'konfidensintervall'
        when coalesce(sex_gap_trend_rule, education_gap_trend_rule, sii_trend_rule) = 'tröskel' then 'tröskel (KI saknas)'
    end as varchar) as trend_basis,
    cast(interval_note as varchar) as interval_note
from joined
