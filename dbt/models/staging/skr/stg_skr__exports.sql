-- One row per landed survey export. A re-export of a year replaces the earlier one: the current
-- export is the one with the latest answer in it, then the latest landed (content decides, not
-- the order files happen to land in). An export held as pending_review (fewer than half the
-- respondents of the export it would replace) is never current until `folkhalsa accept-survey`
-- lands an accepting decision for it.
with exports as (
    select * from {{ source('skr_survey', 'exports') }}
),

decisions as (
    select target_batch_id, max(decision) as decision
    from {{ source('skr_survey', 'decisions') }}
    group by all
),

reviewed as (
    select
        e.*,
        coalesce(d.decision, e.review_status, 'accepted') as effective_review_status
    from exports as e
    left join decisions as d on d.target_batch_id = e._batch_id
)

select
    _batch_id as batch_id,
    cast(survey_year as integer) as survey_year,
    file_name,
    format as file_format,
    encoding,
    separator,
    sheet,
    cast(header_row as integer) as header_row,
    decimal_comma as has_decimal_comma,
    answer_mode,
    codebook_version,
    cast(n_rows as integer) as n_rows,
    cast(n_counted as integer) as n_counted,
    cast(latest_submitted_at as timestamp) as latest_submitted_at,
    effective_review_status as review_status,
    _sha256 as sha256,
    _received_at as received_at,
    effective_review_status <> 'pending_review' and row_number() over (
        partition by survey_year, effective_review_status = 'pending_review'
        order by latest_submitted_at desc nulls last, _received_at desc, _batch_id desc
    ) = 1 as is_current
from reviewed
