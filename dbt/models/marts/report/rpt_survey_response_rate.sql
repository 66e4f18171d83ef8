-- Per survey year × county (and riket '00') × respondent type: response rate (mart_survey_response_rate).
select
    cast(r.survey_year as integer) as report_year,
    cast(r.county_code as varchar) as county_code,
    cast(coalesce(c.county_name, 'Riket') as varchar) as county_name,
    cast(r.respondent_type as varchar) as respondent_type,
    cast(r.population as integer) as population,
    cast(r.n_responded as integer) as n_responded,
    cast(r.n_partial as integer) as n_partial,
    cast(r.response_rate as double) as response_rate,
    -- 1-4 responses in a county of several kommuner are not printed (docs/disclosure.md): shown as –.
    cast(coalesce(r.is_suppressed, false) as boolean) as is_suppressed
from {{ ref('mart_survey_response_rate') }} as r
left join {{ ref('dim_county') }} as c using (county_code)
