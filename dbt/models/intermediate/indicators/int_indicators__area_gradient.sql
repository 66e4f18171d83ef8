-- The gradient across areas (HEAT / ScotPHO area-based SII and RII), per indicator × period × sex ×
-- area level: the län (or the kommuner) are ranked from the lowest to the highest share of the population
-- with post-secondary education (int_indicators__area_education, the year nearest the period's last year),
-- each area is placed at the midpoint of its range in the cumulative population share (its ridit r, 0 = least
-- educated end, 1 = most educated end), and the value is regressed on r by population-weighted least squares.
-- SII = the slope = fitted value at r = 1 minus fitted value at r = 0 (in the indicator's unit);
-- RII = the ratio form: fitted value at r = 1 divided by fitted value at r = 0.
-- Standard errors: heteroscedasticity-robust (HC1 sandwich) from the residuals of the areas, since area
-- values carry no sampling CIs (register and Kolada data); the RII interval is built on the log scale by the
-- delta method and only when both fitted ends are clearly above zero, so it cannot explode.
-- Estimates are rounded to 6 decimals.
{%- set z = 1.96 %}

with area_values as (
    select
        indicator_code,
        period,
        period_end_year,
        sex,
        coalesce(municipality_code, region_code) as area_code,
        case when municipality_code is not null then 'municipality' else 'county' end as area_level,
        value
    from {{ ref('int_indicators__values') }}
    where education = 'total' and region_code <> '00' and value is not null
),

population_years as (
    select distinct area_level, year from {{ ref('int_indicators__area_education') }}
),

-- The population year nearest each period's last year (the later on a tie), per area level.
nearest as (
    select s.indicator_code, s.period, s.sex, s.area_level, y.year as population_year
    from (select distinct indicator_code, period, period_end_year, sex, area_level from area_values) as s
    inner join population_years as y on y.area_level = s.area_level
    qualify row_number() over (
        partition by s.indicator_code, s.period, s.sex, s.area_level
        order by abs(y.year - s.period_end_year), y.year desc
    ) = 1
),

ranked as (
    select v.*, n.population_year, a.population, a.share_post_secondary
    from area_values as v
    inner join nearest as n
        on n.indicator_code = v.indicator_code and n.period = v.period and n.sex = v.sex
        and n.area_level = v.area_level
    inner join {{ ref('int_indicators__area_education') }} as a
        on a.area_code = v.area_code and a.year = n.population_year
),

-- Weights w (population shares) and ridits r: cumulative population, least educated area first.
ridits as (
    select
        *,
        population / sum(population) over (partition by indicator_code, period, sex, area_level) as w,
        (sum(population) over (
            partition by indicator_code, period, sex, area_level
            order by share_post_secondary, area_code rows between unbounded preceding and current row
        ) - population / 2.0) / sum(population) over (partition by indicator_code, period, sex, area_level) as r
    from ranked
),

means as (
    select
        *,
        sum(w * r) over (partition by indicator_code, period, sex, area_level) as r_mean,
        sum(w * value) over (partition by indicator_code, period, sex, area_level) as y_mean
    from ridits
),

moments as (
    select
        *,
        sum(w * (r - r_mean) ^ 2) over (partition by indicator_code, period, sex, area_level) as sxx,
        sum(w * (r - r_mean) * (value - y_mean)) over (partition by indicator_code, period, sex, area_level) as sxy
    from means
),

-- Each estimate is a linear combination of the area values: SII = sum c y, v0 = sum d y, v1 = sum e y.
terms as (
    select
        *,
        sxy / sxx as sii,
        y_mean - sxy / sxx * r_mean as v0,
        y_mean + sxy / sxx * (1 - r_mean) as v1,
        value - (y_mean + sxy / sxx * (r - r_mean)) as resid,
        w * (r - r_mean) / sxx as c,
        w - r_mean * w * (r - r_mean) / sxx as d,
        w + (1 - r_mean) * w * (r - r_mean) / sxx as e
    from moments
    where sxx > 0
),

fitted as (
    select
        indicator_code,
        period,
        sex,
        area_level,
        any_value(period_end_year) as period_end_year,
        any_value(population_year) as population_year,
        count(*) as n_areas,
        sum(population) as population,
        any_value(sii) as sii,
        any_value(v0) as v0,
        any_value(v1) as v1,
        -- HC1: n / (n - 2) times the sandwich sum of squared residuals.
        count(*) / (count(*) - 2.0) * sum(c ^ 2 * resid ^ 2) as var_sii,
        count(*) / (count(*) - 2.0) * sum(d ^ 2 * resid ^ 2) as var_v0,
        count(*) / (count(*) - 2.0) * sum(e ^ 2 * resid ^ 2) as var_v1,
        case when round(any_value(v0), 6) > 0 and round(any_value(v1), 6) > 0 then
            count(*) / (count(*) - 2.0) * sum((e / v1 - d / v0) ^ 2 * resid ^ 2)
        end as var_ln_rii
    from terms
    group by indicator_code, period, sex, area_level
    having count(*) >= greatest({{ var('area_gradient_min_areas', 10) }}, 3)
),

final as (
    select
        *,
        sqrt(var_sii) as sii_se,
        case when round(v0, 6) > 0 and round(v1, 6) > 0 then v1 / v0 end as rii,
        case
            when not (round(v0, 6) > 0 and round(v1, 6) > 0) then null
            when v0 - {{ z }} * sqrt(var_v0) <= 0 or v1 - {{ z }} * sqrt(var_v1) <= 0 then
                'inget KI: en ände av regressionslinjen är inte säkert över noll, så deltametoden gäller inte'
        end as rii_ci_note
    from fitted
)

select
    cast(indicator_code as varchar) as indicator_code,
    cast(area_level as varchar) as area_level,
    cast(sex as varchar) as sex,
    cast(period as varchar) as period,
    cast(period_end_year as integer) as period_end_year,
    cast(population_year as integer) as population_year,
    cast(n_areas as integer) as n_areas,
    cast(population as bigint) as population,
    cast(round(v0, 6) as double) as fitted_least_educated,
    cast(round(v1, 6) as double) as fitted_most_educated,
    cast(round(sii, 6) as double) as sii,
    cast(round(sii_se, 6) as double) as sii_se,
    cast(round(sii - {{ z }} * sii_se, 6) as double) as sii_ci_low,
    cast(round(sii + {{ z }} * sii_se, 6) as double) as sii_ci_high,
    cast(round(rii, 6) as double) as rii,
    cast(round(case when rii_ci_note is null then sqrt(var_ln_rii) end, 6) as double) as ln_rii_se,
    cast(round(case when rii_ci_note is null then rii * exp(-{{ z }} * sqrt(var_ln_rii)) end, 6) as double) as rii_ci_low,
    cast(round(case when rii_ci_note is null then rii * exp({{ z }} * sqrt(var_ln_rii)) end, 6) as double) as rii_ci_high,
    cast(rii_ci_note as varchar) as rii_ci_note,
    cast('area_education' as varchar) as inequality_dimension,
    cast(
        'områden (' || case when area_level = 'county' then 'län' else 'kommuner' end
        || ') rangordnade efter andel 25-64 år med eftergymnasial utbildning (SCB UF0506B); ridit = '
        || 'kumulativ befolkningsandel; befolkningsviktad regression (WLS) av värdet på ridit; SII = lutningen, '
        || 'RII = kvoten anpassat värde vid ridit 1 / vid ridit 0; SE robust (HC1), RII-KI på log-skala'
        as varchar
    ) as method
from final
