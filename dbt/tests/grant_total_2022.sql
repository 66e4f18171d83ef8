-- The 2022 grants add up to exactly 13 970 000 kr, in the returns and in the decision.
with t as (
    select
        (select sum(granted_sek) from {{ ref('fct_grant') }} where year = 2022) as returned,
        (select sum(granted_sek) from {{ ref('ref_grants') }} where year = 2022) as decided
)
select * from t where decided <> 13970000 or (returned is not null and returned <> decided)
