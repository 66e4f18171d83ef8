-- Per report year: the government decision on the grant, if the reference holds one (ref_grant_decisions),
-- and the national account's outcome (mart_grant_total). has_decision false = "beslut saknas i underlaget":
-- the report then never says that the accounts match a decision.
with years as (
    select unnest({{ var('report_years') }}) as report_year
)

select
    cast(y.report_year as integer) as report_year,
    cast(d.year is not null as boolean) as has_decision,
    cast(d.decision_id as varchar) as decision_id,
    cast(d.decision_month as varchar) as decision_month,
    cast(d.source as varchar) as decision_source,
    cast(case when d.year is not null then t.decided_sek end as bigint) as decided_sek,
    cast(t.county_count as integer) as county_count,
    cast(t.counties_reported as integer) as counties_reported,
    cast(t.counties_reconciled as integer) as counties_reconciled,
    cast(t.counties_under_review as integer) as counties_under_review,
    cast(t.granted_sek as bigint) as granted_sek,
    cast(t.used_sek as bigint) as used_sek,
    cast(t.repaid_sek as bigint) as repaid_sek,
    cast(t.is_reconciled as boolean) as is_reconciled,
    cast(case when d.year is not null then t.matches_decision end as boolean) as matches_decision
from years as y
left join {{ ref('ref_grant_decisions') }} as d on d.year = y.report_year
left join {{ ref('mart_grant_total') }} as t on t.year = y.report_year
