-- No shown survey aggregate rests on fewer than survey_min_respondents respondents, and a
-- suppressed row shows no value and no group size (null, flagged), never a number.
select *
from {{ ref('mart_survey_summary') }}
where (n_respondents < {{ var('survey_min_respondents') }} and not is_suppressed)
   or (is_suppressed and (n_answer is not null or share is not null or n_respondents is not null))
   or (not is_suppressed and (n_answer is null or share is null))
