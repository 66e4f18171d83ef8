-- What this warehouse was built from: the data label (sample data says so) and the data version.
select
    cast('{{ var("data_version") }}' as varchar) as data_version,
    cast({{ 'true' if var('is_sample') else 'false' }} as boolean) as is_sample,
    cast('{{ var("data_label") }}' as varchar) as data_label
