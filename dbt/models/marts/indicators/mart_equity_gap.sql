-- Per indicator × region × period (region level): the sex gap, the education gap, SII and RII over the
-- three ordered education groups, and whether each gap widens. Method in _indicators__models.yml.
-- A standard error is read back from a 95 % CI as (ci_high - ci_low) / (2 × 1.96).

{%- set z = 1.96 %}

with indicator as (
    select indicator_code, period_type, change_threshold
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
        (ci_high - ci_low) / (2 * {{ z }}) as se
    from {{ ref('fct_indicator_value') }}
    where municipality_code is null
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
        {%- for j in [1, 2, 3] %}
        max(v.value) filter (where g.education_rank = {{ j }}) as y{{ j }},
        max(v.se) filter (where g.education_rank = {{ j }}) as se{{ j }},
        {%- endfor %}
        count(v.value) as n_groups
    from region_values as v
    inner join {{ ref('int_indicators__education_groups') }} as g on g.education = v.education
    where v.sex = 'T'
    group by v.indicator_code, v.region_code, v.period
),

-- Population shares p_j of the three groups.
group_shares as (
    select
        any_value(weighting) as weighting,
        {%- for j in [1, 2, 3] %}
        max(population_share) filter (where education_rank = {{ j }}) as p{{ j }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('int_indicators__education_groups') }}
),

-- Shares normalised to weights w_j, and ridit scores r_j: the midpoint of each group's range in the
-- cumulative share.
shares as (
    select
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
        s.*,
        s.w1 * s.r1 + s.w2 * s.r2 + s.w3 * s.r3 as r_mean,
        e.y1 * s.w1 + e.y2 * s.w2 + e.y3 * s.w3 as y_mean
    from education_wide as e
    cross join shares as s
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
        e1 * y1 + e2 * y2 + e3 * y3 as v1
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
        end as var_ln_rii
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
        sqrt(r.var_ln_rii) as ln_rii_se,
        r.weighting
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
        coalesce(i.period_type, case when k.period like '%-%' then 'rolling4' else 'annual' end) as period_type,
        i.change_threshold,
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
        e.weighting
    from keys as k
    left join indicator as i on i.indicator_code = k.indicator_code
    left join by_sex as s
        on s.indicator_code = k.indicator_code and s.region_code = k.region_code and s.period = k.period
    left join by_education as e
        on e.indicator_code = k.indicator_code and e.region_code = k.region_code and e.period = k.period
),

-- The period each row is compared with: for rolling four-year means the one ending four years earlier
-- (the nearest that does not overlap); for annual data the earliest of the four years before.
base as (
    select
        cur.indicator_code,
        cur.region_code,
        cur.period,
        min(prev.period_end_year) as base_end_year
    from measures as cur
    inner join measures as prev
        on prev.indicator_code = cur.indicator_code and prev.region_code = cur.region_code
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
        and p.period_end_year = b.base_end_year
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
        cast(weighting as varchar) as inequality_weighting,
        cast(base_period as varchar) as trend_base_period,
        {%- for gap in ['sex_gap', 'education_gap', 'sii'] %}
        -- Widening when the gap's size grows by more than chance (both CIs) or by the threshold (no CI).
        cast(
            case
                when {{ gap }} is null or base_{{ gap }} is null then null
                when {{ gap }}_se is not null and base_{{ gap }}_se is not null then
                    case
                        when abs(abs({{ gap }}) - abs(base_{{ gap }}))
                            <= {{ z }} * sqrt({{ gap }}_se ^ 2 + base_{{ gap }}_se ^ 2) then 'oförändrad'
                        when abs({{ gap }}) > abs(base_{{ gap }}) then 'vidgas'
                        else 'minskar'
                    end
                when change_threshold is null then null
                when round(abs(abs({{ gap }}) - abs(base_{{ gap }})), 4) < change_threshold then 'oförändrad'
                when abs({{ gap }}) > abs(base_{{ gap }}) then 'vidgas'
                else 'minskar'
            end as varchar
        ) as {{ gap }}_trend,
        {%- endfor %}
        cast(
            case
                when base_period is null then null
                when coalesce(sex_gap_se, education_gap_se) is not null
                    and coalesce(base_sex_gap_se, base_education_gap_se) is not null then 'konfidensintervall'
                when change_threshold is not null then 'tröskel (KI saknas)'
            end as varchar
        ) as trend_basis
    from compared
)

select * from final
