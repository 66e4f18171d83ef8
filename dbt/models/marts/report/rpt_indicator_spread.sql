-- Per report year × indicator × row of table 7.2: how the 21 counties stand against riket
-- (mart_indicator_county_spread), with the lowest and highest county by name. better + similar + worse +
-- not_compared = 21. comparison_basis: were the counties compared by a test (CIs) or by the indicator's
-- threshold (issue 26)? The rows follow what table 7.1 shows for riket (mart_indicator_headline_value):
-- both sexes (sex T); women and men, one row each, where the source has no total (H1); for an indicator
-- with kommun values only (4.4), each county's median of its kommun values (value_basis), not compared.
with headline as (
    select report_year, indicator_code, display_basis
    from {{ ref('mart_indicator_headline_value') }}
    where region_code = '00'
),

rows_shown as (
    select s.*, coalesce(h.display_basis, 'saknas') as display_basis
    from {{ ref('mart_indicator_county_spread') }} as s
    left join headline as h on h.report_year = s.report_year and h.indicator_code = s.indicator_code
    where (h.display_basis = 'kvinnor och män' and s.sex in ('K', 'M'))
       or (coalesce(h.display_basis, 'saknas') <> 'kvinnor och män' and s.sex = 'T')
)

select
    cast(s.report_year as integer) as report_year,
    cast(s.indicator_code as varchar) as indicator_code,
    cast(s.sex as varchar) as sex,
    cast(s.value_basis as varchar) as value_basis,
    cast(case
        when s.sex = 'K' then s.indicator_code || ' kvinnor'
        when s.sex = 'M' then s.indicator_code || ' män'
        when s.value_basis = 'median av kommunvärden' then s.indicator_code || ' median'
        else s.indicator_code
    end as varchar) as row_label,
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
from rows_shown as s
inner join {{ ref('dim_indicator') }} as i using (indicator_code)
left join {{ ref('dim_county') }} as lo on lo.county_code = s.lowest_county_code
left join {{ ref('dim_county') }} as hi on hi.county_code = s.highest_county_code
