-- The Sammanfattning: every report year has one finding per finding_order in ref_key_finding_templates,
-- each with a sentence template.
select y.report_year, t.finding_order
from (select unnest({{ var('report_years') }}) as report_year) as y
cross join (select distinct finding_order from {{ ref('ref_key_finding_templates') }}) as t
left join {{ ref('rpt_key_findings') }} as f on f.report_year = y.report_year and f.finding_order = t.finding_order
where f.sentence_template is null
