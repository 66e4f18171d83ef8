-- Per report year: what the indicators by sex show (mart_sex_gap_summary), one row.
select
    cast(report_year as integer) as report_year,
    cast(indicator_count as integer) as indicator_count,
    cast(women_higher_count as integer) as women_higher_count,
    cast(men_higher_count as integer) as men_higher_count,
    cast(no_clear_gap_count as integer) as no_clear_gap_count,
    cast(without_interval_count as integer) as without_interval_count,
    cast(widening_count as integer) as widening_count,
    cast(narrowing_count as integer) as narrowing_count
from {{ ref('mart_sex_gap_summary') }}
