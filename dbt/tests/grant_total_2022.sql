-- The 2022 grants add up to exactly 13 970 000 kr in the decision, and in the returns once the
-- counties under review (granted differs from the decision) count with their decided amount.
with t as (
    select
        (select sum(case when is_under_review then decided_sek else granted_sek end)
         from {{ ref('mart_grant_reconciliation') }} where year = 2022) as returned,
        (select sum(granted_sek) from {{ ref('ref_grants') }} where year = 2022) as decided
)
select * from t where decided <> 13970000 or (returned is not null and returned <> decided)
