-- Per report year × indicator × region × sex (education total, region level): the latest value up to the
-- report year, how it compares with riket, and whether the indicator is improving, as it stood that year
-- (periods ending after the report year are left out). The method is stated in _indicators__models.yml.

{#- Pairs compared: 1 = the first is higher, -1 = lower, 0 = no certain difference, null = cannot say.
    With a CI on either side the 95 % intervals must not overlap (a value without CI counts as a point);
    with no CI at all the difference must reach the indicator's change_threshold. -#}
{%- set pairs = {
    'pair_direction': ['value', 'ci_low', 'ci_high', 'base_value', 'base_ci_low', 'base_ci_high'],
    'national_pair_direction': ['value', 'ci_low', 'ci_high', 'national_value', 'national_ci_low', 'national_ci_high'],
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
        case
            when {{ c[0] }} is null or {{ c[3] }} is null then null
            when coalesce({{ c[1] }}, {{ c[2] }}, {{ c[4] }}, {{ c[5] }}) is null then
                case
                    when change_threshold is null then null
                    when round({{ c[0] }} - {{ c[3] }}, 4) >= change_threshold then 1
                    when round({{ c[3] }} - {{ c[0] }}, 4) >= change_threshold then -1
                    else 0
                end
            when coalesce({{ c[1] }}, {{ c[0] }}) > coalesce({{ c[5] }}, {{ c[3] }}) then 1
            when coalesce({{ c[2] }}, {{ c[0] }}) < coalesce({{ c[4] }}, {{ c[3] }}) then -1
            else 0
        end as {{ name }},
        coalesce({{ c[1] }}, {{ c[2] }}, {{ c[4] }}, {{ c[5] }}) is not null as {{ name }}_has_ci
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from trend_setup
),

tested as (
    select
        *,
        case
            when test_kind = 'linjär trend' then slope * window_span
            when test_kind in ('icke-överlappande perioder', 'två perioder') then value - base_value
        end as trend_change,
        case
            when test_kind = 'linjär trend' then
                -- Two-sided t-test of the OLS slope at 5 % (df = n - 2), and a change worth noting.
                case
                    when (
                        case
                            when sse = 0 then slope <> 0
                            else abs(slope) / sqrt(sse / (n_periods - 2) / sxx)
                                > case n_periods when 3 then 12.7062 when 4 then 4.3027 else 3.1824 end
                        end
                    ) and (change_threshold is null or round(abs(slope * window_span), 4) >= change_threshold)
                    then sign(slope)
                    else 0
                end
            when test_kind in ('icke-överlappande perioder', 'två perioder') then pair_direction
        end as trend_direction,
        case
            when test_kind = 'linjär trend' then 'linjär trend (OLS), t-test 5 %'
                || case when change_threshold is not null then ' och tröskel' else '' end
            when test_kind in ('icke-överlappande perioder', 'två perioder') then
                case
                    when pair_direction_has_ci then test_kind || ', konfidensintervall'
                    when change_threshold is not null then test_kind || ', tröskel (KI saknas)'
                    else test_kind || ', underlag saknas (KI och tröskel saknas)'
                end
            else test_kind
        end as trend_method,
        case when region_code <> '00' then national_pair_direction end as national_direction,
        case
            when region_code = '00' then 'riket'
            when value is null or national_value is null then 'värde saknas'
            when national_pair_direction_has_ci then 'konfidensintervall'
            when change_threshold is not null then 'tröskel (KI saknas)'
            else 'underlag saknas'
        end as comparison_method,
        case when first_end_year < period_end_year then value - first_value end as change_since_first,
        case when window_first_period <> period then value - window_first_value end as change_last_five
    from paired
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
        cast(case when test_kind = 'linjär trend' then n_periods when trend_change is not null then 2 end as integer)
            as trend_periods,
        cast(round(trend_change, 4) as double) as trend_change,
        cast(trend_method as varchar) as trend_method,
        cast(
            case
                when trend_direction is null or polarity is null then null
                when trend_direction = 0 then 'ingen säker förändring'
                when (trend_direction > 0) = (polarity = 'higher_is_better') then 'förbättras'
                else 'försämras'
            end as varchar
        ) as trend_verdict,
        cast(
            case
                when change_last_five is null or change_last_five = 0 or polarity is null then null
                else (change_last_five > 0) = (polarity = 'higher_is_better')
            end as boolean
        ) as is_right_direction
    from tested
)

select * from final
