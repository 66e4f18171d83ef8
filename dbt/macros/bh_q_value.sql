{#- Benjamini–Hochberg adjusted p-values (q) within each partition, in SQL window functions:
    sort the m p-values of a family ascending (rank k = 1..m, ties broken by `tiebreak`), then
    q_(k) = min over j ≥ k of (m / j) · p_(j), capped at 1. Rows with a null p get no q and do not count
    in m. `relation` must have columns p_value and the partition and tiebreak columns. -#}
{% macro bh_q_value(relation, partition_by, tiebreak) -%}
select
    *,
    least(1.0, min(p_value * m / k) over (
        partition by {{ partition_by }} order by k desc rows between unbounded preceding and current row
    )) as q_value
from (
    select
        *,
        row_number() over (partition by {{ partition_by }} order by p_value, {{ tiebreak }}) as k,
        count(*) over (partition by {{ partition_by }}) as m
    from {{ relation }}
    where p_value is not null
)
{%- endmacro %}
