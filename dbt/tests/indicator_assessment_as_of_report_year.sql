-- An assessment for a report year uses no period that ended after it.
select report_year, indicator_code, region_code, sex, latest_period, latest_period_end_year
from {{ ref('mart_indicator_assessment') }}
where latest_period_end_year > report_year
