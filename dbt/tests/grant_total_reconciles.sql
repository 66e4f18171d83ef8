-- The national grant total is the sum of the county rows, balances when they all do, and for 2022 is
-- exactly 13 970 000 kr, in the decision and (once returns are in, none under review) in the accounts.
with counties as (
    select
        year,
        count(*) as counties_reported,
        count(*) filter (where is_reconciled) as counties_reconciled,
        sum(granted_sek) as granted_sek,
        sum(used_sek) as used_sek,
        sum(repaid_sek) as repaid_sek,
        sum(difference_sek) as difference_sek
    from {{ ref('mart_grant_reconciliation') }}
    where not is_under_review
    group by year
)

select t.year, t.granted_sek, c.granted_sek as county_sum, t.decided_sek
from {{ ref('mart_grant_total') }} as t
left join counties as c using (year)
where t.counties_reported <> coalesce(c.counties_reported, 0)
   or t.counties_reconciled <> coalesce(c.counties_reconciled, 0)
   or t.granted_sek is distinct from c.granted_sek
   or t.used_sek is distinct from c.used_sek
   or t.repaid_sek is distinct from c.repaid_sek
   or t.difference_sek is distinct from c.difference_sek
   or t.granted_sek <> t.used_sek + t.repaid_sek + t.difference_sek
   or t.is_reconciled <> (t.counties_reconciled = t.county_count and t.difference_sek = 0)
   or (t.year = 2022 and (t.decided_sek is distinct from 13970000
                          or (t.granted_sek is not null and t.counties_under_review = 0
                              and t.granted_sek <> 13970000)))
