-- Per reporting year: the national grant account, the total row of the report's financial table.
-- Sums of mart_grant_reconciliation's county rows, and the total of the government decision.
-- Counties under review (granted differs from the decision) are counted apart, not summed.
with years as (
    select unnest({{ var('report_years') }}) as year
),

counties as (
    select count(*) as county_count from {{ ref('dim_county') }}
),

accounts as (
    select
        year,
        count(*) as counties_reported,
        count(*) filter (where is_reconciled) as counties_reconciled,
        sum(granted_sek) as granted_sek,
        sum(used_sek) as used_sek,
        sum(repaid_sek) as repaid_sek,
        sum(difference_sek) as difference_sek
    from {{ ref('mart_grant_reconciliation') }}
    where not coalesce(is_under_review, false)
    group by year
),

review as (
    select year, count(*) as counties_under_review
    from {{ ref('mart_grant_reconciliation') }}
    where is_under_review
    group by year
),

decided as (
    select year, sum(granted_sek) as decided_sek
    from {{ ref('ref_grants') }}
    group by year
)

select
    cast(y.year as integer) as year,
    cast(c.county_count as integer) as county_count,
    cast(coalesce(a.counties_reported, 0) as integer) as counties_reported,
    cast(coalesce(a.counties_reconciled, 0) as integer) as counties_reconciled,
    cast(a.granted_sek as bigint) as granted_sek,
    cast(a.used_sek as bigint) as used_sek,
    cast(a.repaid_sek as bigint) as repaid_sek,
    cast(a.difference_sek as bigint) as difference_sek,
    -- Every county has an account and every account balances.
    cast(coalesce(a.counties_reconciled, 0) = c.county_count as boolean) as is_reconciled,
    cast(d.decided_sek as bigint) as decided_sek,
    cast(case when d.decided_sek is null or a.granted_sek is null then null
              else a.granted_sek = d.decided_sek end as boolean) as matches_decision,
    cast(coalesce(r.counties_under_review, 0) as integer) as counties_under_review
from years as y
cross join counties as c
left join accounts as a on a.year = y.year
left join decided as d on d.year = y.year
left join review as r on r.year = y.year
