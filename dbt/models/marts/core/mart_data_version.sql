-- What this warehouse was built from: the data label (sample data says so) and the data version.
-- The flow passes them as vars; a standalone `dbt build` reads the label the flow recorded beside the
-- landed data (_dataset.json, folkhalsa.landing.record_dataset_info), so sample data is always labelled.
{%- set landed = {'synthetic': false, 'label': ''} %}
{%- if execute %}
    {%- set path = landing_path() ~ '/_dataset.json' %}
    {%- set found = run_query("select count(*) from glob('" ~ path ~ "')").columns[0].values()[0] %}
    {%- if found %}
        {%- set row = run_query("select synthetic, label from read_json_auto('" ~ path ~ "')").rows[0] %}
        {%- do landed.update({'synthetic': row[0], 'label': row[1] or ''}) %}
    {%- endif %}
{%- endif %}
{%- set is_sample = var('is_sample') or landed['synthetic'] %}
{%- set label = var('data_label') or landed['label'] %}
select
    cast('{{ var("data_version") }}' as varchar) as data_version,
    cast({{ 'true' if is_sample else 'false' }} as boolean) as is_sample,
    cast('{{ label | replace("'", "''") }}' as varchar) as data_label
