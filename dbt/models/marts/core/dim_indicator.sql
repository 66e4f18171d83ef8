-- The 35 indicators: names, unit and polarity (ref_indicators) with how and where they are fetched
-- and how they are assessed (indicator_catalogue).
select
    cast(r.code as varchar) as indicator_code,
    cast(r.target_area as integer) as target_area_code,
    cast(r.name_sv as varchar) as indicator_name_sv,
    cast(r.name_en as varchar) as indicator_name_en,
    cast(r.unit as varchar) as unit,
    cast(r.polarity as varchar) as polarity,
    cast(r.decided as boolean) as is_decided,
    cast(c.source as varchar) as source,
    cast(c.table_path as varchar) as table_path,
    cast(c.kpi_id as varchar) as kpi_id,
    cast(c.measure as varchar) as measure,
    cast(c.breakdowns as varchar) as breakdowns,
    cast(c.period_type as varchar) as period_type,
    cast(c.decimals as integer) as decimals,
    cast(c.min_respondents as integer) as min_respondents,
    cast(c.change_threshold as double) as change_threshold,
    -- Minimal important changes for the verdicts on series without CIs (issue 26), each with its reason.
    cast(c.min_important_change as double) as min_important_change,
    cast(c.min_important_change_rationale as varchar) as min_important_change_rationale,
    cast(c.gap_min_important_change as double) as gap_min_important_change,
    cast(c.gap_min_important_change_rationale as varchar) as gap_min_important_change_rationale,
    cast(c.kpi_type as varchar) as kpi_type,
    -- Where a county figure comes from: the source, or none (a type K Kolada KPI has kommun values only).
    cast(coalesce(c.county_value, 'source') as varchar) as county_value,
    -- verified, unverified, planned_by_source (announced by FoHM, not yet published) or not_decided; the
    -- catalogue's loader checks the evidence against it (folkhalsa.sources.indicators.SOURCE_STATUSES).
    cast(c.source_status as varchar) as source_status,
    cast(c.evidence as varchar) as evidence,
    cast(c.verified_on as date) as verified_on,
    cast(coalesce(c.source_status = 'verified', false) as boolean) as is_source_verified
from {{ ref('ref_indicators') }} as r
left join {{ ref('indicator_catalogue') }} as c
    on c.code = r.code
