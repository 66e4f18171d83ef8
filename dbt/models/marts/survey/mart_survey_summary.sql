{#- Smallest group of respondents whose answers may be shown. -#}
{%- set min_respondents = var('survey_min_respondents', 5) -%}
-- Answer distribution per survey year × county (and the whole country, '00') × respondent type ×
-- question × answer option, for single and multiple choice questions. Every option of the
-- codebook has a row, zeros included.
--
-- Denominator: respondents of that type in that county who answered the question. Those who did
-- not respond, or skipped the question, are left out; they are never counted as "no".
--
-- Small-number protection:
-- * primary: a group (county × type × question) of fewer than {{ min_respondents }} respondents is
--   suppressed: n_answer and share are null and is_suppressed is true.
-- * secondary: the counties of a question add up to the national row, so a single suppressed
--   group among them could be recomputed by subtraction. When exactly one group of a question is
--   suppressed, the unsuppressed county group with the fewest respondents is suppressed too.
--   Whole groups are suppressed, so every suppressed option row is covered in both directions
--   (its options and its counties) and no further rounds are needed.
with answers as (
    select * from {{ ref('fct_survey_answer') }}
    where question_type in ('single', 'multi')
),

options as (
    -- the codebook the answers were read with (one current export per year)
    select distinct
        survey_year, question_order, question_code, concept_id, question_text, question_type,
        target_area_code, answer_order, answer_code, answer_label
    from {{ ref('stg_skr__codebook') }}
    where question_type in ('single', 'multi')
        and batch_id in (select batch_id from answers)
),

groups as (
    select
        survey_year,
        respondent_type,
        question_code,
        case when grouping(county_code) = 1 then '00' else county_code end as county_code,
        count(distinct respondent_code) as n_respondents
    from answers
    group by grouping sets (
        (survey_year, respondent_type, question_code, county_code),
        (survey_year, respondent_type, question_code)
    )
),

counts as (
    select
        survey_year,
        respondent_type,
        question_code,
        case when grouping(county_code) = 1 then '00' else county_code end as county_code,
        answer_code,
        count(distinct respondent_code) as n_answer
    from answers
    group by grouping sets (
        (survey_year, respondent_type, question_code, county_code, answer_code),
        (survey_year, respondent_type, question_code, answer_code)
    )
),

primary_suppressed as (
    select *, n_respondents < {{ min_respondents }} as is_primary
    from groups
),

lone_suppressed as (
    -- questions where exactly one group (national row included) is suppressed
    select survey_year, respondent_type, question_code
    from primary_suppressed
    group by all
    having count(*) filter (where is_primary) = 1
),

secondary_suppressed as (
    select p.survey_year, p.respondent_type, p.question_code, p.county_code
    from primary_suppressed as p
    inner join lone_suppressed as l
        on p.survey_year = l.survey_year
        and p.respondent_type = l.respondent_type
        and p.question_code = l.question_code
    where not p.is_primary and p.county_code <> '00'
    qualify row_number() over (
        partition by p.survey_year, p.respondent_type, p.question_code
        order by p.n_respondents, p.county_code
    ) = 1
),

flagged as (
    select
        p.*,
        case
            when p.is_primary then 'primary'
            when s.county_code is not null then 'secondary'
        end as suppression_reason
    from primary_suppressed as p
    left join secondary_suppressed as s
        on p.survey_year = s.survey_year
        and p.respondent_type = s.respondent_type
        and p.question_code = s.question_code
        and p.county_code = s.county_code
)

select
    cast(f.survey_year as integer) as survey_year,
    cast(case when f.county_code = '00' then 'national' else 'county' end as varchar) as geo_level,
    cast(f.county_code as varchar) as county_code,
    cast(f.respondent_type as varchar) as respondent_type,
    cast(o.question_order as integer) as question_order,
    cast(o.question_code as varchar) as question_code,
    cast(o.concept_id as varchar) as concept_id,
    cast(o.question_text as varchar) as question_text,
    cast(o.question_type as varchar) as question_type,
    cast(o.target_area_code as integer) as target_area_code,
    cast(o.answer_order as integer) as answer_order,
    cast(o.answer_code as integer) as answer_code,
    cast(o.answer_label as varchar) as answer_label,
    cast(f.n_respondents as integer) as n_respondents,
    cast(case when f.suppression_reason is null then coalesce(c.n_answer, 0) end as integer) as n_answer,
    cast(case
        when f.suppression_reason is null then round(coalesce(c.n_answer, 0) / f.n_respondents, 4)
    end as double) as share,
    f.suppression_reason is not null as is_suppressed,
    cast(f.suppression_reason as varchar) as suppression_reason
from flagged as f
inner join options as o
    on f.survey_year = o.survey_year
    and f.question_code = o.question_code
left join counts as c
    on f.survey_year = c.survey_year
    and f.respondent_type = c.respondent_type
    and f.question_code = c.question_code
    and f.county_code = c.county_code
    and o.answer_code = c.answer_code
