-- The national picture's grid is 21 × 8 per year and adds up to the facts; kommuner reached never exceed
-- the county's kommuner, and riket's row is the sum of the counties.
select 'grid size' as failing, report_year from {{ ref('rpt_county_area_grid') }}
group by report_year having count(*) <> 21 * 8
union all
select 'grid activities', g.report_year from {{ ref('rpt_county_area_grid') }} as g
group by g.report_year
having sum(g.activity_count) <> (select count(*) from {{ ref('fct_activity') }} as a where a.year = g.report_year)
union all
select 'reach bound', report_year from {{ ref('rpt_kommun_reach') }} where kommuner_reached > kommun_count
union all
select 'reach riket', r.report_year from {{ ref('rpt_kommun_reach') }} as r
where r.county_code = '00' and r.kommuner_reached <> (
    select sum(c.kommuner_reached) from {{ ref('rpt_kommun_reach') }} as c
    where c.report_year = r.report_year and c.county_code <> '00')
