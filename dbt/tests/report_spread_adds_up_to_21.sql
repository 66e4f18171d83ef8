-- Table 7.2: per indicator, better + similar + worse + not compared = the 21 counties.
select report_year, indicator_code
from {{ ref('rpt_indicator_spread') }}
where counties_better + counties_similar + counties_worse + counties_not_compared <> county_count
   or county_count <> (select count(*) from {{ ref('dim_county') }})
