-- Per report year × source: what the report is built from and the dates the data carries. County returns
-- by their submission dates (submitted_on, from the returns), the survey by its answers' dates, indicators
-- and population by their retrieval time recorded in each delivery (mart_source_provenance).
with returns as (
    select year as report_year, 'lansrapporter' as source,
           min(submitted_on) as first_on, max(submitted_on) as last_on, count(*) as item_count
    from {{ ref('fct_submission_version') }}
    group by all
),

others as (
    select report_year, source, cast(first_at as date) as first_on, cast(last_at as date) as last_on, item_count
    from {{ ref('mart_source_provenance') }}
    where source <> 'lansrapporter'
)

select
    cast(report_year as integer) as report_year,
    cast(source as varchar) as source,
    cast(case source
        when 'lansrapporter' then 'Länsrapporter från de 21 länsstyrelserna'
        when 'skr_enkat' then 'SKR:s medlemsenkät om folkhälsoarbetet'
        when 'folkhalsodata' then 'Folkhälsodata (Folkhälsomyndigheten, PxWeb-API)'
        when 'kolada' then 'Kolada (RKA, API)'
        when 'file' then 'Fil (indikatorer som saknar API)'
        when 'scb_befolkning' then 'SCB, befolkning efter utbildningsnivå (PxWeb-API, UF0506B)'
        when 'scb' then 'SCB:s statistikdatabas (PxWeb-API)'
        else source end as varchar) as source_name,
    cast(case source
        when 'lansrapporter' then 'versioner av länsrapporter (aktörer, insatser, behov, ekonomi)'
        when 'skr_enkat' then 'svarande kommuner och regioner'
        when 'scb_befolkning' then 'regioner (vikter för SII och RII)'
        else case when item_count = 1 then 'indikator' else 'indikatorer' end end as varchar) as item_unit,
    cast(item_count as integer) as item_count,
    cast(first_on as date) as first_on,
    cast(last_on as date) as last_on
from (select * from returns union all select * from others)
