{#- Standard errors read back from a published 95 % CI, and what the CI's precision allows (issue 26).

    Publishers round the bounds (Folkhälsodata: one decimal). ci_decimals is the fewest decimals (0-6)
    that both bounds are written with, but at least the decimals the catalogue declares for the
    indicator (`declared`: a bound of 77.0 published with one decimal has one). With the value and both bounds rounded to d decimals,
    hi + lo − 2·value can be off by up to 2·10^-d from a symmetric interval's 0; a larger gap means the
    interval itself is asymmetric (e.g. a log or Wilson interval). Then the wider half is used as
    1.96 se, which makes the test conservative; otherwise se = (hi − lo) / (2 × 1.96). -#}
{% macro ci_decimals(lo, hi, declared='null') -%}
case when {{ lo }} is null or {{ hi }} is null then null else greatest(coalesce({{ declared }}, 0), coalesce(
    {%- for d in range(0, 6) %}
    case when round({{ lo }}, {{ d }}) = {{ lo }} and round({{ hi }}, {{ d }}) = {{ hi }} then {{ d }} end,
    {%- endfor %}
    6)) end
{%- endmacro %}

{% macro ci_is_asymmetric(value, lo, hi, declared='null') -%}
(abs({{ hi }} + {{ lo }} - 2 * {{ value }}) > 2 * power(10, -{{ ci_decimals(lo, hi, declared) }}) + 1e-9)
{%- endmacro %}

{% macro ci_se(value, lo, hi, declared='null', z=1.96) -%}
case
    when {{ lo }} is null or {{ hi }} is null then null
    when {{ value }} is not null and {{ ci_is_asymmetric(value, lo, hi, declared) }}
        then greatest({{ hi }} - {{ value }}, {{ value }} - {{ lo }}) / {{ z }}
    else ({{ hi }} - {{ lo }}) / (2 * {{ z }})
end
{%- endmacro %}

{#- A short Swedish note on the interval behind a row's test: null when no CI was used. -#}
{% macro ci_note(decimals, asymmetric) -%}
case
    when {{ decimals }} is null then null
    when {{ asymmetric }} then 'KI asymmetriskt (den bredare halvan används, konservativt); gränser med '
        || {{ decimals }} || ' decimal' || case when {{ decimals }} = 1 then '' else 'er' end
    else 'KI symmetriskt; gränser avrundade till ' || {{ decimals }} || ' decimal'
        || case when {{ decimals }} = 1 then '' else 'er' end
end
{%- endmacro %}
