-- Per report year × indicator: how the 21 counties stand against riket (mart_indicator_county_spread,
-- both sexes), with the lowest and highest county by name. better + similar + worse + not_compared = 21.
-- comparison_basis: were the counties compared by a test (CIs) or by the indicator's threshold (issue 26)?
select
    cast(s.report_year as integer) as report_year,
    cast(s.indicator_code as varchar) as indicator_code,
    cast(coalesce(i.decimals, 1) as integer) as decimals,
    cast(s.county_count as integer) as county_count,
    cast(s.counties_with_value as integer) as counties_with_value,
    cast(s.counties_better as integer) as counties_better,
    cast(s.counties_similar as integer) as counties_similar,
    cast(s.counties_worse as integer) as counties_worse,
    cast(s.counties_not_compared as integer) as counties_not_compared,
    cast(s.counties_by_threshold as integer) as counties_by_threshold,
    cast(case
        when s.county_count = s.counties_not_compared then null
        when s.counties_by_threshold = 0 then 'test'
        when s.counties_by_threshold = s.county_count - s.counties_not_compared then 'tröskel'
        else 'test och tröskel'
    end as varchar) as comparison_basis,
    cast(s.lowest_value as double) as lowest_value,
    cast(lo.county_name as varchar) as lowest_county_name,
    cast(s.highest_value as double) as highest_value,
    cast(hi.county_name as varchar) as highest_county_name
from {{ ref('mart_indicator_county_spread') }} as s
inner join {{ ref('dim_indicator') }} as i using (indicator_code)
left join {{ ref('dim_county') }} as lo on lo.county_code = s.lowest_county_code
left join {{ ref('dim_county') }} as hi on hi.county_code = s.highest_county_code
where s.sex = 'T'
