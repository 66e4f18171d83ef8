-- Report section 7.3: the gradient across areas, per report year × indicator × area level, in the latest
-- period up to the report year: SII and RII across the län (or kommuner) ranked by their population's share
-- with post-secondary education, with 95 % intervals, the number of areas, and the method of the row.
-- From mart_equity_gap (inequality_dimension 'area_education').
with report_years as (
    select unnest({{ var('report_years') }}) as report_year
),

latest as (
    select g.*, y.report_year
    from {{ ref('mart_equity_gap') }} as g
    inner join report_years as y on g.period_end_year <= y.report_year
    where g.inequality_dimension = 'area_education'
    qualify row_number() over (
        partition by y.report_year, g.indicator_code, g.area_level order by g.period_end_year desc, g.period desc
    ) = 1
)

select
    cast(l.report_year as integer) as report_year,
    cast(l.indicator_code as varchar) as indicator_code,
    cast(i.indicator_name_sv as varchar) as indicator_name_sv,
    cast(i.unit as varchar) as unit,
    cast(i.polarity as varchar) as polarity,
    cast(l.area_level as varchar) as area_level,
    cast(l.period as varchar) as period,
    cast(l.n_areas as integer) as n_areas,
    cast(l.population_year as integer) as population_year,
    cast(l.sii as double) as sii,
    cast(l.sii_ci_low as double) as sii_ci_low,
    cast(l.sii_ci_high as double) as sii_ci_high,
    cast(l.rii as double) as rii,
    cast(l.rii_ci_low as double) as rii_ci_low,
    cast(l.rii_ci_high as double) as rii_ci_high,
    cast(l.rii_ci_note as varchar) as rii_ci_note,
    -- Favourable when the more educated areas fare better (the sign of SII, read with the polarity).
    cast(case
        when l.sii_ci_low > 0 then case when i.polarity = 'lower_is_better' then 'sämre i områden med högre utbildning'
                                        else 'bättre i områden med högre utbildning' end
        when l.sii_ci_high < 0 then case when i.polarity = 'lower_is_better' then 'bättre i områden med högre utbildning'
                                         else 'sämre i områden med högre utbildning' end
        else 'ingen säker lutning'
    end as varchar) as gradient,
    cast(l.inequality_dimension as varchar) as inequality_dimension,
    cast(l.method as varchar) as method
from latest as l
left join {{ ref('dim_indicator') }} as i on i.indicator_code = l.indicator_code
