-- Short descriptions of how gender equality was considered, for the report: only "Hur" texts that
-- passed the privacy screen at landing (stg_returns__gender_equality_examples), from the current
-- version of each return. On sample data (var is_sample) only texts marked as synthetic
-- ([Exempeltext]) are kept. example_rank orders the distinct texts per year, one per county first.
with current_examples as (
    select c.year, c.county_code, e.activity_id, e.target_area_code, e.gender_perspective, e.how_text
    from {{ ref('stg_returns__gender_equality_examples') }} as e
    inner join {{ ref('int_returns__current') }} as c using (batch_id)
    where e.how_text is not null
    {% if var('is_sample') %}
      and starts_with(e.how_text, '[Exempeltext]')
    {% endif %}
),

distinct_texts as (
    select *
    from current_examples
    qualify row_number() over (partition by year, how_text order by county_code, activity_id) = 1
),

-- One text per county first, so the first examples come from different counties.
ranked_in_county as (
    select *, row_number() over (partition by year, county_code order by activity_id) as county_rank
    from distinct_texts
)

select
    cast(year as integer) as year,
    cast(county_code as varchar) as county_code,
    cast(activity_id as varchar) as activity_id,
    cast(target_area_code as integer) as target_area_code,
    cast(gender_perspective as varchar) as gender_perspective,
    cast(how_text as varchar) as how_text,
    cast(starts_with(how_text, '[Exempeltext]') as boolean) as is_marked_synthetic,
    cast(row_number() over (partition by year order by county_rank, county_code, activity_id) as integer) as example_rank
from ranked_in_county
