{#- The last day a county's return for `year_expr` counts as on time: in the year after the reporting
    year. The rule's home is folkhalsa/settings.py (Settings.return_deadline, return_deadline_month/_day),
    passed in by the flow as vars. -#}
{% macro return_deadline(year_expr) -%}
make_date({{ year_expr }} + 1, {{ var('return_deadline_month') }}, {{ var('return_deadline_day') }})
{%- endmacro %}
