{#- Where landed Parquet lives. Absolute in the flow; relative to dbt/ for an analyst. -#}
{% macro landing_path() -%}
{{ env_var('FOLKHALSA_LANDING', '../data/output/landing') }}
{%- endmacro %}
