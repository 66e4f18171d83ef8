-- Per report year: the financial table. One row per county (21, an account or not) and the total row
-- (row_order 99, mart_grant_total: counties under review left out). decided_sek is the amount in the
-- government decision for the year (ref_grants); a year with no decision in ref_grant_decisions has
-- has_decision false and no decided amount ("beslut saknas i underlaget").
with years as (
    select unnest({{ var('report_years') }}) as report_year
),

decisions as (
    select year as report_year, decision_id from {{ ref('ref_grant_decisions') }}
),

counties as (
    select
        y.report_year,
        row_number() over (partition by y.report_year order by c.county_code) as row_order,
        c.county_code,
        c.county_name,
        false as is_total,
        g.granted_sek, g.used_sek, g.repaid_sek, g.difference_sek, g.is_reconciled,
        case when d.decision_id is not null then g.decided_sek end as decided_sek,
        coalesce(g.is_under_review, false) as is_under_review,
        g.review_reason
    from years as y
    cross join {{ ref('dim_county') }} as c
    left join {{ ref('mart_grant_reconciliation') }} as g
        on g.county_code = c.county_code and g.year = y.report_year
    left join decisions as d on d.report_year = y.report_year
),

total as (
    select
        t.year as report_year, 99 as row_order, null as county_code, 'Summa' as county_name, true as is_total,
        t.granted_sek, t.used_sek, t.repaid_sek, t.difference_sek, t.is_reconciled,
        case when d.decision_id is not null then t.decided_sek end as decided_sek,
        false as is_under_review,
        null as review_reason
    from {{ ref('mart_grant_total') }} as t
    left join decisions as d on d.report_year = t.year
)

select
    cast(report_year as integer) as report_year,
    cast(row_order as integer) as row_order,
    cast(county_code as varchar) as county_code,
    cast(county_name as varchar) as county_name,
    cast(is_total as boolean) as is_total,
    cast(granted_sek as bigint) as granted_sek,
    cast(used_sek as bigint) as used_sek,
    cast(repaid_sek as bigint) as repaid_sek,
    cast(difference_sek as bigint) as difference_sek,
    cast(is_reconciled as boolean) as is_reconciled,
    cast(decided_sek as bigint) as decided_sek,
    cast(is_under_review as boolean) as is_under_review,
    cast(review_reason as varchar) as review_reason
from (select * from counties union all select * from total)
