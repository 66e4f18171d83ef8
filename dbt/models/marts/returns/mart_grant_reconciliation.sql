-- Per county and year: does granted = used + repaid, and does granted match the government decision?
select
    cast(g.county_code as varchar) as county_code,
    cast(g.year as integer) as year,
    cast(g.granted_sek as bigint) as granted_sek,
    cast(g.used_sek as bigint) as used_sek,
    cast(g.repaid_sek as bigint) as repaid_sek,
    cast(g.granted_sek - g.used_sek - g.repaid_sek as bigint) as difference_sek,
    cast(g.granted_sek = g.used_sek + g.repaid_sek as boolean) as is_reconciled,
    cast(d.granted_sek as bigint) as decided_sek,
    cast(case when d.granted_sek is null then null else g.granted_sek = d.granted_sek end as boolean)
        as matches_decision
from {{ ref('fct_grant') }} as g
left join {{ ref('ref_grants') }} as d
    on d.county_code = g.county_code and d.year = g.year
