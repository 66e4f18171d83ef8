-- Secondary suppression: among the groups of a question (its counties and the country, which they
-- add up to), never exactly one suppressed, since it could be recomputed by subtraction.
-- Suppression is per whole group, so every option of a group shares the flag.
with groups as (
    select survey_year, respondent_type, question_code, county_code,
           bool_or(is_suppressed) as any_suppressed, bool_and(is_suppressed) as all_suppressed
    from {{ ref('mart_survey_summary') }}
    group by all
)
select survey_year, respondent_type, question_code,
       count(*) filter (where any_suppressed) as n_suppressed_groups,
       count(*) filter (where any_suppressed and not all_suppressed) as n_partly_suppressed_groups
from groups
group by all
having count(*) filter (where any_suppressed) = 1
    or count(*) filter (where any_suppressed and not all_suppressed) > 0
