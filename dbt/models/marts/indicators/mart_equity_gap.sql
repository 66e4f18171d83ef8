-- Per indicator × region × period (region level): the sex gap, the education gap, SII and RII
-- (computed in int_indicators__equity_gap), and the verdicts on them (issue 26): whether a gap is real
-- and whether it widens, each from its test's q-value in the year's one family of tests
-- (int_verdict__tests), or, for series without CIs, from the threshold for gaps. Method in
-- mart_equity_gap.yml; the words are the codes of the seed verdict_labels.
-- Union: the gradient across areas (inequality_dimension 'area_education', region '00', one row per area
-- level) from int_indicators__area_gradient (issue 25). Every row says its inequality_dimension and method.

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
        ser.description_sv as series_description,
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
    -- An education series from another table (indicator_series.csv) says what it measures.
    left join {{ ref('indicator_series') }} as ser
        on ser.code = g.indicator_code and ser.breakdowns like '%education%'
),

gap_rows as (
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
    cast(interval_note as varchar) as interval_note,
    cast(case when sii is not null or value_low_education is not null then 'education' else 'sex' end
        as varchar) as inequality_dimension,
    cast(null as varchar) as area_level,
    cast(null as integer) as n_areas,
    cast(sii_se as double) as sii_se,
    cast(ln_rii_se as double) as ln_rii_se,
    cast(case
        when sii is not null then 'utbildningsgrupper (förgymnasial, gymnasial, eftergymnasial; kön totalt): '
            || sii_rii_method || '; SII = lutningen, RII = kvoten anpassat värde vid ridit 1 / vid ridit 0; '
            || 'SE deltametoden från gruppernas KI' || coalesce('; utbildningsserien: ' || series_description, '')
        when value_low_education is not null then 'utbildningsgrupper: skillnad eftergymnasial - förgymnasial'
        else 'kön: skillnad kvinnor - män'
    end as varchar) as method
from joined
),

indicator as (
    select indicator_code, period_type from {{ ref('dim_indicator') }}
)

select * from gap_rows
union all by name
select
    a.indicator_code,
    '00' as region_code,
    a.period,
    a.period_end_year,
    coalesce(i.period_type, case when a.period like '%-%' then 'rolling4' else 'annual' end) as period_type,
    cast(round(a.sii, 4) as double) as sii,
    cast(round(a.sii_ci_low, 4) as double) as sii_ci_low,
    cast(round(a.sii_ci_high, 4) as double) as sii_ci_high,
    cast(round(a.rii, 4) as double) as rii,
    cast(round(a.rii_ci_low, 4) as double) as rii_ci_low,
    cast(round(a.rii_ci_high, 4) as double) as rii_ci_high,
    a.rii_ci_note,
    'befolkningsandelar' as inequality_weighting,
    'befolkningsviktad regression (ridit) över områden' as sii_rii_method,
    a.population_year,
    a.inequality_dimension,
    a.area_level,
    a.n_areas,
    cast(round(a.sii_se, 4) as double) as sii_se,
    cast(round(a.ln_rii_se, 6) as double) as ln_rii_se,
    a.method
from {{ ref('int_indicators__area_gradient') }} as a
left join indicator as i on i.indicator_code = a.indicator_code
where a.sex = 'T'
