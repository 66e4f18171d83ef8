-- History of every return version, accepted or rejected: the resubmission trail.
select
    cast(batch_id as varchar) as batch_id,
    cast(county_code as varchar) as county_code,
    cast(year as integer) as year,
    cast(version_number as integer) as version_number,
    cast(status as varchar) as status,
    cast(is_current as boolean) as is_current,
    cast(submitted_on as date) as submitted_on,
    cast(received_at as timestamptz) as received_at,
    cast(error_count as integer) as error_count,
    cast(warning_count as integer) as warning_count,
    cast(source_file as varchar) as source_file,
    cast(sha256 as varchar) as sha256
from {{ ref('int_returns__versions') }}
