-- Per report year × measure: the year's value, the previous year's (null for the first year) and the
-- change, for the comparison with the year before. Counts over all counties; survey and reach are riket.
with measures as (
    select year, 1 as measure_order, 'activities' as measure_code, 'Insatser' as measure_label, 'antal' as unit,
           cast(sum(activity_count) as double) as value
    from {{ ref('mart_national_picture') }} group by year
    union all
    select year, 2, 'actors', 'Aktörer (var och en räknad en gång)', 'antal', cast(count(distinct actor_identity) as double)
    from {{ ref('fct_actor') }} group by year
    union all
    select year, 3, 'needs', 'Behov som lyfts till länsstyrelserna', 'antal', cast(count(*) as double)
    from {{ ref('fct_need') }} group by year
    union all
    select year, 4, 'counties_all_areas', 'Län med insatser inom alla åtta målområden', 'antal',
           cast(count(*) filter (where covered = 8) as double)
    from (select year, county_code, count(*) filter (where is_covered) as covered
          from {{ ref('mart_national_picture') }} group by all)
    group by year
    union all
    select report_year, 5, 'kommuner_reached', 'Kommuner med minst en insats', 'andel', share_reached
    from {{ ref('rpt_kommun_reach') }} where county_code = '00'
    union all
    select survey_year, 6, 'survey_response_kommun', 'Svarsfrekvens i SKR:s enkät, kommuner', 'andel', response_rate
    from {{ ref('mart_survey_response_rate') }} where county_code = '00' and respondent_type = 'kommun'
    union all
    select report_year, 7, 'indicators_improving', 'Indikatorer som förbättras statistiskt säkert i riket', 'antal',
           cast(count(*) filter (where trend_verdict = 'förbättras') as double)
    from {{ ref('mart_indicator_assessment') }} where region_code = '00' and sex = 'T' group by report_year
    union all
    select report_year, 8, 'indicators_worsening', 'Indikatorer som försämras statistiskt säkert i riket', 'antal',
           cast(count(*) filter (where trend_verdict = 'försämras') as double)
    from {{ ref('mart_indicator_assessment') }} where region_code = '00' and sex = 'T' group by report_year
    union all
    -- Register series without intervals are judged against the indicator's threshold, not tested (issue 26).
    select report_year, 9, 'indicators_improving_threshold',
           'Indikatorer som förbättras över tröskeln i riket (utan test)', 'antal',
           cast(count(*) filter (where trend_verdict = 'förbättras (över tröskeln)') as double)
    from {{ ref('mart_indicator_assessment') }} where region_code = '00' and sex = 'T' group by report_year
    union all
    select report_year, 10, 'indicators_worsening_threshold',
           'Indikatorer som försämras över tröskeln i riket (utan test)', 'antal',
           cast(count(*) filter (where trend_verdict = 'försämras (över tröskeln)') as double)
    from {{ ref('mart_indicator_assessment') }} where region_code = '00' and sex = 'T' group by report_year
    union all
    select year, 11, 'granted_sek', 'Beviljade medel (kr), utom län under granskning', 'kr', cast(granted_sek as double)
    from {{ ref('mart_grant_total') }}
)

select
    cast(cur.year as integer) as report_year,
    cast(cur.measure_order as integer) as measure_order,
    cast(cur.measure_code as varchar) as measure_code,
    cast(cur.measure_label as varchar) as measure_label,
    cast(cur.unit as varchar) as unit,
    cast(cur.value as double) as value,
    cast(prev.value as double) as previous_value,
    cast(cur.value - prev.value as double) as change
from measures as cur
left join measures as prev on prev.measure_code = cur.measure_code and prev.year = cur.year - 1
where cur.year in (select unnest({{ var('report_years') }}))
