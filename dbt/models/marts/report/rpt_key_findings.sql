-- Per report year: the numbered key findings of the Sammanfattning. Each row holds the finding's numbers
-- (n, n2, total, share, previous, change, text) and its sentence template from ref_key_finding_templates
-- (the no-previous variant when there is no previous year). Analysts reword a finding in that seed.
-- previous_unit says how previous and change are printed ('antal', 'andel' or 'kr').
with cmp as (
    select * from {{ ref('rpt_year_comparison') }}
),

theme_counts as (
    select year, theme, count(*) as n
    from {{ ref('fct_need') }}
    group by all
),

themes as (
    select year, string_agg(theme || ' (' || n || ' behov)', ', ' order by n desc, theme) as text
    from (
        select *, row_number() over (partition by year order by n desc, theme) as rnk
        from theme_counts
    )
    where rnk <= 3
    group by year
),

survey as (
    select survey_year as year, n_responded, population, response_rate
    from {{ ref('mart_survey_response_rate') }}
    where county_code = '00' and respondent_type = 'kommun'
),

findings as (
    select c.report_year, 'counties_all_areas' as finding_code, c.value as n, null::double as n2,
           (select count(*) from {{ ref('dim_county') }})::double as total, null::double as share, c.previous_value as previous, c.change, null as text,
           'antal' as previous_unit
    from cmp as c where c.measure_code = 'counties_all_areas'
    union all
    select a.report_year, 'activities', a.value, ac.value, null, null, a.previous_value, a.change, null, 'antal'
    from cmp as a inner join cmp as ac on ac.report_year = a.report_year and ac.measure_code = 'actors'
    where a.measure_code = 'activities'
    union all
    select report_year, 'kommuner_reached', kommuner_reached, null, kommun_count, share_reached, null, null, null,
           'andel'
    from {{ ref('rpt_kommun_reach') }} where county_code = '00'
    union all
    select year, 'top_needs', null, null, null, null, null, null, text, 'antal' from themes
    union all
    select c.report_year, 'survey', s.n_responded, null, s.population, s.response_rate, c.previous_value, c.change,
           null, 'andel'
    from cmp as c inner join survey as s on s.year = c.report_year
    where c.measure_code = 'survey_response_kommun'
    union all
    select i.report_year, 'indicators', i.value, w.value,
           (select count(*) from {{ ref('dim_indicator') }}), null, null, null, null, 'antal'
    from cmp as i inner join cmp as w on w.report_year = i.report_year and w.measure_code = 'indicators_worsening'
    where i.measure_code = 'indicators_improving'
    union all
    select report_year,
           case when has_decision then 'grant_decided' else 'grant_no_decision' end,
           granted_sek, counties_reconciled, county_count, null, null, null, decision_id, 'kr'
    from {{ ref('rpt_grant_decision') }}
)

select
    cast(f.report_year as integer) as report_year,
    cast(t.finding_order as integer) as finding_order,
    cast(f.finding_code as varchar) as finding_code,
    cast(f.n as double) as n,
    cast(f.n2 as double) as n2,
    cast(f.total as double) as total,
    cast(f.share as double) as share,
    cast(f.previous as double) as previous,
    cast(f.change as double) as change,
    cast(f.text as varchar) as text,
    cast(f.previous_unit as varchar) as previous_unit,
    cast(case when f.previous is null then t.template_no_previous_sv else t.template_sv end as varchar)
        as sentence_template
from findings as f
inner join {{ ref('ref_key_finding_templates') }} as t using (finding_code)
where f.report_year in (select unnest({{ var('report_years') }}))
