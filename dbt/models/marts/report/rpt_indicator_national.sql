-- Per report year × indicator (35): the indicator's name, unit and direction, and riket's latest value,
-- change and verdict as the assessment stood in the report year (mart_indicator_assessment, both sexes).
-- Where the source has no total (H1) or only kommun values (4.4), display_basis and the headline columns
-- say what the table shows instead (mart_indicator_headline_value, issue 25).
with years as (
    select unnest({{ var('report_years') }}) as report_year
),

national as (
    select * from {{ ref('mart_indicator_assessment') }}
    where region_code = '00' and sex = 'T'
)

select
    cast(y.report_year as integer) as report_year,
    cast(i.indicator_code as varchar) as indicator_code,
    cast(i.target_area_code as integer) as target_area_code,
    cast(i.indicator_name_sv as varchar) as indicator_name,
    cast(i.unit as varchar) as unit,
    cast(case i.unit when 'percent' then 'procent' when 'years' then 'år' when 'per_100000' then 'per 100 000'
                     when 'sek' then 'kr' else i.unit end as varchar) as unit_label,
    cast(i.polarity as varchar) as polarity,
    cast(case i.polarity when 'higher_is_better' then 'Högre är bättre' when 'lower_is_better' then 'Lägre är bättre'
                         else 'Ingen riktning' end as varchar) as better_direction,
    cast(i.is_decided as boolean) as is_decided,
    cast(i.source_status as varchar) as source_status,
    -- The words for it, in the method table's column Källan and (lower-cased, when not verified) after the
    -- indicator's name in table 7.1: does a verified public table or KPI stand behind the numbers?
    cast(case i.source_status when 'verified' then 'Verifierad'
                              when 'planned_by_source' then 'Ej publicerad av FoHM'
                              when 'not_decided' then 'Ej beslutad'
                              else 'Källan ej verifierad' end as varchar) as source_status_label,
    cast(coalesce(i.decimals, 1) as integer) as decimals,
    cast(a.period_type as varchar) as period_type,
    cast(a.latest_period as varchar) as latest_period,
    cast(a.latest_value as double) as latest_value,
    cast(a.latest_ci_low as double) as latest_ci_low,
    cast(a.latest_ci_high as double) as latest_ci_high,
    cast(a.status as varchar) as status,
    cast(a.last_five_first_period as varchar) as change_from_period,
    cast(a.change_last_five as double) as change_value,
    cast(a.is_right_direction as boolean) as is_right_direction,
    cast(a.trend_verdict as varchar) as trend_verdict,
    cast(a.trend_method as varchar) as trend_method,
    cast(v.kind as varchar) as verdict_kind,
    cast(v.label_sv as varchar) as verdict_label,
    cast(a.trend_base_period as varchar) as trend_base_period,
    cast(coalesce(h.display_basis, 'saknas') as varchar) as display_basis,
    cast(h.period as varchar) as display_period,
    cast(h.value_women as double) as value_women,
    cast(h.value_men as double) as value_men,
    cast(h.kommun_median as double) as kommun_median,
    cast(h.kommun_min as double) as kommun_min,
    cast(h.kommun_max as double) as kommun_max,
    cast(h.n_kommuner as integer) as n_kommuner
from years as y
cross join {{ ref('dim_indicator') }} as i
left join national as a on a.report_year = y.report_year and a.indicator_code = i.indicator_code
left join {{ ref('mart_indicator_headline_value') }} as h
    on h.report_year = y.report_year and h.indicator_code = i.indicator_code and h.region_code = '00'
left join {{ ref('verdict_labels') }} as v on v.verdict_group = 'utveckling' and v.code = a.trend_verdict
