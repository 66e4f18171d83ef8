-- Per report year: the document's identity. Issuing agency and the government's case numbers
-- (ref_assignments), the data version and its label, and the report date: the latest date that the
-- data itself carries (a return's submission date, a survey answer, an indicator or population
-- retrieval), so the same data version always gives the same date, whatever day it is rendered.
with years as (
    select unnest({{ var('report_years') }}) as report_year
),

data_dates as (
    select max(submitted_on) as d from {{ ref('fct_submission_version') }}
    union all
    select cast(max(last_at) as date) from {{ ref('mart_source_provenance') }} where source <> 'lansrapporter'
),

assignments as (
    select string_agg(case_number, ' och ' order by case_number) as case_numbers
    from {{ ref('ref_assignments') }}
)

select
    cast(y.report_year as integer) as report_year,
    cast('Folkhälsomyndigheten' as varchar) as issuing_agency,
    cast(a.case_numbers as varchar) as case_numbers,
    cast(v.data_version as varchar) as data_version,
    cast(v.data_label as varchar) as data_label,
    cast(v.is_sample as boolean) as is_sample,
    cast((select max(d) from data_dates) as date) as report_date
from years as y
cross join {{ ref('mart_data_version') }} as v
cross join assignments as a
