-- Per report year × indicator × region × sex (education total, region level): the latest value up to the
-- report year, how it compares with riket, and whether the indicator is improving, as it stood that year
-- (periods ending after the report year are left out). The method is stated in _indicators__models.yml.

{#- Pairs compared: the latest value with its trend base, and with riket. With a CI on either side
    (a value without CI counts as exact, se 0) the difference is z-tested, se = (ci_high − ci_low) /
    (2 × 1.96) on each side; the p-values of one report year are corrected together by
    Benjamini–Hochberg at 5 % (trends and comparisons with riket are two families). Without any CI
    the indicator's change_threshold decides: a threshold rule, reported as such, never as a test. -#}
{%- set z = 1.96 %}
{%- set fdr = 0.05 %}
{%- set pairs = {
    'pair': ['value', 'ci_low', 'ci_high', 'base_value', 'base_ci_low', 'base_ci_high'],
    'national_pair': ['value', 'ci_low', 'ci_high', 'national_value', 'national_ci_low', 'national_ci_high'],
} %}

with report_years as (
    select unnest({{ var('report_years') }}) as report_year
),

indicator as (
    select indicator_code, polarity, period_type, change_threshold
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

paired as (
    select
        *,
        {%- for name, c in pairs.items() %}
        {{ c[0] }} - {{ c[3] }} as {{ name }}_difference,
        coalesce({{ c[1] }}, {{ c[2] }}, {{ c[4] }}, {{ c[5] }}) is not null as {{ name }}_has_ci,
        sqrt(coalesce(({{ c[2] }} - {{ c[1] }}) / (2 * {{ z }}), 0) ^ 2
             + coalesce(({{ c[5] }} - {{ c[4] }}) / (2 * {{ z }}), 0) ^ 2) as {{ name }}_se
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from trend_setup
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

-- Benjamini–Hochberg within a report year: q_(k) = min over j >= k of p_(j) × m / j.
{%- for name in pairs %}
{{ name }}_bh as (
    select
        report_year, indicator_code, region_code, sex,
        least(1.0, min({{ name }}_p * m / k) over (
            partition by report_year order by k desc rows between unbounded preceding and current row
        )) as {{ name }}_q
    from (
        select
            *,
            row_number() over (
                partition by report_year
                order by {{ name }}_p, indicator_code, region_code, sex
            ) as k,
            count(*) over (partition by report_year) as m
        from p_values
        where {{ name }}_p is not null
    )
),
{%- endfor %}

tested as (
    select
        v.*,
        b.pair_q,
        nb.national_pair_q,
        case
            when v.pair_z is not null then 'z'
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
            when v.national_pair_has_ci then 'z-test (KI), BH 5 %'
            when v.change_threshold is not null then 'tröskel (KI saknas)'
            else 'underlag saknas'
        end as comparison_method,
        case
            when v.region_code = '00' or v.value is null or v.national_value is null then null
            when v.national_pair_has_ci then
                case when coalesce(nb.national_pair_q, 1) <= {{ fdr }} then sign(v.national_pair_difference) else 0 end
            when v.change_threshold is null then null
            when round(v.national_pair_difference, 4) >= v.change_threshold then 1
            when round(-v.national_pair_difference, 4) >= v.change_threshold then -1
            else 0
        end as national_direction,
        case when v.first_end_year < v.period_end_year then v.value - v.first_value end as change_since_first,
        case when v.window_first_period <> v.period then v.value - v.window_first_value end as change_last_five
    from p_values as v
    left join pair_bh as b using (report_year, indicator_code, region_code, sex)
    left join national_pair_bh as nb using (report_year, indicator_code, region_code, sex)
),

judged as (
    select
        *,
        case
            when trend_rule = 'z' then case when pair_q <= {{ fdr }} then sign(trend_change) else 0 end
            when trend_rule = 'tröskel' then
                case when round(abs(trend_change), 4) >= change_threshold then sign(trend_change) else 0 end
        end as trend_direction,
        case
            when trend_rule = 'z' then
                case when test_kind = 'linjär trend' then 'senaste mot äldsta av de fem senaste perioderna'
                    else test_kind end || ', z-test (KI), BH 5 %'
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
        cast(
            case
                when national_direction is null then null
                when national_direction = 0 then 'likvärdig'
                when (national_direction > 0) = (polarity = 'higher_is_better') then 'bättre'
                else 'sämre'
            end as varchar
        ) as comparison_to_national,
        cast(comparison_method as varchar) as comparison_method,
        cast(case when first_end_year < period_end_year then first_period end as varchar) as first_period,
        cast(case when first_end_year < period_end_year then first_value end as double) as first_value,
        cast(round(change_since_first, 4) as double) as change_since_first,
        cast(case when window_first_period <> period then window_first_period end as varchar)
            as last_five_first_period,
        cast(round(change_last_five, 4) as double) as change_last_five,
        cast(case when trend_direction is not null then base_period end as varchar) as trend_base_period,
        cast(case when trend_rule = 'tröskel' and test_kind = 'linjär trend' then n_periods
            when trend_change is not null then 2 end as integer)
            as trend_periods,
        cast(round(trend_change, 4) as double) as trend_change,
        cast(trend_method as varchar) as trend_method,
        cast(
            case
                when trend_direction is null or polarity is null then null
                when trend_rule = 'tröskel' and trend_direction = 0 then 'ingen förändring över tröskeln'
                when trend_rule = 'tröskel' and (trend_direction > 0) = (polarity = 'higher_is_better')
                    then 'förbättras (över tröskeln)'
                when trend_rule = 'tröskel' then 'försämras (över tröskeln)'
                when trend_direction = 0 then 'ingen säker förändring'
                when (trend_direction > 0) = (polarity = 'higher_is_better') then 'förbättras'
                else 'försämras'
            end as varchar
        ) as trend_verdict,
        cast(case when trend_rule = 'z' then round(pair_p, 6) end as double) as trend_p_value,
        cast(case when trend_rule = 'z' then round(pair_q, 6) end as double) as trend_q_value,
        cast(
            case
                when change_last_five is null or change_last_five = 0 or polarity is null then null
                else (change_last_five > 0) = (polarity = 'higher_is_better')
            end as boolean
        ) as is_right_direction
    from judged
)

select * from final
