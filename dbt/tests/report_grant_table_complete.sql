-- The financial table: 21 county rows and one total row per year; the total row is the mart's national
-- account; a decided amount is shown only for a year with a decision in ref_grant_decisions.
with rows_per_year as (
    select report_year, count(*) filter (where not is_total) as counties, count(*) filter (where is_total) as totals
    from {{ ref('rpt_grant') }} group by report_year
)

select 'rows' as failing, report_year from rows_per_year
where counties <> (select count(*) from {{ ref('dim_county') }}) or totals <> 1
union all
select 'total', g.report_year from {{ ref('rpt_grant') }} as g
inner join {{ ref('mart_grant_total') }} as t on t.year = g.report_year
where g.is_total and g.granted_sek is distinct from t.granted_sek
union all
select 'decision without reference', g.report_year from {{ ref('rpt_grant') }} as g
left join {{ ref('ref_grant_decisions') }} as d on d.year = g.report_year
where d.year is null and g.decided_sek is not null
