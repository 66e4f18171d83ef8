-- One row per indicator × region × kommun × period × sex × education: the latest retrieval of each key,
-- with the catalogue's disclosure rule (min_respondents) applied on top of the publisher's own status.
with ranked as (
    select
        *,
        -- A later snapshot supersedes an earlier one; received_at and batch_id only break exact ties.
        row_number() over (
            partition by indicator_code, region_code, municipality_code, period, sex, education
            order by retrieved_at desc, received_at desc, batch_id desc
        ) as recency_rank
    from {{ ref('stg_indicators__values') }}
),

latest as (
    select * from ranked where recency_rank = 1
),

flagged as (
    select
        l.*,
        -- Too few respondents for the catalogue's rule: suppress even if the publisher showed it.
        coalesce(
            l.status in ('ok', 'unreliable')
            and c.min_respondents is not null
            and l.n_respondents is not null
            and l.n_respondents < c.min_respondents,
            false
        ) as is_below_min_respondents
    from latest as l
    left join {{ ref('indicator_catalogue') }} as c
        on c.code = l.indicator_code
),

final as (
    select
        indicator_code,
        region_code,
        municipality_code,
        period,
        period_end_year,
        sex,
        education,
        status_final as status,
        -- Missing and suppressed values are never shown, whatever the landed row carried.
        case when status_final in ('ok', 'unreliable') then value end as value,
        case when status_final in ('ok', 'unreliable') then ci_low end as ci_low,
        case when status_final in ('ok', 'unreliable') then ci_high end as ci_high,
        -- A suppressed row shows no respondent count either: it says how small the group was.
        case when status_final <> 'suppressed' then n_respondents end as n_respondents,
        is_below_min_respondents,
        source,
        retrieved_at,
        batch_id
    from (
        select *, case when is_below_min_respondents then 'suppressed' else status end as status_final
        from flagged
    )
)

select * from final
