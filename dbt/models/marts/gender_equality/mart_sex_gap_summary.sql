-- What the indicators by sex show for a reporting year, for the report's sentence beside the
-- counties' gender-equality work: of the indicators with values for women and men in riket (latest
-- period ending in or before the year, mart_equity_gap), in how many the value for women is
-- statistically higher or lower than for men (mart_equity_gap.sex_gap_verdict: the z-test of the
-- difference, q ≤ 0.05 in its year's one family of tests, issue 26), and in how many the gap widens or
-- narrows, by test (q) or, for series without intervals, by the threshold rule (counted apart).
with years as (
    select unnest({{ var('report_years') }}) as report_year
),

latest as (
    select y.report_year, g.*
    from years as y
    inner join {{ ref('mart_equity_gap') }} as g
        on g.region_code = '00' and g.period_end_year <= y.report_year and g.sex_gap_difference is not null
    qualify row_number() over (partition by y.report_year, g.indicator_code order by g.period_end_year desc) = 1
)

select
    cast(y.report_year as integer) as report_year,
    cast(count(l.indicator_code) as integer) as indicator_count,
    cast(count(*) filter (where l.sex_gap_verdict = 'kvinnor högre') as integer) as women_higher_count,
    cast(count(*) filter (where l.sex_gap_verdict = 'män högre') as integer) as men_higher_count,
    cast(count(*) filter (where l.sex_gap_verdict = 'ingen säker skillnad') as integer) as no_clear_gap_count,
    cast(count(*) filter (where l.indicator_code is not null and l.sex_gap_verdict is null)
         as integer) as without_interval_count,
    cast(count(*) filter (where l.sex_gap_trend = 'vidgas') as integer) as widening_count,
    cast(count(*) filter (where l.sex_gap_trend = 'minskar') as integer) as narrowing_count,
    cast(count(*) filter (where l.sex_gap_trend = 'vidgas (över tröskeln)') as integer) as threshold_widening_count,
    cast(count(*) filter (where l.sex_gap_trend = 'minskar (över tröskeln)') as integer) as threshold_narrowing_count,
    cast(min(l.period_end_year) as integer) as earliest_period_end_year,
    cast(max(l.period_end_year) as integer) as latest_period_end_year
from years as y
left join latest as l using (report_year)
group by y.report_year
