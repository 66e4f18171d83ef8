-- Per county and year: does granted = used + repaid, and does granted match the government decision?
-- A county is 'under granskning' (marked here and in the scorecard, left out of the national
-- totals; everything else publishes) when its current return
-- * breaks the cross-county rule: granted differs from the decision, until a corrected version
--   arrives; or
-- * has an account that does not reconcile (granted ≠ used + repaid), until a corrected version
--   arrives or someone accepts that version as it is (folkhalsa accept-return, stg_returns__reviews).
with accepted as (
    select distinct reviewed_batch_id as batch_id
    from {{ ref('stg_returns__reviews') }}
    where subject = 'grant_reconciliation' and decision = 'accepted'
),

accounts as (
    select
        g.*,
        d.granted_sek as decided_sek,
        g.granted_sek = g.used_sek + g.repaid_sek as is_reconciled,
        coalesce(d.granted_sek is not null and g.granted_sek <> d.granted_sek, false) as differs_from_decision,
        a.batch_id is not null as is_accepted
    from {{ ref('fct_grant') }} as g
    left join {{ ref('ref_grants') }} as d
        on d.county_code = g.county_code and d.year = g.year
    left join accepted as a on a.batch_id = g.batch_id
)

select
    cast(county_code as varchar) as county_code,
    cast(year as integer) as year,
    cast(granted_sek as bigint) as granted_sek,
    cast(used_sek as bigint) as used_sek,
    cast(repaid_sek as bigint) as repaid_sek,
    cast(granted_sek - used_sek - repaid_sek as bigint) as difference_sek,
    cast(is_reconciled as boolean) as is_reconciled,
    cast(decided_sek as bigint) as decided_sek,
    cast(case when decided_sek is null then null else granted_sek = decided_sek end as boolean)
        as matches_decision,
    cast(coalesce(not is_reconciled and is_accepted, false) as boolean) as is_difference_accepted,
    cast(differs_from_decision or coalesce(not is_reconciled and not is_accepted, false) as boolean)
        as is_under_review,
    cast(case
        when differs_from_decision then 'beviljat skiljer sig från beslutet'
        when coalesce(not is_reconciled and not is_accepted, false) then 'redovisningen stämmer inte'
    end as varchar) as review_reason,
    cast(case when differs_from_decision or coalesce(not is_reconciled and not is_accepted, false)
              then 'under granskning' else 'granskad' end as varchar) as review_status
from accounts
