-- Per report year: the numbered key findings of the Sammanfattning. Each row holds the finding's numbers
-- (n, n2, n3, n4, total, share, previous, change, text, text2) and its sentence template from ref_key_finding_templates
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

grant_review as (
    select report_year, string_agg(county_name || ' (' || review_reason || ')', ', ' order by county_code) as names
    from {{ ref('rpt_grant') }}
    where is_under_review
    group by report_year
),

findings as (
    select c.report_year, 'counties_all_areas' as finding_code, c.value as n, null::double as n2,
           (select count(*) from {{ ref('dim_county') }})::double as total, null::double as share, c.previous_value as previous, c.change, null as text,
           'antal' as previous_unit, null::double as n3, null::double as n4, null as text2
    from cmp as c where c.measure_code = 'counties_all_areas'
    union all
    select a.report_year, 'activities', a.value, ac.value, null, null, a.previous_value, a.change, null, 'antal',
           null, null, null
    from cmp as a inner join cmp as ac on ac.report_year = a.report_year and ac.measure_code = 'actors'
    where a.measure_code = 'activities'
    union all
    select report_year, 'kommuner_reached', kommuner_reached, null, kommun_count, share_reached, null, null, null,
           'andel', null, null, null
    from {{ ref('rpt_kommun_reach') }} where county_code = '00'
    union all
    select year, 'top_needs', null, null, null, null, null, null, text, 'antal', null, null, null from themes
    union all
    select c.report_year, 'survey', s.n_responded, null, s.population, s.response_rate, c.previous_value, c.change,
           null, 'andel', null, null, null
    from cmp as c inner join survey as s on s.year = c.report_year
    where c.measure_code = 'survey_response_kommun'
    union all
    -- n, n2: tested changes (statistiskt säkert); n3, n4: register series over their threshold (no test).
    select i.report_year, 'indicators', i.value, w.value,
           (select count(*) from {{ ref('dim_indicator') }}), null, null, null, null, 'antal', it.value, wt.value, null
    from cmp as i
    inner join cmp as w on w.report_year = i.report_year and w.measure_code = 'indicators_worsening'
    inner join cmp as it on it.report_year = i.report_year and it.measure_code = 'indicators_improving_threshold'
    inner join cmp as wt on wt.report_year = i.report_year and wt.measure_code = 'indicators_worsening_threshold'
    where i.measure_code = 'indicators_improving'
    union all
    -- n: the decided total when the reference holds a decision, else the reported granted total (counties under
    -- review left out); n3 and text2: the counties under review and why.
    select d.report_year,
           case when d.has_decision then 'grant_decided' else 'grant_no_decision' end
               || case when d.counties_under_review > 0 then '_review' else '' end,
           case when d.has_decision then d.decided_sek else d.granted_sek end,
           d.counties_reconciled, d.county_count, null, null, null, d.decision_id, 'kr',
           d.counties_under_review, null, r.names
    from {{ ref('rpt_grant_decision') }} as d
    left join grant_review as r using (report_year)
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
    cast(f.n3 as double) as n3,
    cast(f.n4 as double) as n4,
    cast(f.text2 as varchar) as text2,
    cast(f.previous_unit as varchar) as previous_unit,
    cast(case when f.previous is null then t.template_no_previous_sv else t.template_sv end as varchar)
        as sentence_template
from findings as f
inner join {{ ref('ref_key_finding_templates') }} as t using (finding_code)
where f.report_year in (select unnest({{ var('report_years') }}))
