{#- Smallest group of respondents whose answers may be shown. -#}
{%- set min_respondents = var('survey_min_respondents') -%}
{#- Narrowest interval, in respondents, that the published cells may leave for a suppressed one. -#}
{%- set min_width = var('survey_min_interval_width') -%}
-- Answer distribution per survey year × county (and the whole country, '00') × respondent type ×
-- question × answer option, for single and multiple choice questions. Every option of the
-- codebook has a row, zeros included.
--
-- Denominator: respondents of that type in that county who answered the question. Those who did
-- not respond, or skipped the question, are left out; they are never counted as "no".
--
-- Small-number protection (rule and proof sketch in mart_survey_summary.yml):
-- * primary: a group (county × type × question) of fewer than {{ min_respondents }} respondents is
--   suppressed: n_respondents, n_answer and share are null and is_suppressed is true.
-- * complementary: the counties of a question add up to the national row, so the hidden groups
--   S of a question have known totals: R_a respondents chose option a, R respondents in all.
--   Whatever else is known, a hidden cell then lies in the Fréchet interval
--   [max(0, R_a - (R - N_c)), min(N_c, R_a)]. It is at least w = {{ min_width }} wide when, for every
--   option, R_a >= w_a and R - R_a >= w_a (w_a = w, or less when the national row itself shows
--   fewer than w chose, or did not choose, a), and the other hidden groups hold at least w
--   respondents (R - max N_c >= w). The smallest shown county groups are added to S, smallest first,
--   until that holds; if even hiding every county is not enough, the national row is hidden too.
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

-- Every codebook option of every group, zeros included.
cells as (
    select g.survey_year, g.respondent_type, g.question_code, g.county_code, o.answer_code,
        coalesce(c.n_answer, 0) as n_answer
    from groups as g
    inner join (select distinct survey_year, question_code, answer_code from options) as o
        on g.survey_year = o.survey_year and g.question_code = o.question_code
    left join counts as c
        on g.survey_year = c.survey_year and g.respondent_type = c.respondent_type
        and g.question_code = c.question_code and g.county_code = c.county_code
        and o.answer_code = c.answer_code
),

-- Questions that need complementary suppression: a county group is hidden and the national row,
-- which the counties add up to, is shown.
exposed_blocks as (
    select survey_year, respondent_type, question_code,
        max(n_respondents) filter (where county_code = '00') as n_national
    from primary_suppressed
    group by all
    having bool_or(is_primary and county_code <> '00') and not bool_or(is_primary and county_code = '00')
),

-- Hiding order within a question: the primary groups together (step 0), then the shown county
-- groups from the smallest (step 1, 2, ...).
steps as (
    select p.survey_year, p.respondent_type, p.question_code, p.county_code, p.n_respondents,
        case when p.is_primary then 0 else row_number() over (
            partition by p.survey_year, p.respondent_type, p.question_code, p.is_primary
            order by p.n_respondents, p.county_code
        ) end as step
    from primary_suppressed as p
    inner join exposed_blocks using (survey_year, respondent_type, question_code)
    where p.county_code <> '00'
),

-- Totals of the hidden set after each step (cumulative, so hiding up to step k).
step_totals as (
    select survey_year, respondent_type, question_code, step,
        sum(sum(n_respondents)) over w as r_total,
        max(max(n_respondents)) over w as n_largest
    from steps
    group by survey_year, respondent_type, question_code, step
    window w as (partition by survey_year, respondent_type, question_code order by step)
),

step_options as (
    select s.survey_year, s.respondent_type, s.question_code, s.step, c.answer_code,
        sum(sum(c.n_answer)) over (
            partition by s.survey_year, s.respondent_type, s.question_code, c.answer_code order by s.step
        ) as r_answer
    from steps as s
    inner join cells as c using (survey_year, respondent_type, question_code, county_code)
    group by s.survey_year, s.respondent_type, s.question_code, s.step, c.answer_code
),

-- Whether hiding up to a step protects every hidden cell (the conditions in the header).
step_check as (
    select t.survey_year, t.respondent_type, t.question_code, t.step,
        t.r_total - t.n_largest >= {{ min_width }}
        and bool_and(
            o.r_answer >= least({{ min_width }}, n.n_answer, b.n_national - n.n_answer)
            and t.r_total - o.r_answer >= least({{ min_width }}, n.n_answer, b.n_national - n.n_answer)
        ) as is_protected
    from step_totals as t
    inner join exposed_blocks as b using (survey_year, respondent_type, question_code)
    inner join step_options as o using (survey_year, respondent_type, question_code, step)
    inner join cells as n
        on n.survey_year = t.survey_year and n.respondent_type = t.respondent_type
        and n.question_code = t.question_code and n.county_code = '00' and n.answer_code = o.answer_code
    group by t.survey_year, t.respondent_type, t.question_code, t.step, t.r_total, t.n_largest
),

-- The fewest steps that protect; none protects: hide the national row and keep the counties
-- hidden until they hold at least min_width respondents (for the national cells' own interval).
chosen as (
    select survey_year, respondent_type, question_code,
        min(step) filter (where is_protected) as protected_step,
        min(t.step) filter (where t.r_total >= {{ min_width }}) as fallback_step
    from step_check
    inner join step_totals as t using (survey_year, respondent_type, question_code, step)
    group by all
),

secondary_suppressed as (
    select s.survey_year, s.respondent_type, s.question_code, s.county_code
    from steps as s
    inner join chosen as c using (survey_year, respondent_type, question_code)
    where s.step > 0 and s.step <= coalesce(c.protected_step, c.fallback_step, s.step)
    union all
    select survey_year, respondent_type, question_code, '00'
    from chosen
    where protected_step is null
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
    cast(case when f.suppression_reason is null then f.n_respondents end as integer) as n_respondents,
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
