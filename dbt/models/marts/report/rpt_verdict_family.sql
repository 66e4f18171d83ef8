-- Report mart: the one family of tests per year (issue 26), by kind of test: how many tests the
-- Benjamini–Hochberg procedure adjusted together (family_size is the family's m, the same on every row
-- of a year), how many came out real (q ≤ fdr), and the largest p-value still called real.
select
    cast(family_year as integer) as family_year,
    cast(any_value(test_family) as varchar) as test_family,
    cast(test_kind as varchar) as test_kind,
    cast(count(p_value) as integer) as tests,
    cast(count(*) filter (where is_real) as integer) as real_count,
    cast(max(p_value) filter (where is_real) as double) as largest_real_p_value,
    cast(max(family_size) as integer) as family_size,
    cast({{ var('verdict_fdr') }} as double) as fdr
from {{ ref('int_verdict__tests') }}
where p_value is not null
group by family_year, test_kind
