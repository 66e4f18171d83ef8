-- The current version of each county's return per year (one row per county × year at most).
select batch_id, county_code, year, submitted_on, source_file, warning_count
from {{ ref('int_returns__versions') }}
where is_current
