-- Per report year × indicator × region × sex (education total, region level): the latest value up to the
-- report year, and the two tests behind mart_indicator_assessment's verdicts, before any adjustment:
-- the trend (latest against its base period) and the comparison with riket. Each test's estimate, se and
-- unadjusted p go to int_verdict__tests, which adjusts all tests of a report year together (BH); the mart
-- joins q back and words the verdict. Rows without any CI get the threshold rule instead (direction here).
-- Periods ending after the report year are left out. The method is stated in mart_indicator_assessment.yml.

{%- set z = 1.96 %}
{#- 'BH 5 %': the adjustment named with the FDR it uses (var verdict_fdr). -#}
{%- set bh = 'BH ' ~ ('%g' | format(var('verdict_fdr') * 100)) ~ ' %' %}

with report_years as (
    select unnest({{ var('report_years') }}) as report_year
),

-- change_threshold below is the catalogue's minimal important change (min_important_change, with its
-- rationale there), not its change_threshold, which the data-quality check uses for implausible jumps.
indicator as (
    select indicator_code, polarity, period_type, decimals, min_important_change as change_threshold
    from {{ ref('dim_indicator') }}
),

-- Each report year sees only the periods that had ended by then.
series as (
    select
        y.report_year,
        f.indicator_code,
        f.region_code,
        f.sex,
        f.period,
        f.period_end_year,
        f.value,
        f.ci_low,
        f.ci_high,
        f.status,
        -- The catalogue says how periods run; a period like '2019-2022' is a rolling mean if it does not.
        coalesce(i.period_type, case when f.period like '%-%' then 'rolling4' else 'annual' end) as period_type,
        i.polarity,
        i.decimals,
        i.change_threshold
    from {{ ref('fct_indicator_value') }} as f
    left join indicator as i on i.indicator_code = f.indicator_code
    inner join report_years as y on f.period_end_year <= y.report_year
    where f.education = 'total' and f.municipality_code is null
),

latest as (
    select * exclude (recency)
    from (
        select
            *,
            row_number() over (
                partition by report_year, indicator_code, region_code, sex
                order by period_end_year desc, period desc
            ) as recency
        from series
    )
    where recency = 1
),

first_with_value as (
    select * exclude (age)
    from (
        select
            *,
            row_number() over (
                partition by report_year, indicator_code, region_code, sex
                order by period_end_year, period
            ) as age
        from series
        where value is not null
    )
    where age = 1
),

-- The last five periods: those ending within four years of the latest, with a value.
last_five as (
    select s.*
    from series as s
    inner join latest as l
        on l.report_year = s.report_year and l.indicator_code = s.indicator_code
        and l.region_code = s.region_code and l.sex = s.sex
    where s.value is not null
      and l.value is not null
      and s.period_end_year between l.period_end_year - 4 and l.period_end_year
),

-- Sums for the straight line through the last five periods, in exact decimals so that the result does
-- not depend on the order rows are added in (x = years before the latest period).
last_five_stats as (
    select
        s.report_year,
        s.indicator_code,
        s.region_code,
        s.sex,
        count(*) as n_periods,
        min(s.period_end_year) as first_end_year,
        max(s.period_end_year) as last_end_year,
        sum(s.period_end_year - l.period_end_year) as sum_x,
        sum((s.period_end_year - l.period_end_year) ^ 2) as sum_xx,
        sum(cast(s.value as decimal(38, 6))) as sum_y,
        sum(cast(s.value as decimal(38, 6)) * (s.period_end_year - l.period_end_year)) as sum_xy,
        sum(cast(s.value as decimal(38, 6)) * cast(s.value as decimal(38, 6))) as sum_yy
    from last_five as s
    inner join latest as l
        on l.report_year = s.report_year and l.indicator_code = s.indicator_code
        and l.region_code = s.region_code and l.sex = s.sex
    group by s.report_year, s.indicator_code, s.region_code, s.sex
),

-- OLS: Sxx = sum_xx - sum_x^2/n, Sxy = sum_xy - sum_x sum_y/n, slope = Sxy/Sxx, SSE = Syy - Sxy^2/Sxx.
last_five_fit as (
    select
        *,
        cast(n_periods * sum_xy - sum_x * sum_y as double) / nullif(n_periods * sum_xx - sum_x ^ 2, 0) as slope,
        (n_periods * sum_xx - sum_x ^ 2) / n_periods as sxx,
        greatest(
            cast(n_periods * sum_yy - sum_y * sum_y as double) / n_periods
            - cast(n_periods * sum_xy - sum_x * sum_y as double) ^ 2
                / nullif(n_periods * (n_periods * sum_xx - sum_x ^ 2), 0),
            0
        ) as sse
    from last_five_stats
),

joined as (
    select
        l.*,
        n.value as national_value,
        n.ci_low as national_ci_low,
        n.ci_high as national_ci_high,
        fv.period as first_period,
        fv.value as first_value,
        fv.period_end_year as first_end_year,
        st.n_periods,
        st.slope,
        st.sxx,
        st.sse,
        st.last_end_year - st.first_end_year as window_span,
        w0.period as window_first_period,
        w0.value as window_first_value,
        w0.ci_low as window_first_ci_low,
        w0.ci_high as window_first_ci_high,
        -- Rolling means overlap; only the period ending four (five-year means: five) years earlier is independent.
        r4.period as rolling_base_period,
        r4.value as rolling_base_value,
        r4.ci_low as rolling_base_ci_low,
        r4.ci_high as rolling_base_ci_high
    from latest as l
    left join series as n
        on n.report_year = l.report_year and n.indicator_code = l.indicator_code and n.sex = l.sex
        and n.period = l.period
        and n.region_code = '00'
    left join first_with_value as fv
        on fv.report_year = l.report_year and fv.indicator_code = l.indicator_code
        and fv.region_code = l.region_code and fv.sex = l.sex
    left join last_five_fit as st
        on st.report_year = l.report_year and st.indicator_code = l.indicator_code
        and st.region_code = l.region_code and st.sex = l.sex
    left join last_five as w0
        on w0.report_year = l.report_year and w0.indicator_code = l.indicator_code
        and w0.region_code = l.region_code and w0.sex = l.sex
        and w0.period_end_year = st.first_end_year
    left join series as r4
        on r4.report_year = l.report_year and r4.indicator_code = l.indicator_code
        and r4.region_code = l.region_code and r4.sex = l.sex
        and r4.period_end_year = l.period_end_year - case when l.period_type = 'rolling5' then 5 else 4 end
        and r4.value is not null
),

-- Which test applies, its base period and the change it tests.
trend_setup as (
    select
        *,
        case
            when value is null then 'värde saknas'
            when period_type in ('rolling4', 'rolling5') and rolling_base_value is null then 'för få perioder'
            when period_type in ('rolling4', 'rolling5') then 'icke-överlappande perioder'
            when n_periods >= 3 then 'linjär trend'
            when n_periods = 2 then 'två perioder'
            else 'för få perioder'
        end as test_kind,
        case when period_type in ('rolling4', 'rolling5') then rolling_base_period else window_first_period end
            as base_period,
        case when period_type in ('rolling4', 'rolling5') then rolling_base_value else window_first_value end
            as base_value,
        case when period_type in ('rolling4', 'rolling5') then rolling_base_ci_low else window_first_ci_low end
            as base_ci_low,
        case when period_type in ('rolling4', 'rolling5') then rolling_base_ci_high else window_first_ci_high end
            as base_ci_high
    from joined
),

-- County shares of the population (25-64, SCB, the year nearest the period's end): a county is part of
-- riket, so cov(county, riket) ≈ w · se_county² and var(county − riket) = se_c² + se_r² − 2 w se_c².
-- Without a share w = 0, which overstates the variance: the test is then conservative.
region_population as (
    select region_code, year, sum(population) as population
    from {{ ref('int_indicators__education_groups') }}
    group by region_code, year
),

county_share as (
    select c.region_code, c.year, c.population / r.population as population_share
    from region_population as c
    inner join region_population as r on r.region_code = '00' and r.year = c.year
    where c.region_code <> '00' and r.population > 0
),

nearest_share as (
    select t.report_year, t.indicator_code, t.region_code, t.sex, s.population_share, s.year as share_year
    from trend_setup as t
    inner join county_share as s on s.region_code = t.region_code
    qualify row_number() over (
        partition by t.report_year, t.indicator_code, t.region_code, t.sex
        order by abs(s.year - t.period_end_year), s.year desc
    ) = 1
),

sides as (
    select
        t.*,
        ns.population_share,
        {{ ci_se('t.value', 't.ci_low', 't.ci_high', 't.decimals') }} as se_value,
        {{ ci_se('t.base_value', 't.base_ci_low', 't.base_ci_high', 't.decimals') }} as se_base,
        {{ ci_se('t.national_value', 't.national_ci_low', 't.national_ci_high', 't.decimals') }} as se_national,
        {{ ci_decimals('t.ci_low', 't.ci_high', 't.decimals') }} as ci_decimals,
        {{ ci_is_asymmetric('t.value', 't.ci_low', 't.ci_high', 't.decimals') }} as ci_is_asymmetric
    from trend_setup as t
    left join nearest_share as ns
        on ns.report_year = t.report_year and ns.indicator_code = t.indicator_code
        and ns.region_code = t.region_code and ns.sex = t.sex
),

paired as (
    select
        *,
        value - base_value as pair_difference,
        coalesce(ci_low, ci_high, base_ci_low, base_ci_high) is not null as pair_has_ci,
        sqrt(coalesce(se_value, 0) ^ 2 + coalesce(se_base, 0) ^ 2) as pair_se,
        value - national_value as national_pair_difference,
        coalesce(ci_low, ci_high, national_ci_low, national_ci_high) is not null as national_pair_has_ci,
        -- The overlap term only when both sides have a se (a value without CI counts as exact).
        sqrt(greatest(
            coalesce(se_value, 0) ^ 2 + coalesce(se_national, 0) ^ 2
            - case when se_value is not null and se_national is not null
                then 2 * coalesce(population_share, 0) * se_value ^ 2 else 0 end,
            0)) as national_pair_se
    from sides
),

-- z and p of each pair that can be tested; the trend pair only where a pair is the trend test
-- (rolling means, or annual data with CIs: latest against the earliest of the last five).
pair_tests as (
    select
        *,
        case when trend_uses_pair and pair_has_ci and pair_se > 0 then pair_difference / pair_se end as pair_z,
        case when region_code <> '00' and national_pair_has_ci and national_pair_se > 0
            then national_pair_difference / national_pair_se end as national_pair_z
    from (
        select
            *,
            value is not null and base_value is not null
                and (test_kind in ('icke-överlappande perioder', 'två perioder')
                     or (test_kind = 'linjär trend' and pair_has_ci)) as trend_uses_pair
        from paired
    )
),

p_values as (
    select
        *,
        {{ two_sided_p('pair_z') }} as pair_p,
        {{ two_sided_p('national_pair_z') }} as national_pair_p
    from pair_tests
),

tested as (
    select
        v.*,
        case
            when v.pair_z is not null then 'test'
            when v.test_kind = 'linjär trend' and v.change_threshold is not null then 'tröskel'
            when v.trend_uses_pair and not v.pair_has_ci and v.change_threshold is not null then 'tröskel'
        end as trend_rule,
        case
            when v.test_kind = 'linjär trend' and v.pair_z is null then v.slope * v.window_span
            when v.test_kind in ('icke-överlappande perioder', 'två perioder', 'linjär trend') then v.value - v.base_value
        end as trend_change,
        case
            when v.region_code = '00' then 'riket'
            when v.value is null or v.national_value is null then 'värde saknas'
            when v.national_pair_has_ci then 'z-test (KI), {{ bh }}'
            when v.change_threshold is not null then 'tröskel (KI saknas)'
            else 'underlag saknas'
        end as comparison_method,
        case
            when v.region_code = '00' or v.value is null or v.national_value is null then null
            when v.national_pair_has_ci then 'test'
            when v.change_threshold is not null then 'tröskel'
        end as national_rule,
        case when v.first_end_year < v.period_end_year then v.value - v.first_value end as change_since_first,
        case when v.window_first_period <> v.period then v.value - v.window_first_value end as change_last_five
    from p_values as v
),

-- Threshold rule (no CI): the change or difference reaching change_threshold (after rounding to 4
-- decimals) gives its sign, a smaller one 0. Test rows get their direction from q in the mart.
judged as (
    select
        *,
        case when trend_rule = 'tröskel' then
            case when round(abs(trend_change), 4) >= change_threshold then sign(trend_change) else 0 end
        end as trend_threshold_direction,
        case when national_rule = 'tröskel' then
            case
                when round(national_pair_difference, 4) >= change_threshold then 1
                when round(-national_pair_difference, 4) >= change_threshold then -1
                else 0
            end
        end as national_threshold_direction,
        case
            when trend_rule = 'test' then
                case when test_kind = 'linjär trend' then 'senaste mot äldsta av de fem senaste perioderna'
                    else test_kind end || ', z-test (KI), {{ bh }}'
            when trend_rule = 'tröskel' then
                case when test_kind = 'linjär trend' then 'linjär trend (OLS)' else test_kind end
                || ', förändring över tröskeln (KI saknas)'
            when test_kind in ('icke-överlappande perioder', 'två perioder', 'linjär trend') then
                test_kind || ', underlag saknas (KI och tröskel saknas)'
            else test_kind
        end as trend_method
    from tested
),

final as (
    select
        cast(report_year as integer) as report_year,
        cast(indicator_code as varchar) as indicator_code,
        cast(region_code as varchar) as region_code,
        cast(sex as varchar) as sex,
        cast(period_type as varchar) as period_type,
        cast(polarity as varchar) as polarity,
        cast(period as varchar) as latest_period,
        cast(period_end_year as integer) as latest_period_end_year,
        cast(value as double) as latest_value,
        cast(ci_low as double) as latest_ci_low,
        cast(ci_high as double) as latest_ci_high,
        cast(status as varchar) as status,
        cast(national_value as double) as national_value,
        cast(national_ci_low as double) as national_ci_low,
        cast(national_ci_high as double) as national_ci_high,
        cast(comparison_method as varchar) as comparison_method,
        cast(national_rule as varchar) as national_rule,
        cast(national_pair_difference as double) as national_difference,
        cast(case when national_rule = 'test' then national_pair_se end as double) as national_se,
        cast(case when national_rule = 'test' then national_pair_p end as double) as national_p_value,
        cast(national_threshold_direction as integer) as national_threshold_direction,
        cast(case when national_rule = 'test' then population_share end as double) as national_overlap_share,
        cast(case when first_end_year < period_end_year then first_period end as varchar) as first_period,
        cast(case when first_end_year < period_end_year then first_value end as double) as first_value,
        cast(round(change_since_first, 4) as double) as change_since_first,
        cast(case when window_first_period <> period then window_first_period end as varchar)
            as last_five_first_period,
        cast(round(change_last_five, 4) as double) as change_last_five,
        cast(case when trend_rule is not null then base_period end as varchar) as trend_base_period,
        cast(case when trend_rule = 'tröskel' and test_kind = 'linjär trend' then n_periods
            when trend_change is not null then 2 end as integer)
            as trend_periods,
        cast(round(trend_change, 4) as double) as trend_change,
        cast(trend_change as double) as trend_estimate,
        cast(trend_method as varchar) as trend_method,
        cast(trend_rule as varchar) as trend_rule,
        cast(case when trend_rule = 'test' then pair_se end as double) as trend_se,
        cast(case when trend_rule = 'test' then pair_p end as double) as trend_p_value,
        cast(trend_threshold_direction as integer) as trend_threshold_direction,
        cast(change_threshold as double) as min_important_change,
        cast(ci_decimals as integer) as ci_decimals,
        cast(ci_is_asymmetric as boolean) as ci_is_asymmetric,
        cast({{ ci_note('ci_decimals', 'ci_is_asymmetric') }} as varchar) as interval_note,
        cast(
            case
                when change_last_five is null or change_last_five = 0 or polarity is null then null
                else (change_last_five > 0) = (polarity = 'higher_is_better')
            end as boolean
        ) as is_right_direction
    from judged
)

select * from final
