-- Per report year × county × indicator: the county's latest value against riket (mart_indicator_assessment,
-- both sexes), for the county profiles. comparison_kind says which rule gave the comparison ('test': z-test
-- with Benjamini–Hochberg; 'tröskel': the indicator's threshold, no test), from the seed verdict_labels.
select
    cast(a.report_year as integer) as report_year,
    cast(a.region_code as varchar) as county_code,
    cast(a.indicator_code as varchar) as indicator_code,
    cast(i.indicator_name_sv as varchar) as indicator_name,
    cast(coalesce(i.decimals, 1) as integer) as decimals,
    cast(a.latest_period as varchar) as latest_period,
    cast(a.latest_value as double) as latest_value,
    cast(a.status as varchar) as status,
    cast(a.national_value as double) as national_value,
    cast(a.comparison_to_national as varchar) as comparison_to_national,
    cast(v.kind as varchar) as comparison_kind,
    cast(v.label_sv as varchar) as comparison_label,
    cast(a.trend_verdict as varchar) as trend_verdict
from {{ ref('mart_indicator_assessment') }} as a
inner join {{ ref('dim_indicator') }} as i using (indicator_code)
left join {{ ref('verdict_labels') }} as v
    on v.verdict_group = 'län mot riket' and v.code = a.comparison_to_national
where a.region_code <> '00' and a.sex = 'T'
