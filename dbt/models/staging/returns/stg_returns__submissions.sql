-- One row per landed file version. Contact name and e-mail are personal data and stop here.
select
    _batch_id as batch_id,
    county_code,
    cast(year as integer) as year,
    submitted_on,
    template_version,
    status,
    cast(error_count as integer) as error_count,
    cast(warning_count as integer) as warning_count,
    _source_file as source_file,
    _sha256 as sha256,
    _received_at as received_at
from {{ source('returns', 'submission') }}
