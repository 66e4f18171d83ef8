-- No län response count of 1 to survey_min_respondents - 1 is printed where the län has more than
-- one kommun (docs/disclosure.md), and a hidden row shows no count or rate.
select *
from {{ ref('mart_survey_response_rate') }}
where (n_responded between 1 and {{ var('survey_min_respondents') }} - 1 and population > 1
       and county_code <> '00')
   or (is_suppressed and (n_responded is not null or n_complete is not null or n_partial is not null
                          or n_not_responded is not null or response_rate is not null))
   or (not is_suppressed and (n_responded is null or response_rate is null))
