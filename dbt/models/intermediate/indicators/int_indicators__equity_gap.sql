-- Per indicator × region × period (region level): the sex gap, the education gap, SII and RII over the
-- three ordered education groups, and the change in each gap's size against a non-overlapping earlier
-- period, with the estimates and standard errors that int_verdict__tests tests (issue 26). The verdicts
-- are worded in mart_equity_gap after the adjustment. Method in mart_equity_gap.yml.
-- A standard error is read back from a 95 % CI (macro ci_se: symmetric within rounding, else the wider half).

{%- set z = 1.96 %}

with indicator as (
    select indicator_code, period_type, gap_min_important_change
    from {{ ref('dim_indicator') }}
),

region_values as (
    select
        indicator_code,
        region_code,
        period,
        period_end_year,
        sex,
        education,
        value,
        {{ ci_se('value', 'ci_low', 'ci_high', 'decimals') }} as se,
        {{ ci_decimals('ci_low', 'ci_high', 'decimals') }} as ci_decimals,
        {{ ci_is_asymmetric('value', 'ci_low', 'ci_high', 'decimals') }} as ci_is_asymmetric
    from {{ ref('fct_indicator_value') }} as f
    left join (select indicator_code, decimals from {{ ref('dim_indicator') }}) as d using (indicator_code)
    where municipality_code is null
),

-- How precise the intervals behind a row are: the fewest decimals and whether any is asymmetric.
precision as (
    select
        indicator_code,
        region_code,
        period,
        min(ci_decimals) as ci_decimals,
        bool_or(coalesce(ci_is_asymmetric, false)) as ci_is_asymmetric
    from region_values
    where ci_decimals is not null and (sex in ('K', 'M') or education <> 'total')
    group by indicator_code, region_code, period
),

-- Periods with a sex or an education breakdown.
keys as (
    select distinct indicator_code, region_code, period, period_end_year
    from region_values
    where sex in ('K', 'M') or education <> 'total'
),

by_sex as (
    select
        indicator_code,
        region_code,
        period,
        max(value) filter (where sex = 'T') as value_total,
        max(value) filter (where sex = 'K') as value_women,
        max(se) filter (where sex = 'K') as se_women,
        max(value) filter (where sex = 'M') as value_men,
        max(se) filter (where sex = 'M') as se_men
    from region_values
    where education = 'total'
    group by indicator_code, region_code, period
),

-- The three education groups side by side (1 = förgymnasial, the most disadvantaged, to 3), for sex T.
-- Everything below is scalar arithmetic on these columns, so results do not depend on row order.
education_wide as (
    select
        v.indicator_code,
        v.region_code,
        v.period,
        max(v.period_end_year) as period_end_year,
        {%- for j in [1, 2, 3] %}
        max(v.value) filter (where g.education_rank = {{ j }}) as y{{ j }},
        max(v.se) filter (where g.education_rank = {{ j }}) as se{{ j }},
        {%- endfor %}
        count(v.value) as n_groups
    from region_values as v
    inner join (
        select * from (values ('förgymnasial', 1), ('gymnasial', 2), ('eftergymnasial', 3)) as r (education, education_rank)
    ) as g on g.education = v.education
    where v.sex = 'T'
    group by v.indicator_code, v.region_code, v.period
),

-- Population shares of the region in the year nearest the period's last year (the later on a tie).
nearest_population_year as (
    select e.indicator_code, e.region_code, e.period, s.year as population_year
    from education_wide as e
    inner join (select distinct region_code, year from {{ ref('int_indicators__education_groups') }}) as s
        on s.region_code = e.region_code
    qualify row_number() over (
        partition by e.indicator_code, e.region_code, e.period
        order by abs(s.year - e.period_end_year), s.year desc
    ) = 1
),

-- Population shares p_j of the three groups; equal shares only when the region has none.
group_shares as (
    select
        e.indicator_code,
        e.region_code,
        e.period,
        any_value(y.population_year) as population_year,
        case when any_value(y.population_year) is null then 'lika vikter (befolkningsandelar saknas)'
            else 'befolkningsandelar' end as weighting,
        {%- for j in [1, 2, 3] %}
        coalesce(max(g.population_share) filter (where g.education_rank = {{ j }}), 1.0 / 3) as p{{ j }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from education_wide as e
    left join nearest_population_year as y
        on y.indicator_code = e.indicator_code and y.region_code = e.region_code and y.period = e.period
    left join {{ ref('int_indicators__education_groups') }} as g
        on g.region_code = e.region_code and g.year = y.population_year
    group by e.indicator_code, e.region_code, e.period
),

-- Shares normalised to weights w_j, and ridit scores r_j: the midpoint of each group's range in the
-- cumulative share.
shares as (
    select
        indicator_code,
        region_code,
        period,
        population_year,
        weighting,
        p1 / (p1 + p2 + p3) as w1,
        p2 / (p1 + p2 + p3) as w2,
        p3 / (p1 + p2 + p3) as w3,
        (p1 / 2) / (p1 + p2 + p3) as r1,
        (p1 + p2 / 2) / (p1 + p2 + p3) as r2,
        (p1 + p2 + p3 / 2) / (p1 + p2 + p3) as r3
    from group_shares
),

centred as (
    select
        e.*,
        s.* exclude (indicator_code, region_code, period),
        s.w1 * s.r1 + s.w2 * s.r2 + s.w3 * s.r3 as r_mean,
        e.y1 * s.w1 + e.y2 * s.w2 + e.y3 * s.w3 as y_mean
    from education_wide as e
    inner join shares as s
        on s.indicator_code = e.indicator_code and s.region_code = e.region_code and s.period = e.period
    where e.n_groups = 3
),

-- Weighted least squares of value on ridit: SII = sum c_j y_j with c_j = w_j (r_j - r_mean) / Sxx.
slope as (
    select
        *,
        {%- for j in [1, 2, 3] %}
        w{{ j }} * (r{{ j }} - r_mean)
            / (w1 * (r1 - r_mean) ^ 2 + w2 * (r2 - r_mean) ^ 2 + w3 * (r3 - r_mean) ^ 2) as c{{ j }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from centred
),

-- Fitted values at rank 0 and 1: v0 = sum d_j y_j with d_j = w_j - r_mean c_j, v1 = sum e_j y_j with
-- e_j = w_j + (1 - r_mean) c_j. Sampling variance by the delta method (groups independent, shares fixed).
education_fit as (
    select
        indicator_code,
        region_code,
        period,
        weighting,
        population_year,
        c1 * y1 + c2 * y2 + c3 * y3 as sii,
        {%- for j in [1, 2, 3] %}
        w{{ j }} - r_mean * c{{ j }} as d{{ j }},
        w{{ j }} + (1 - r_mean) * c{{ j }} as e{{ j }},
        {%- endfor %}
        c1 ^ 2 * se1 ^ 2 + c2 ^ 2 * se2 ^ 2 + c3 ^ 2 * se3 ^ 2 as var_sii,
        y1, y2, y3, se1, se2, se3
    from slope
),

education_measures as (
    select
        *,
        d1 * y1 + d2 * y2 + d3 * y3 as v0,
        e1 * y1 + e2 * y2 + e3 * y3 as v1,
        -- Standard errors of the fitted ends: the delta method for ln RII needs both clearly above 0.
        sqrt(d1 ^ 2 * se1 ^ 2 + d2 ^ 2 * se2 ^ 2 + d3 ^ 2 * se3 ^ 2) as v0_se,
        sqrt(e1 ^ 2 * se1 ^ 2 + e2 ^ 2 * se2 ^ 2 + e3 ^ 2 * se3 ^ 2) as v1_se
    from education_fit
),

education_ratio as (
    select
        *,
        -- A ratio means nothing once the fitted line crosses zero at either end.
        case when round(v0, 6) > 0 and round(v1, 6) > 0 then v1 / v0 end as rii,
        case when round(v0, 6) > 0 and round(v1, 6) > 0 then
            {%- for j in [1, 2, 3] %}
            (e{{ j }} / v1 - d{{ j }} / v0) ^ 2 * se{{ j }} ^ 2 {% if not loop.last %}+{% endif %}
            {%- endfor %}
        end as var_ln_rii,
        case
            when not (round(v0, 6) > 0 and round(v1, 6) > 0) then null
            when v0_se is null or v1_se is null then 'KI saknas i underlaget'
            when v0 - {{ z }} * v0_se <= 0 or v1 - {{ z }} * v1_se <= 0 then
                'inget KI: en ände av regressionslinjen är inte säkert över noll, så deltametoden gäller inte'
        end as rii_ci_note
    from education_measures
),

by_education as (
    select
        w.indicator_code,
        w.region_code,
        w.period,
        w.y1 as value_low,
        w.y2 as value_mid,
        w.y3 as value_high,
        w.se1 as se_low,
        w.se3 as se_high,
        r.sii,
        sqrt(r.var_sii) as sii_se,
        r.rii,
        case when r.rii_ci_note is null then sqrt(r.var_ln_rii) end as ln_rii_se,
        r.rii_ci_note,
        r.weighting,
        r.population_year
    from education_wide as w
    left join education_ratio as r
        on r.indicator_code = w.indicator_code and r.region_code = w.region_code and r.period = w.period
),

measures as (
    select
        k.indicator_code,
        k.region_code,
        k.period,
        k.period_end_year,
        -- The period's own type, read from its label: an indicator may hold series of both kinds (H4: four-year
        -- means per län, single survey years by education from another table, indicator_series.csv).
        case
            when regexp_full_match(k.period, '\d{4}-\d{4}')
                then 'rolling' || (cast(right(k.period, 4) as integer) - cast(left(k.period, 4) as integer) + 1)
            else 'annual'
        end as period_type,

        i.gap_min_important_change,
        s.value_total,
        s.value_women,
        s.value_men,
        s.value_women - s.value_men as sex_gap,
        sqrt(s.se_women ^ 2 + s.se_men ^ 2) as sex_gap_se,
        s.value_women / nullif(s.value_men, 0) as sex_ratio,
        e.value_low,
        e.value_mid,
        e.value_high,
        e.value_high - e.value_low as education_gap,
        sqrt(e.se_high ^ 2 + e.se_low ^ 2) as education_gap_se,
        e.value_high / nullif(e.value_low, 0) as education_ratio,
        e.sii,
        e.sii_se,
        e.rii,
        e.ln_rii_se,
        e.rii_ci_note,
        e.weighting,
        e.population_year,
        pr.ci_decimals,
        pr.ci_is_asymmetric
    from keys as k
    left join precision as pr
        on pr.indicator_code = k.indicator_code and pr.region_code = k.region_code and pr.period = k.period
    left join indicator as i on i.indicator_code = k.indicator_code
    left join by_sex as s
        on s.indicator_code = k.indicator_code and s.region_code = k.region_code and s.period = k.period
    left join by_education as e
        on e.indicator_code = k.indicator_code and e.region_code = k.region_code and e.period = k.period
),

-- The period each row is compared with, always of the same period type: for rolling four-year means the one
-- ending four years earlier (the nearest that does not overlap); for annual data the earliest of the four
-- years before.
base as (
    select
        cur.indicator_code,
        cur.region_code,
        cur.period,
        min(prev.period_end_year) as base_end_year
    from measures as cur
    inner join measures as prev
        on prev.indicator_code = cur.indicator_code and prev.region_code = cur.region_code
        and prev.period_type = cur.period_type
        and prev.period_end_year between cur.period_end_year - case when cur.period_type = 'rolling5' then 5 else 4 end
        and cur.period_end_year - case when cur.period_type = 'rolling4' then 4
            when cur.period_type = 'rolling5' then 5 else 1 end
    group by cur.indicator_code, cur.region_code, cur.period
),

compared as (
    select
        m.*,
        p.period as base_period,
        p.sex_gap as base_sex_gap,
        p.sex_gap_se as base_sex_gap_se,
        p.education_gap as base_education_gap,
        p.education_gap_se as base_education_gap_se,
        p.sii as base_sii,
        p.sii_se as base_sii_se
    from measures as m
    left join base as b
        on b.indicator_code = m.indicator_code and b.region_code = m.region_code and b.period = m.period
    left join measures as p
        on p.indicator_code = m.indicator_code and p.region_code = m.region_code
        and p.period_type = m.period_type and p.period_end_year = b.base_end_year
),

final as (
    select
        cast(indicator_code as varchar) as indicator_code,
        cast(region_code as varchar) as region_code,
        cast(period as varchar) as period,
        cast(period_end_year as integer) as period_end_year,
        cast(period_type as varchar) as period_type,
        cast(value_total as double) as value_total,
        cast(value_women as double) as value_women,
        cast(value_men as double) as value_men,
        cast(round(sex_gap, 4) as double) as sex_gap_difference,
        cast(round(sex_gap - {{ z }} * sex_gap_se, 4) as double) as sex_gap_ci_low,
        cast(round(sex_gap + {{ z }} * sex_gap_se, 4) as double) as sex_gap_ci_high,
        cast(round(sex_ratio, 4) as double) as sex_gap_ratio,
        cast(value_low as double) as value_low_education,
        cast(value_mid as double) as value_mid_education,
        cast(value_high as double) as value_high_education,
        cast(round(education_gap, 4) as double) as education_gap_difference,
        cast(round(education_gap - {{ z }} * education_gap_se, 4) as double) as education_gap_ci_low,
        cast(round(education_gap + {{ z }} * education_gap_se, 4) as double) as education_gap_ci_high,
        cast(round(education_ratio, 4) as double) as education_gap_ratio,
        cast(round(sii, 4) as double) as sii,
        cast(round(sii - {{ z }} * sii_se, 4) as double) as sii_ci_low,
        cast(round(sii + {{ z }} * sii_se, 4) as double) as sii_ci_high,
        cast(round(rii, 4) as double) as rii,
        cast(round(rii * exp(-{{ z }} * ln_rii_se), 4) as double) as rii_ci_low,
        cast(round(rii * exp({{ z }} * ln_rii_se), 4) as double) as rii_ci_high,
        cast(round(sii_se, 4) as double) as sii_se,
        cast(round(ln_rii_se, 6) as double) as ln_rii_se,
        cast(rii_ci_note as varchar) as rii_ci_note,
        cast(weighting as varchar) as inequality_weighting,
        cast(case
            when sii is null then null
            when weighting = 'befolkningsandelar' then 'befolkningsviktad regression (ridit)'
            else 'lika vikter (befolkningsandelar saknas)'
        end as varchar) as sii_rii_method,
        cast(population_year as integer) as population_year,
        cast(base_period as varchar) as trend_base_period,
        cast(gap_min_important_change as double) as gap_min_important_change,
        cast(ci_decimals as integer) as ci_decimals,
        cast(ci_is_asymmetric as boolean) as ci_is_asymmetric,
        cast({{ ci_note('ci_decimals', 'ci_is_asymmetric') }} as varchar) as interval_note,
        -- Unrounded estimates and standard errors: the level tests (gap ≠ 0) and the trend tests.
        cast(sex_gap as double) as sex_gap_estimate,
        cast(sex_gap_se as double) as sex_gap_se,
        cast(education_gap as double) as education_gap_estimate,
        cast(education_gap_se as double) as education_gap_se,
        {%- for gap in ['sex_gap', 'education_gap', 'sii'] %}
        -- Change in the gap's size, |g₁| − |g₀|: tested when both periods have a se, else the threshold rule.
        cast(abs({{ gap }}) - abs(base_{{ gap }}) as double) as {{ gap }}_trend_estimate,
        cast(
            case
                when {{ gap }} is null or base_{{ gap }} is null then null
                when {{ gap }}_se is not null and base_{{ gap }}_se is not null then 'test'
                when gap_min_important_change is not null then 'tröskel'
            end as varchar
        ) as {{ gap }}_trend_rule,
        cast(case when {{ gap }}_se is not null and base_{{ gap }}_se is not null
            then sqrt({{ gap }}_se ^ 2 + base_{{ gap }}_se ^ 2) end as double) as {{ gap }}_trend_se,
        cast(
            case
                when {{ gap }} is null or base_{{ gap }} is null
                    or ({{ gap }}_se is not null and base_{{ gap }}_se is not null)
                    or gap_min_important_change is null then null
                when round(abs(abs({{ gap }}) - abs(base_{{ gap }})), 4) < gap_min_important_change then 0
                else sign(abs({{ gap }}) - abs(base_{{ gap }}))
            end as integer
        ) as {{ gap }}_trend_threshold_direction
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from compared
)

select * from final
