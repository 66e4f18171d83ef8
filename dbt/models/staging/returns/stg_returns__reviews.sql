-- Review decisions on landed return versions (folkhalsa accept-return). One row per decision;
-- the version decided on is reviewed_batch_id.
select
    cast(reviewed_batch_id as varchar) as reviewed_batch_id,
    cast(subject as varchar) as subject,
    cast(decision as varchar) as decision,
    cast(decided_at as timestamptz) as decided_at
from {{ source('returns', 'review') }}
