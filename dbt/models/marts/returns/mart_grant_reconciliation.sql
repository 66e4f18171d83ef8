-- Per county and year: does granted = used + repaid, and does granted match the government decision?
-- A county whose current return breaks the cross-county rule (granted differs from the decision) is
-- 'under granskning': marked here and in the scorecard, left out of the national totals, and
-- everything else publishes.
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
        as matches_decision,
    cast(coalesce(d.granted_sek is not null and g.granted_sek <> d.granted_sek, false) as boolean) as is_under_review,
    cast(case when d.granted_sek is not null and g.granted_sek <> d.granted_sek then 'under granskning'
              else 'granskad' end as varchar) as review_status
from {{ ref('fct_grant') }} as g
left join {{ ref('ref_grants') }} as d
    on d.county_code = g.county_code and d.year = g.year
